"""The interface in English, Arabic and Russian: complete catalogues, no English left on a
translated page, Arabic right to left, the user's choice remembered, figures and dates per locale."""

import contextlib
import datetime
import json
import re
import shutil

import lxml.html
import polib
import pytest
from django.core.management import call_command
from django.urls import reverse

from settlements.demo import load_demo_data
from settlements.importing.service import import_from_source
from settlements.models import Camp, ImportRun, Settlement, UserPreference
from settlements.roles import COORDINATOR, STAFF
from tests import factories
from tests.browser import PASSWORD
from tests.paths import DAILY_LISTS, ROOT

pytestmark = pytest.mark.django_db

CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))
# Names of formats, products and the app itself read the same in every language.
NOT_WORDS = {"AidTrack", "CSV", "XLSX", "GEOJSON", "HXL", "Excel", "UTF", "SHA"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Text in these is data (names, codes, what a source wrote), not interface.
DATA = "//bdi | //code | //script | //style | //*[@translate='no']"


def test_there_are_arabic_and_russian_catalogues_for_templates_and_scripts():
    assert {(path.parent.parent.name, path.stem) for path in CATALOGUES} == {
        (language, domain) for language in ("ar", "ru") for domain in ("django", "djangojs")
    }


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: f"{path.parent.parent.name}-{path.stem}")
def test_every_catalogue_entry_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))

    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.obsolete_entries()] == []
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == {"ar": 6, "ru": 4}[path.parent.parent.name], entry.msgid


def test_the_catalogues_hold_every_string_the_code_marks(tmp_path, settings):
    """makemessages over a copy of the code adds nothing untranslated: no marked string is missing."""
    for name in ("aidtrack", "settlements", "templates", "static/js", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "data"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    with contextlib.chdir(tmp_path):
        for domain in ("django", "djangojs"):
            call_command("makemessages", locale=["ar", "ru"], domain=domain, verbosity=0)

    missing = {
        str(path.relative_to(tmp_path)): [entry.msgid for entry in polib.pofile(str(path)).untranslated_entries()]
        for path in (tmp_path / "locale").glob("*/LC_MESSAGES/*.po")
    }
    assert missing == {path: [] for path in missing}


@pytest.fixture
def picture(gazetteer):
    """A day's picture as coordinators see it: two imported lists, camps, requests and deliveries."""
    load_demo_data()
    import_from_source(str(DAILY_LISTS / "2017-09-11" / "settlement-list.csv"))
    import_from_source(str(DAILY_LISTS / "2017-09-12" / "settlement-list.csv"))
    request = factories.aid_request(settlement=factories.settlement("C2663"))
    factories.delivery(request, quantity="40", delivering_organization=factories.organization(name="Relief Works"))
    return request


def switch(client, language: str, then: str = "/") -> None:
    response = client.post(reverse("language"), {"language": language, "next": then})
    assert response.status_code == 302


def interface_text(html: str) -> tuple[lxml.html.HtmlElement, list[str]]:
    """The page and every piece of interface text in it: text nodes and the labels users read in
    titles, aria-labels and placeholders, leaving out data and text marked as another language."""
    document = lxml.html.fromstring(html)
    page_language = document.get("lang")
    data = []
    for element in document.xpath(DATA):
        data.append(element.text_content())
        element.drop_tree()
    for element in document.xpath("//body//*[@lang]"):
        if element.get("lang") != page_language:
            element.drop_tree()
    # A page's title can hold no markup: the data shown on the page (a place's name) is taken out of it.
    title = document.findtext(".//title")
    for value in sorted(filter(None, data), key=len, reverse=True):
        title = title.replace(value, "")
    texts = [title, *(text for text in document.xpath("//body//text()") if text.strip())]
    texts += document.xpath("//body//@title | //body//@aria-label | //body//@placeholder")
    return document, texts


def english_left(texts: list[str]) -> list[str]:
    return [text.strip() for text in texts if set(LATIN_WORD.findall(text)) - NOT_WORDS]


def pages(picture) -> list[str]:
    run = ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED).latest("started_at")
    return [
        "/",
        "/map/",
        "/settlements/",
        "/settlements/?governorate=SY04&sort=population",
        "/camps/",
        "/requests/",
        "/requests/?page=2",
        reverse("tables:settlement", args=["C2663"]),
        reverse("tables:camp", args=[Camp.objects.get(name_en="Rukban").pk]),
        "/imports/",
        reverse("imports:detail", args=[run.pk]),
        "/settlements/?priority=9",  # a form error, in the page's language too
    ]


@pytest.mark.parametrize("language", ["ar", "ru"])
def test_every_page_speaks_the_chosen_language(client, picture, language):
    client.force_login(factories.user(role=STAFF))  # staff see the most: edit links, Import now
    switch(client, language)
    for url in pages(picture):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        assert response["Content-Language"] == language, url
        document, texts = interface_text(response.content.decode())

        assert document.get("lang") == language, url
        assert document.get("dir") == ("rtl" if language == "ar" else "ltr"), url
        assert english_left(texts) == [], url


