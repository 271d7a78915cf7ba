"""The situation report: its figures, its server-drawn map, and its PDF in English, Arabic and Russian."""

import ctypes
import datetime
import re

import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from settlements.alerts.services import save_subscription, weekly_report_subscribers
from settlements.areas.selectors import area_figures
from settlements.demo import load_demo_data
from settlements.importing.service import import_list
from settlements.models import AdminArea, AidRequest, ListSnapshot, Settlement
from settlements.reports.services import send_weekly_report
from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import ARTIFACTS
from tests.paths import ROOT

pytestmark = pytest.mark.django_db

SAMPLES = ROOT / "settlements" / "data" / "samples"
LISTS = [
    "settlement-list-2017-09-11.csv",
    "settlement-list-2017-09-12.csv",
    "settlement-list-2017-09-13-ru.csv",
    "settlement-list-2017-09-14.csv",
]
HOMS = {"governorate": "SY04", "from": "2017-09-11", "to": "2017-09-14"}


@pytest.fixture
def demo(gazetteer):
    """What `make run` loads: the demo camps, requests, pledges and deliveries, and four days of lists."""
    load_demo_data()
    for name in LISTS:
        assert import_list((SAMPLES / name).read_bytes(), source=name).run.status == "succeeded"


def in_language(client, language):
    client.post(reverse("language"), {"language": language})
    return client


def test_the_report_gives_an_areas_figures_map_needs_and_sources(demo, coordinator_client):
    page = coordinator_client.get(reverse("sitrep"), HOMS)
    html = page.content.decode()

    assert page.status_code == 200
    homs = AdminArea.objects.get(pcode="SY04")
    listed = Settlement.objects.filter(governorate=homs, on_latest_list=True)
    figures = area_figures(1, AidRequest.objects.all(), Settlement.objects.all())["SY04"]
    headline = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert headline["Settlements on the latest list"] == str(listed.count())
    assert headline["People in need"].replace(",", "") == str(figures["people"])
    assert headline["Open requests"] == str(figures["open"])
    # The map: one shaded path per district of Homs, a dot per listed settlement there.
    districts = set(AdminArea.objects.filter(parent=homs).values_list("pcode", flat=True))
    assert set(re.findall(r'data-pcode="([^"]+)"', html)) == districts
    assert html.count("<circle ") == listed.count()
    assert "<td>food (tonnes)</td>" in html
    sources = ListSnapshot.objects.filter(list_date__range=("2017-09-11", "2017-09-14"))
    assert sources.count() == 4
    for snapshot in sources:
        assert snapshot.import_run.source in html
    assert "Changes since the previous report" in html and "Settlements added to the list" in html


def test_a_districts_report_shades_its_sub_districts(demo, coordinator_client):
    html = coordinator_client.get(reverse("sitrep"), {**HOMS, "governorate": "", "district": "SY0401"}).content.decode()

    sub_districts = set(
        AdminArea.objects.filter(parent__pcode="SY0401").exclude(boundary=None).values_list("pcode", flat=True)
    )
    assert set(re.findall(r'data-pcode="([^"]+)"', html)) == sub_districts


def embedded_fonts(document) -> set[str]:
    """The fonts the PDF's text is set in (without their subset prefix)."""
    names = set()
    for page in document:
        for text in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_TEXT]):
            font = pdfium_raw.FPDFTextObj_GetFont(text.raw)
            size = pdfium_raw.FPDFFont_GetBaseFontName(font, None, 0)
            name = ctypes.create_string_buffer(size)
            pdfium_raw.FPDFFont_GetBaseFontName(font, name, size)
            names.add(name.value.decode().split("+")[-1])
    return names


