"""A settlement's trends: each list's figures per list date, staff corrections marked, and tonnes
requested and delivered over time; on its page as charts with their CSV, and in the API."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from settlements import services
from settlements.importing.service import import_list
from settlements.insights import trends
from settlements.insights.trends import settlement_trends
from settlements.models import Settlement
from settlements.roles import COORDINATOR, STAFF
from tests import factories
from tests.browser import log_in, screenshot
from tests.test_api import api_client

pytestmark = pytest.mark.django_db

HEADER = "Governorate,Settlement,P-code,Population,Returnees,Houses destroyed,Food need (t)"


def a_list(day: str, *rows: str) -> None:
    content = "\n".join([HEADER, *rows]).encode()
    outcome = import_list(content, source=f"settlement-list-{day}.csv")
    assert outcome.run.status == "succeeded", outcome.summary()


@pytest.fixture
def qaryatein(gazetteer):
    a_list("2017-09-11", "Homs,Qaryatein,C2663,1000,20,5,3.5", "Homs,Mahin,C2664,800,0,1,1")
    a_list("2017-09-14", "Homs,Qaryatein,C2663,1500,80,5,")  # no food figure that day
    return Settlement.objects.get(pcode="C2663")


def test_each_list_date_gives_the_figures_the_list_reported(qaryatein):
    found = settlement_trends(qaryatein)

    assert found["dates"] == [datetime.date(2017, 9, 11), datetime.date(2017, 9, 14)]
    assert found["figures"]["population"] == [1000, 1500]
    assert found["figures"]["returnees"] == [20, 80]
    assert found["figures"]["food_t"] == [3.5, None]  # a list that did not say is a gap, not a zero
    assert found["figures"]["schools_destroyed"] == [None, None]


def test_a_figure_staff_corrected_is_marked_on_the_day_they_did(qaryatein):
    staff = factories.user(role=STAFF, username="amal")
    qaryatein.population = 1700
    services.save_record(obj=qaryatein, user=staff)

    corrections = settlement_trends(qaryatein)["corrections"]

    assert corrections == [{"field": "population", "value": 1700, "date": timezone.localdate(), "by": "amal"}]


def test_tonnes_requested_and_delivered_add_up_over_time(qaryatein):
    food = factories.aid_request(settlement=qaryatein, quantity=Decimal("100"))
    factories.aid_request(settlement=qaryatein, quantity=Decimal("40"), status="cancelled")
    factories.aid_request(settlement=qaryatein, quantity=Decimal("9"), unit="kits")
    factories.delivery(food, "30", delivered_on=datetime.date(2017, 9, 20))
    factories.delivery(food, "20", delivered_on=datetime.date(2017, 9, 25))

    progress = settlement_trends(qaryatein)["progress"]

    entered = timezone.localdate(food.created_at)  # days are Damascus days, as the lists' are
    assert progress["dates"] == sorted({entered, datetime.date(2017, 9, 20), datetime.date(2017, 9, 25)})
    # 100 t entered by staff, 3.5 t of food the first list asked for; not the cancelled or the kits
    assert progress["requested"][-1] == 103.5 and progress["delivered"][-1] == 50
    assert progress["delivered"][progress["dates"].index(datetime.date(2017, 9, 20))] == 30


def test_each_chart_downloads_as_csv(qaryatein, coordinator_client):
    url = reverse("tables:settlement-trends", args=["C2663"])

    people = list(csv.reader(io.StringIO(coordinator_client.get(url, {"chart": "people"}).content.decode())))
    need = list(csv.reader(io.StringIO(coordinator_client.get(url, {"chart": "need"}).content.decode())))

    assert people == [
        ["list_date", "population", "returnees"],
        ["2017-09-11", "1000.0", "20.0"],
        ["2017-09-14", "1500.0", "80.0"],
    ]
    assert need[1] == ["2017-09-11", "3.5", ""]
    assert coordinator_client.get(url, {"chart": "gold"}).status_code == 400


def test_the_api_gives_a_settlements_trends(qaryatein):
    body = api_client(COORDINATOR).get(f"/api/settlements/{qaryatein.pk}/trends/").json()

    assert body["dates"] == ["2017-09-11", "2017-09-14"]
    assert body["figures"]["population"] == [1000.0, 1500.0]
    # the first list's food need became a request the day it was imported
    assert body["progress"] == {"dates": [timezone.localdate().isoformat()], "requested": [3.5], "delivered": [0.0]}
    assert api_client(None).get(f"/api/settlements/{qaryatein.pk}/trends/").status_code == 401


def test_the_settlement_page_carries_its_trends_and_chart_links(qaryatein, coordinator_client):
    page = coordinator_client.get(reverse("tables:settlement", args=["C2663"]))

    html = page.content.decode()
    assert 'id="trends-data"' in html and "chart=people" in html and "chart=progress" in html
    assert page.context["trends"]["figures"]["population"] == [1000, 1500]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_charts_draw_in_the_browser(page, live_server, gazetteer, language):
    a_list("2017-09-11", "Homs,Qaryatein,C2663,1000,20,5,3.5")
    a_list("2017-09-12", "Homs,Qaryatein,C2663,1200,50,7,3.0")
    a_list("2017-09-14", "Homs,Qaryatein,C2663,1500,80,9,2.5")
    qaryatein = Settlement.objects.get(pcode="C2663")
    qaryatein.population = 1700  # staff correct the list's figure: a ring on the day they did
    services.save_record(obj=qaryatein, user=factories.user(role=STAFF, username="amal"))
    food = factories.aid_request(settlement=qaryatein, quantity=Decimal("100"))
    factories.delivery(food, "30", delivered_on=timezone.localdate())
    factories.user(role=COORDINATOR, username="rania")
    log_in(page, live_server, "rania", then=reverse("tables:settlement", args=["C2663"]))
    if language == "ar":
        page.click(".languages button[value=ar]")
        page.wait_for_selector("html[lang=ar][dir=rtl]")

    page.wait_for_selector("figure.trend[data-chart=people][data-drawn]")

    # population, its staff correction, returnees
    assert page.locator("figure.trend[data-chart=people]").get_attribute("data-drawn") == "3"
    assert page.locator("figure.trend[data-chart=progress]").get_attribute("data-drawn") == "2"
    page.locator("#trends").scroll_into_view_if_needed()
    screenshot(page, "settlement-trends" if language == "en" else "ar-settlement-trends")

    page.goto(f"{live_server.url}/?governorate=SY04#trends")
    page.wait_for_selector("figure.trend[data-chart=lists][data-drawn]")
    assert page.locator("figure.trend[data-chart=lists]").get_attribute("data-drawn") == "3"  # three list dates
    assert page.locator("figure.trend[data-chart=weeks]").get_attribute("data-drawn") is not None
    screenshot(page, "dashboard-trends" if language == "en" else "ar-dashboard-trends")


# --- the dashboard's trends: the tables' filters, per list date and per week ----------------------


@pytest.fixture
def three_lists(gazetteer):
    a_list("2017-09-11", "Homs,Qaryatein,C2663,1000,20,5,", "Homs,Mahin,C2664,800,0,1,")
    a_list("2017-09-12", "Homs,Qaryatein,C2663,1000,20,5,", "Aleppo,Ras El Ein Qabli,C2034,2460,232,58,")
    a_list("2017-09-14", "Homs,Qaryatein,C2663,1000,20,5,")


def test_each_list_date_counts_the_settlements_on_it_and_those_added_and_dropped(three_lists):
    body = api_client(COORDINATOR).get("/api/trends/").json()

    assert [(d["date"], d["on_list"], d["added"], d["dropped"]) for d in body["lists"]] == [
        ("2017-09-11", 2, 0, 0),  # the first list is the baseline: nothing is "added" by it
        ("2017-09-12", 2, 1, 1),
        ("2017-09-14", 1, 0, 1),
    ]
    homs = api_client(COORDINATOR).get("/api/trends/", {"governorate": "SY04"}).json()
    assert [(d["on_list"], d["added"], d["dropped"]) for d in homs["lists"]] == [(2, 0, 0), (1, 0, 1), (1, 0, 0)]


def test_each_week_sums_tonnes_requested_delivered_and_pledged(gazetteer):
    from settlements.coordination.models import Pledge

    need = factories.aid_request(settlement=factories.settlement("C2663"), quantity=Decimal("100"))
    factories.aid_request(settlement=factories.settlement("C2034"), quantity=Decimal("7"))  # Aleppo
    factories.delivery(need, "30", delivered_on=datetime.date(2017, 9, 13))  # Wednesday
    factories.delivery(need, "20", delivered_on=datetime.date(2017, 9, 18))  # the Monday after
    Pledge.objects.create(organization=factories.organization(), request=need, quantity=Decimal("25"), unit="t")

    weeks = api_client(COORDINATOR).get("/api/trends/", {"governorate": "SY04"}).json()["weeks"]

    by_week = {w["week"]: w for w in weeks}
    assert by_week["2017-09-11"]["delivered"] == 30 and by_week["2017-09-18"]["delivered"] == 20
    this_week = by_week[(timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())).isoformat()]
    assert (this_week["requested"], this_week["pledged"]) == (100, 25)  # Aleppo's 7 t filtered out


def test_the_dashboard_charts_its_trends_with_their_csv(three_lists, coordinator_client):
    page = coordinator_client.get("/", {"governorate": "SY04"})
    lists = coordinator_client.get(reverse("trends-csv"), {"chart": "lists", "governorate": "SY04"})

    assert [row["on_list"] for row in page.context["chart"]["trends"]["lists"]] == [2, 1, 1]
    assert "trends.csv?governorate=SY04&amp;chart=lists" in page.content.decode()
    assert lists.content.decode().splitlines() == [
        "date,on_list,added,dropped",
        "2017-09-11,2,0,0",
        "2017-09-12,1,0,1",
        "2017-09-14,1,0,0",
    ]
    assert coordinator_client.get(reverse("trends-csv"), {"chart": "gold"}).status_code == 400
    assert api_client(COORDINATOR).get("/api/trends/", {"governorate": "SY99"}).status_code == 400


def test_the_sample_lists_make_run_imports_give_four_days_of_trends(gazetteer):
    """make run imports the four shipped samples in date order (the Makefile's `run` target)."""
    from settlements.importing.service import import_from_source
    from settlements.insights.trends import list_trends
    from tests.conftest import ROOT

    makefile = (ROOT / "Makefile").read_text()
    samples = [line.split()[-1] for line in makefile.splitlines() if "import_settlement_list" in line]
    for sample in samples:
        assert import_from_source(str(ROOT / sample)).run.status == "succeeded", sample

    days = list_trends(Settlement.objects.all())

    assert [day["date"].isoformat() for day in days] == ["2017-09-11", "2017-09-12", "2017-09-13", "2017-09-14"]
    assert (days[1]["added"], days[1]["dropped"]) == (4, 3)
    assert days[2]["on_list"] > 30  # the Russian list, matched by name
    assert days[3]["on_list"] == 70  # the restoration list: water, electricity and demining
    assert Settlement.objects.filter(demining="cleared", governorate__pcode="SY02").count() == 8


def test_a_camps_population_as_staff_recorded_it_and_its_tonnes_over_time(gazetteer, coordinator_client):
    camp = factories.camp(name_en="Rukban", population=50000)
    camp.history.update(history_date=datetime.datetime(2017, 9, 1, 12, tzinfo=datetime.UTC))  # assessed then
    camp.population = 42000
    services.save_record(obj=camp, user=factories.user(role=STAFF))
    need = factories.aid_request(camp=camp, quantity=Decimal("700"))
    factories.delivery(need, "180", delivered_on=datetime.date(2017, 9, 20))

    found = trends.camp_trends(camp)
    people = coordinator_client.get(reverse("tables:camp-trends", args=[camp.pk]), {"chart": "people"})
    page = coordinator_client.get(reverse("tables:camp", args=[camp.pk]))

    assert found["dates"] == [datetime.date(2017, 9, 1), timezone.localdate()]
    assert found["figures"]["population"] == [50000, 42000]
    assert found["progress"]["requested"][-1] == 700 and found["progress"]["delivered"][-1] == 180
    assert people.content.decode().splitlines()[1:] == ["2017-09-01,50000", f"{timezone.localdate()},42000"]
    assert 'id="trends-data"' in page.content.decode()