def test_the_check_finds_english_left_on_a_page(client, picture):
    """The check above is not blind: the same page in English is full of it."""
    client.force_login(factories.user(role=COORDINATOR))
    english = client.get("/settlements/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    left = english_left(interface_text(english)[1])
    assert "Settlements" in left
    assert "Nothing matches these filters." not in left  # there are rows
    assert any(text.startswith("Export:") for text in left)


def test_the_choice_is_remembered_on_the_account_for_every_browser(client):
    user = factories.user(role=COORDINATOR, username="layla")
    client.force_login(user)
    switch(client, "ar", then="/settlements/")

    assert UserPreference.objects.get(user=user).language == "ar"
    assert client.get("/settlements/")["Content-Language"] == "ar"

    another_browser = type(client)()  # no cookie, no session, an English browser
    response = another_browser.post(
        "/admin/login/?next=/settlements/",
        {"username": "layla", "password": PASSWORD, "next": "/settlements/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    page = another_browser.get("/settlements/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "ar"
    assert 'dir="rtl"' in page.content.decode()


def test_without_a_choice_the_browser_language_decides(client):
    client.force_login(factories.user(role=COORDINATOR))

    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")["Content-Language"] == "ru"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR")["Content-Language"] == "en"


def test_an_unknown_language_changes_nothing(client):
    user = factories.user(role=COORDINATOR)
    client.force_login(user)
    switch(client, "xx")

    assert not UserPreference.objects.filter(user=user).exists()
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"


def test_the_switcher_needs_a_login_and_a_post(client):
    assert client.post(reverse("language"), {"language": "ar"}).status_code == 302
    client.force_login(factories.user(role=COORDINATOR))
    assert client.get(reverse("language")).status_code == 405


def test_place_names_come_in_the_active_language_with_the_other_script_beside(client, picture):
    client.force_login(factories.user(role=COORDINATOR))
    qaryatein = Settlement.objects.get(pcode="C2663")
    url = reverse("tables:settlement", args=["C2663"])

    english = lxml.html.fromstring(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content)
    switch(client, "ar")
    arabic = lxml.html.fromstring(client.get(url).content)

    assert [b.text_content() for b in english.xpath("//h1/bdi")] == [qaryatein.name_en, qaryatein.name_ar]
    assert [b.text_content() for b in arabic.xpath("//h1/bdi")] == [qaryatein.name_ar, qaryatein.name_en]
    governorate = arabic.xpath("//dt[.='المحافظة']/following-sibling::dd[1]/bdi")[0].text_content()
    assert governorate == qaryatein.governorate.name_ar
    # The filter lists governorates by their Arabic names, marked as names rather than text to translate.
    table = lxml.html.fromstring(client.get("/settlements/").content)
    options = table.xpath("//select[@name='governorate']/option[@value='SY04']")
    assert options[0].text_content() == qaryatein.governorate.name_ar
    assert options[0].get("translate") == "no"


def test_figures_and_dates_follow_the_locale(client, picture):
    client.force_login(factories.user(role=COORDINATOR))
    Settlement.objects.filter(pcode="C2663").update(population=12345, last_confirmed=datetime.date(2017, 9, 12))
    url = reverse("tables:settlement", args=["C2663"])

    def fact(language, label):
        switch(client, language)
        page = lxml.html.fromstring(client.get(url).content)
        return page.xpath(f"//dt[.='{label}']/following-sibling::dd[1]")[0].text_content().strip()

    assert fact("en", "Population") == "12,345"
    assert fact("ru", "Население") == "12\xa0345"
    assert fact("ar", "عدد السكان") == "12,345"
    assert fact("en", "Last confirmed") == "Sept. 12, 2017"
    assert fact("ru", "Последнее подтверждение") == "12 сентября 2017 г."
    assert fact("ar", "آخر تأكيد") == "12 سبتمبر، 2017"


def test_exports_name_their_columns_in_the_language_and_keep_hxl_tags(client, picture):
    client.force_login(factories.user(role=COORDINATOR))
    switch(client, "ru")
    lines = b"".join(client.get("/requests/", {"export": "hxl"}).streaming_content).decode().splitlines()

    assert lines[0].startswith("Номер,Для кого,P-код,Мухафаза")
    assert lines[1].startswith("#activity+id,#loc+name,#loc+code,#adm1+name")
    assert ",продовольствие," in lines[2]  # the category as the interface names it


def test_scripts_get_their_strings_in_the_language(client):
    client.force_login(factories.user(role=COORDINATOR))
    switch(client, "ar")
    catalogue = client.get(reverse("jsi18n")).content.decode()

    assert json.dumps("جارٍ التحميل…") in catalogue  # "Loading…" on the map
    assert "n==2 ? 2" in catalogue  # Arabic's six plural forms


def test_admin_speaks_arabic_with_our_names(client):
    client.force_login(factories.user(role=STAFF))
    switch(client, "ar", then="/admin/")
    page = client.get("/admin/").content.decode()

    assert 'dir="rtl"' in page
    assert "طلبات المساعدة" in page  # "aid requests", AidTrack's own model name
    assert "إدارة AidTrack" in page