@pytest.mark.parametrize(
    ("language", "title", "fonts"),
    [
        ("en", "Situation report: Homs", {"AidTrack-Sans", "AidTrack-Sans-Bold"}),
        # PDFium reads shaped Arabic back only in part: the place name, and the font it is set in.
        ("ar", "حمص", {"AidTrack-Sans", "AidTrack-Arabic", "AidTrack-Arabic-Bold"}),
        ("ru", "Сводка обстановки: Homs", {"AidTrack-Sans", "AidTrack-Sans-Bold"}),
    ],
)
def test_the_pdf_of_the_demo_data_in_each_language(demo, coordinator_client, language, title, fonts):
    client = in_language(coordinator_client, language)

    response = client.get(reverse("sitrep"), {**HOMS, "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"sitrep-{language}.pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert title in " ".join(text.split())
    assert fonts <= embedded_fonts(document)  # AidTrack's own fonts, whatever the server has
    for number, page in enumerate(document, start=1):
        page.render(scale=1.4).to_pil().save(ARTIFACTS / f"sitrep-{language}-page-{number}.png")
    assert len(document) >= 1


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2017-09-14", "to": "2017-09-11"},
        {"from": "yesterday"},
        {"from": "2016-01-01", "to": "2017-09-14"},
        {"governorate": "SY99"},
    ],
)
def test_a_period_or_filter_that_means_nothing_is_refused(demo, coordinator_client, params):
    assert coordinator_client.get(reverse("sitrep"), params).status_code == 400


def test_the_report_needs_the_right_to_read_requests(demo, client):
    client.force_login(factories.user(username="nobody"))
    assert client.get(reverse("sitrep"), HOMS).status_code == 403


def test_a_subscriber_is_mailed_last_weeks_report_of_each_area_they_follow(demo, smtp):

    rana = factories.user(role=COORDINATOR, username="rana", email="rana@example.org")
    farah = factories.user(role=COORDINATOR, username="farah", email="farah@example.org")
    areas = AdminArea.objects.filter(pcode__in=["SY04", "SY0503"])
    common = {"categories": [], "jump_percent": 50, "after_import": False, "every_morning": False, "active": True}
    save_subscription(user=rana, areas=areas, weekly_report=True, **common)
    save_subscription(user=farah, areas=areas, weekly_report=False, **common)
    assert weekly_report_subscribers() == [rana.pk]
    assert send_weekly_report(rana.pk, today=datetime.date(2017, 9, 18)) == 2
    assert send_weekly_report(farah.pk) == 0

    [(recipients, message)] = smtp.messages
    assert recipients == ["rana@example.org"]
    assert message["Subject"] == "AidTrack: situation report, Sept. 11, 2017 to Sept. 17, 2017"
    attachments = list(message.iter_attachments())
    assert [part.get_filename() for part in attachments] == [
        "aidtrack-sitrep-SY04-2017-09-11-2017-09-17-en.pdf",
        "aidtrack-sitrep-SY0503-2017-09-11-2017-09-17-en.pdf",
    ]
    assert all(part.get_content().startswith(b"%PDF") for part in attachments)
    body = message.get_body(("plain",)).get_content()
    assert "- Homs" in body and "- As-Salamiyeh" in body


def test_the_weekly_reports_are_on_the_schedule_staff_edit():
    task = PeriodicTask.objects.get(name="Send the weekly situation reports")
    assert task.task == "settlements.weekly_reports"
    assert (task.crontab.day_of_week, task.crontab.hour, str(task.crontab.timezone)) == ("1", "8", "Asia/Damascus")


@pytest.mark.parametrize(
    "url", ["http://example.org/style.css", "file:///etc/passwd", "file:///work/static/../../etc/passwd", "data:,x"]
)
def test_printing_a_report_reads_nothing_but_aidtracks_static_files(url):
    from settlements.reports.pdf import _fetcher_class

    fetcher = _fetcher_class()()
    with pytest.raises(ValueError, match="only AidTrack's static files"):
        fetcher.fetch(url)
    stylesheet = fetcher.fetch("file:///static/css/sitrep.css")
    assert stylesheet.read().startswith(b"/* The situation report")
    stylesheet.close()
