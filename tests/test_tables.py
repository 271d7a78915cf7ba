"""The tables, detail pages, dashboard and exports coordinators use for meetings."""

import csv
import datetime
import io
import json
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from settlements import pagination, services
from settlements.importing.service import import_from_source
from settlements.models import AidRequest, Camp, Settlement
from tests import factories
from tests.paths import DAILY_LISTS

pytestmark = pytest.mark.django_db

Priority = AidRequest.Priority


def body(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(client, url, **params) -> list[dict]:
    text = body(client.get(url, {**params, "export": "csv"})).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def page_rows(client, url, **params) -> list[dict]:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.context["page"].object_list


@pytest.fixture
def needs():
    """Needs at Qaryatein (Homs), Oqeirbat (Hama) and a camp in Homs, with one delivery."""
    homs, hama = factories.settlement("C2663"), factories.settlement("C3315")
    homs.on_latest_list, homs.last_confirmed, homs.population = True, datetime.date.today(), 12000
    homs.save()
    hama.last_confirmed, hama.population = datetime.date.today() - datetime.timedelta(days=30), 4000
    hama.save()
    camp = factories.camp(name_en="Rukban", name_ar="الركبان", population=50000)
    food = factories.aid_request(settlement=homs, category="food", quantity=Decimal("100"), priority=Priority.HIGH)
    services.record_delivery(request=food, quantity=Decimal("40"), delivered_on=datetime.date(2017, 9, 20))
    medicine = factories.aid_request(settlement=hama, category="medicine", quantity=Decimal("8"), priority=4)
    tents = factories.aid_request(camp=camp, category="shelter", quantity=Decimal("500"), unit="kits", priority=2)
    return {"homs": homs, "hama": hama, "camp": camp, "food": food, "medicine": medicine, "tents": tents}


# Sorting


def test_settlements_sort_by_population_both_ways(coordinator_client, needs):
    url = reverse("tables:settlements")
    ascending = [r["pcode"] for r in page_rows(coordinator_client, url, sort="population")]
    descending = [r["pcode"] for r in page_rows(coordinator_client, url, sort="-population")]
    # Settlements without a population figure come last either way.
    assert descending[:2] == ["C2663", "C3315"]
    assert ascending[:2] == ["C3315", "C2663"]


def test_requests_and_camps_sort_by_their_columns(coordinator_client, needs):
    requests = page_rows(coordinator_client, reverse("tables:requests"), sort="-quantity")
    assert [r["pk"] for r in requests] == [needs["tents"].pk, needs["food"].pk, needs["medicine"].pk]
    by_priority = page_rows(coordinator_client, reverse("tables:requests"), sort="priority")
    assert [r["priority"] for r in by_priority] == [2, 3, 4]
    second = factories.camp(name_en="Akerbat", population=10000)
    camps = page_rows(coordinator_client, reverse("tables:camps"), sort="population")
    assert [r["pk"] for r in camps] == [second.pk, needs["camp"].pk]


# Filters: one meaning on every table


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"governorate": "SY04"}, {"C2663"}),
        ({"district": "SY0503"}, {"C3315"}),
        ({"category": "medicine"}, {"C3315"}),
        ({"priority": "4"}, {"C3315"}),
        ({"priority": "3"}, {"C2663"}),
        ({"status": "partial"}, {"C2663"}),
        ({"on_list": "true"}, {"C2663"}),
        ({"stale": "true"}, {"C3315"}),
        ({"stale": "false"}, {"C2663"}),
        ({"q": "C2663"}, {"C2663"}),
    ],
)
def test_settlement_filters(coordinator_client, needs, params, expected):
    """Of the two settlements with needs, each filter keeps the expected ones."""
    rows = csv_rows(coordinator_client, reverse("tables:settlements"), **params)
    found = {row["P-code"] for row in rows}
    assert found & {"C2663", "C3315"} == expected
    if "governorate" in params or "district" in params:
        area = params.get("governorate") or params.get("district")
        assert len(found) == Settlement.objects.filter(Q(governorate__pcode=area) | Q(district__pcode=area)).count()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"governorate": "SY04"}, {"food", "tents"}),
        ({"governorate": "SY05"}, {"medicine"}),
        ({"category": "shelter"}, {"tents"}),
        ({"priority": "4"}, {"medicine"}),
        ({"status": "partial"}, {"food"}),
        ({"on_list": "true"}, {"food"}),
        ({"stale": "true"}, {"medicine"}),
        ({"target": "camp"}, {"tents"}),
        ({"source": "daily_list"}, set()),
        ({"q": "Rukban"}, {"tents"}),
    ],
)
def test_request_filters(coordinator_client, needs, params, expected):
    rows = csv_rows(coordinator_client, reverse("tables:requests"), **params)
    by_pk = {needs[name].pk: name for name in ("food", "medicine", "tents")}
    assert {by_pk[int(row["ID"])] for row in rows} == expected


def test_camp_filters(coordinator_client, needs):
    factories.camp(name_en="Closed camp", status=Camp.Status.CLOSED, governorate=factories.governorate("SY05"))
    url = reverse("tables:camps")
    assert [r["Name"] for r in csv_rows(coordinator_client, url, camp_status="closed")] == ["Closed camp"]
    assert [r["Name"] for r in csv_rows(coordinator_client, url, category="shelter")] == ["Rukban"]
    assert [r["Name"] for r in csv_rows(coordinator_client, url, governorate="SY04")] == ["Rukban"]
    assert [r["Name"] for r in csv_rows(coordinator_client, url, q="الركبان")] == ["Rukban"]


def test_search_finds_settlements_in_arabic_and_russian(coordinator_client):
    qaryatein = factories.settlement("C2663")
    url = reverse("tables:settlements")
    assert "C2663" in {r["P-code"] for r in csv_rows(coordinator_client, url, q=qaryatein.name_ar)}
    russian = {r["P-code"] for r in csv_rows(coordinator_client, url, q="Карьятейн")}
    assert "C2663" in russian and len(russian) < 5


def test_a_filter_value_that_means_nothing_shows_the_error_and_no_rows(coordinator_client, needs):
    response = coordinator_client.get(reverse("tables:requests"), {"governorate": "nowhere"})
    assert response.status_code == 400
    assert list(response.context["page"].object_list) == []
    assert b"Select a valid choice" in response.content
    export = coordinator_client.get(reverse("tables:requests"), {"governorate": "nowhere", "export": "csv"})
    assert export.status_code == 400


# Totals, progress and deliveries


def test_the_requests_table_totals_tonnes_and_shows_deliveries_under_each_request(coordinator_client, needs):
    response = coordinator_client.get(reverse("tables:requests"))
    totals = dict(response.context["totals"])
    assert totals["Tonnes requested"] == Decimal("108")
    assert totals["Tonnes delivered"] == Decimal("40")
    assert totals["Tonnes still needed"] == Decimal("68")
    assert totals["Open requests"] == 3
    food_row = next(r for r in response.context["page"].object_list if r["pk"] == needs["food"].pk)
    assert [str(d.quantity) for d in food_row["deliveries"]] == ["40.00"]
    assert b'<progress max="100.00" value="40.00"' in response.content


def test_the_settlements_table_totals_people(coordinator_client, needs):
    response = coordinator_client.get(reverse("tables:settlements"), {"governorate": "SY04"})
    assert dict(response.context["totals"])["People"] == 12000  # Qaryatein; Oqeirbat is in Hama


# Pagination


def test_pages_do_not_repeat_or_skip_rows(coordinator_client):
    url = reverse("tables:settlements")
    first = [r["pk"] for r in page_rows(coordinator_client, url, governorate="SY04", sort="population")]
    second = [r["pk"] for r in page_rows(coordinator_client, url, governorate="SY04", sort="population", page=2)]
    assert len(first) == len(second) == 50
    assert not set(first) & set(second)


def test_a_large_result_gets_an_estimated_count(coordinator_client, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 100)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE settlements_settlement")
    response = coordinator_client.get(reverse("tables:settlements"))
    assert response.context["paginator"].estimated
    # The planner's estimate is close to the truth for an unfiltered table.
    assert abs(response.context["paginator"].count - Settlement.objects.count()) < 600
    assert b"About " in response.content
    small = coordinator_client.get(reverse("tables:settlements"), {"governorate": "SY14"})
    assert not small.context["paginator"].estimated


@pytest.mark.parametrize("rows", [4, 40])
def test_table_pages_run_a_fixed_number_of_queries(coordinator_client, django_assert_num_queries, rows):
    camp = factories.camp()
    for settlement in Settlement.objects.order_by("pk")[:rows]:
        request = factories.aid_request(settlement=settlement)
        factories.delivery(request, "1")
        factories.aid_request(camp=camp, category="water", quantity=1)
    # session, user, two permission queries; then count, the page's keys, its rows, totals, the
    # filter form's three lists (governorates, districts, sub-districts) and the unread notices in
    # the navigation; requests also fetch the page's deliveries in one query and total in two
    # (tonnes, open requests).
    with django_assert_num_queries(12):
        coordinator_client.get(reverse("tables:settlements"), {"category": "food"})
    with django_assert_num_queries(12):
        coordinator_client.get(reverse("tables:camps"))
    with django_assert_num_queries(14):
        coordinator_client.get(reverse("tables:requests"))


def test_the_filter_form_is_cached_per_filters_language_and_data(coordinator_client):
    from settlements.caching import data_changed
    from settlements.models import AdminArea

    def form(**params) -> str:
        page = coordinator_client.get(reverse("tables:settlements"), params).content.decode()
        return page[page.index('<form class="filters"') : page.index("</form>", page.index('<form class="filters"'))]

    assert '<option value="SY04" selected translate="no">Homs</option>' in form(governorate="SY04")
    other = form(governorate="SY07")
    assert '<option value="SY07" selected ' in other and '<option value="SY04" selected ' not in other
    arabic = coordinator_client.get(reverse("tables:settlements"), {"governorate": "SY04"}, HTTP_ACCEPT_LANGUAGE="ar")
    assert '<option value="SY04" selected translate="no">حمص</option>' in arabic.content.decode()

    AdminArea.objects.filter(pcode="SY04").update(name_en="Homs (renamed)")
    data_changed()  # as every write does once committed
    assert '<option value="SY04" selected translate="no">Homs (renamed)</option>' in form(governorate="SY04")


def test_a_table_page_is_built_once_per_data_version_query_and_language(coordinator_client, needs):
    from settlements.caching import data_changed

    def rows_of(response) -> str:
        page = response.content.decode()
        return page[page.index("<tbody>") : page.index("</tbody>")]

    url = reverse("tables:requests")
    fresh = coordinator_client.get(url, {"category": "food"})
    assert "100" in rows_of(fresh)
    # Behind the application's back (no write through it, so no new data version): the page is
    # served as it was built, with the rows and the count the context gives.
    AidRequest.objects.filter(pk=needs["food"].pk).update(quantity=Decimal("321"))
    with CaptureQueriesContext(connection) as queries:
        cached = coordinator_client.get(url, {"category": "food"})
    assert rows_of(cached) == rows_of(fresh)
    assert [row["quantity"] for row in cached.context["page"].object_list] == [Decimal("100")]
    assert cached.context["paginator"].count == 1
    assert not any("settlements_aidrequest" in query["sql"] for query in queries.captured_queries)
    # Another query, another page, another language: each built for itself.
    assert "321" in rows_of(coordinator_client.get(url, {"category": "food", "sort": "-priority"}))
    arabic = rows_of(coordinator_client.get(url, {"category": "food"}, HTTP_ACCEPT_LANGUAGE="ar"))
    assert "321" in arabic and "غذاء" in arabic and ">food<" not in arabic.replace(" ", "").replace("\n", "")
    data_changed()  # as every write does once committed
    assert "321" in rows_of(coordinator_client.get(url, {"category": "food"}))


def test_a_page_of_filters_that_mean_nothing_answers_400_fresh_and_cached(coordinator_client, needs):
    for attempt in ("built", "from the cache"):
        response = coordinator_client.get(reverse("tables:requests"), {"priority": "urgent"})
        assert response.status_code == 400, attempt
        assert list(response.context["page"].object_list) == [], attempt


@pytest.mark.parametrize("name", ["settlements", "requests"])
def test_hostile_filter_values_are_escaped_in_the_filter_form_fresh_and_cached(coordinator_client, name):
    hostile = '"><script>alert(1)</script>'
    for attempt in ("rendered", "from the cache"):
        page = coordinator_client.get(reverse(f"tables:{name}"), {"sort": hostile, "q": hostile}).content.decode()
        assert "<script>alert(1)</script>" not in page, attempt
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, attempt


# Exports


def test_every_export_format_holds_exactly_the_filtered_rows(coordinator_client, needs):
    url = reverse("tables:requests")
    params = {"governorate": "SY04"}
    expected = {needs["food"].pk, needs["tents"].pk}

    rows = csv_rows(coordinator_client, url, **params)
    assert {int(r["ID"]) for r in rows} == expected
    food_row = next(r for r in rows if int(r["ID"]) == needs["food"].pk)
    assert (food_row["Requested"], food_row["Delivered"], food_row["Gap"]) == ("100", "40", "60")

    hxl = body(coordinator_client.get(url, {**params, "export": "hxl"})).decode().splitlines()
    assert hxl[1].startswith("#activity+id,#loc+name,#loc+code,#adm1+name,#adm1+code,#sector")
    assert {int(line.split(",")[0]) for line in hxl[2:]} == expected

    geojson = json.loads(body(coordinator_client.get(url, {**params, "export": "geojson"})))
    assert {f["id"] for f in geojson["features"]} == expected
    food = next(f for f in geojson["features"] if f["id"] == needs["food"].pk)
    assert food["properties"]["gap"] == 60.0 and food["geometry"]["type"] == "Point"

    response = coordinator_client.get(url, {**params, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "ID"
    assert {row[0] for row in rows[1:]} == expected


def test_exports_sum_progress_in_bulk_and_pages_look_it_up_per_request(needs):
    """A million-request export reads every request's progress: summed once per request in bulk
    (RequestProgressInBulk), not looked up request by request as a page of fifty does. The figures
    are the same (test_pledges checks both views on each rule of the gap)."""
    from settlements.tables import REQUESTS

    exported = str(REQUESTS.exported(AidRequest.objects.all()).query)
    page = str(REQUESTS.rows(AidRequest.objects.filter(pk__in=[needs["food"].pk])).query)
    assert '"settlements_requestprogress_bulk"' in exported and '"settlements_requestprogress"' not in exported
    assert '"settlements_requestprogress"' in page and "_bulk" not in page
    figures = ("delivered", "gap", "pledged", "uncovered")
    by_export = {row["pk"]: [row[f] for f in figures] for row in REQUESTS.exported(AidRequest.objects.all())}
    by_page = {row["pk"]: [row[f] for f in figures] for row in REQUESTS.rows(AidRequest.objects.all())}
    assert by_export == by_page and by_export[needs["food"].pk][:2] == [Decimal("40"), Decimal("60")]


def test_export_file_names_carry_the_date_and_the_filter(coordinator_client, needs):
    response = coordinator_client.get(reverse("tables:settlements"), {"governorate": "SY04", "export": "xlsx"})
    today = datetime.date.today().isoformat()
    assert f'filename="aidtrack-settlements-{today}-governorate-SY04.xlsx"' in response["Content-Disposition"]


def test_the_excel_csv_starts_with_a_byte_order_mark(coordinator_client, needs):
    data = body(coordinator_client.get(reverse("tables:camps"), {"export": "csv", "bom": "1"}))
    assert data.startswith("\ufeff".encode()) and "الركبان".encode() in data
    assert not body(coordinator_client.get(reverse("tables:camps"), {"export": "csv"})).startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"])
def test_spreadsheet_formulas_in_cells_are_neutralised(coordinator_client, hostile):
    factories.camp(name_en=hostile)
    url = reverse("tables:camps")
    assert csv_rows(coordinator_client, url)[0]["Name"] == "'" + hostile
    sheet = load_workbook(io.BytesIO(body(coordinator_client.get(url, {"export": "xlsx"}))), read_only=True).active
    assert list(sheet.iter_rows(values_only=True))[1][0] == "'" + hostile


def test_numbers_stay_numbers_in_the_spreadsheet(coordinator_client, needs):
    """Only text is neutralised: figures keep their type, so a spreadsheet can sum them."""
    response = coordinator_client.get(reverse("tables:requests"), {"export": "xlsx", "target": "camp"})
    rows = list(load_workbook(io.BytesIO(body(response)), read_only=True).active.iter_rows(values_only=True))
    header, tents = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[6] == "Requested"
    assert tents["Requested"] == 500 and isinstance(tents["Latitude"], float)
    assert tents["For"] == "Rukban"


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("name", ["settlements", "camps", "requests"])
def test_postgresql_writes_each_cell_as_the_python_writer_would(needs, name, language):
    """The CSV PostgreSQL writes (COPY) holds, cell for cell, what formats.cell makes of each row:
    choice labels and yes/no in the interface language, 700.00 as 700, formulas neutralised, empty
    cells empty. Coordinates, rounded to six places, may differ in the last place (PostgreSQL rounds
    the decimal, Python the binary value) and write 36 where Python writes 36.0."""
    from django.utils import translation

    from settlements.exports import copying, formats
    from settlements.tables import TABLES, stable_order

    factories.camp(name_en="=HYPERLINK(1)", name_ar="", status="closed", capacity=None)
    needs["homs"].houses_destroyed, needs["homs"].notes = 7, "-"
    needs["homs"].save()
    table = TABLES[name]
    with translation.override(language):
        rows = table.rows(stable_order(table.filterset(queryset=table.model.objects.all()).qs))
        by_copy = list(csv.reader(io.StringIO(b"".join(copying.csv_chunks(table, rows, hxl=True)).decode())))
        by_python = list(csv.reader(io.StringIO("".join(formats.csv_lines(table, list(rows), hxl=True)))))

    assert len(by_copy) == len(by_python) >= 3
    numeric = {index for index, column in enumerate(table.columns) if column.key in ("lat", "lon")}
    assert by_copy[:2] == by_python[:2]  # headers and HXL tags
    for copied, written in zip(by_copy[2:], by_python[2:], strict=True):
        for index, (a, b) in enumerate(zip(copied, written, strict=True)):
            same = abs(float(a) - float(b)) < 1.5e-6 if index in numeric and a else a == b
            assert same, (table.columns[index].key, a, b)


@pytest.mark.parametrize(
    ("name", "sort"),
    [
        ("requests", "-needed_by"),
        ("requests", "needed_by"),
        ("requests", "-quantity"),
        ("requests", "category"),
        ("requests", "-id"),
        ("requests", "created"),  # not a column of the file: sorted inside, as the table is
        ("settlements", "-population"),
        ("settlements", "name"),
        ("settlements", "-governorate"),
        ("camps", "capacity"),
    ],
)
def test_postgresql_writes_the_rows_in_the_order_of_every_sort(needs, name, sort):
    """COPY sorts the rows after building them (copying.formatted_select); the file keeps the
    table's order, empty values last either way, ties by id."""
    from settlements.exports import copying, formats
    from settlements.tables import TABLES, stable_order

    for number in range(4):  # ties, and requests with no date, among the fixture's
        factories.aid_request(settlement=needs["hama"], category="water", quantity=7, needed_by=None)
        factories.aid_request(camp=needs["camp"], quantity=7, needed_by=datetime.date(2017, 10, number + 1))
        factories.camp(name_en=f"Camp {number}", capacity=None if number % 2 else 100 * (number + 1))
    table = TABLES[name]
    rows = table.rows(stable_order(table.filterset({"sort": sort}, queryset=table.model.objects.all()).qs))
    by_copy = list(csv.reader(io.StringIO(b"".join(copying.csv_chunks(table, rows)).decode())))
    by_python = list(csv.reader(io.StringIO("".join(formats.csv_lines(table, list(rows))))))

    assert len(by_copy) > 4
    assert [row[0] for row in by_copy] == [row[0] for row in by_python]


def test_a_streamed_export_holds_a_bounded_number_of_rows_in_memory(coordinator_client):
    """60,000 requests export while Python holds at most a few thousand rows at a time: the chunks
    waiting for the client (copying.QUEUE_CHUNKS of CHUNK_BYTES), the one being gathered and the one
    being sent, whatever the export's size."""
    from settlements.exports.copying import CHUNK_BYTES, QUEUE_CHUNKS

    many_requests()
    quarter = export_peak(coordinator_client, priority=1)
    everything = export_peak(coordinator_client)
    assert everything["lines"] == 60_001 and quarter["lines"] == 15_001
    assert everything["size"] > 6_000_000
    # Four times the rows, no more memory than the queue allows: rows pass through, they do not pile up.
    bound = (QUEUE_CHUNKS + 3) * CHUNK_BYTES
    assert quarter["peak"] < bound and everything["peak"] < bound < everything["size"] / 2, (quarter, everything)


@pytest.mark.django_db(transaction=True)
def test_a_client_leaving_mid_export_stops_postgresql_copying_and_the_next_request_is_served(
    gazetteer, coordinator_client
):
    many_requests()
    response = coordinator_client.get(reverse("tables:requests"), {"export": "csv"})
    chunks = iter(response.streaming_content)
    assert b"ID," in next(chunks) and len(next(chunks)) > 0

    response.close()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%%' AND state = 'active'")
        assert cursor.fetchone()[0] == 0
    assert len(csv_rows(coordinator_client, reverse("tables:requests"), priority=1)) == 15_000


def many_requests():
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO settlements_aidrequest (settlement_id, category, quantity, unit, priority, status,
                   status_set_by_staff, source, description, created_at, updated_at)
               SELECT s.id, 'food', 1 + g % 50, 't', 1 + g % 4, 'open', false, 'manual', repeat('x', 200), now(), now()
               FROM generate_series(1, 60000) g
               JOIN settlements_settlement s ON s.id = (SELECT min(id) FROM settlements_settlement) + g % 3000"""
        )


def export_peak(client, **params) -> dict[str, int]:
    response = client.get(reverse("tables:requests"), {**params, "export": "csv"})
    assert response.streaming
    tracemalloc.start()
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"size": size, "lines": lines, "peak": peak}


# Access


def test_coordinators_see_no_edit_links(coordinator_client, needs):
    detail = coordinator_client.get(reverse("tables:settlement", args=["C2663"]))
    assert detail.status_code == 200
    assert b"Edit in admin" not in detail.content
    assert b"/admin/settlements/aidrequest/" not in detail.content


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/", "/map/", "/settlements/", "/camps/", "/requests/", "/settlements/?export=csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_staff_see_edit_links_on_detail_pages(staff_client, needs):
    detail = staff_client.get(reverse("tables:settlement", args=["C2663"]))
    assert reverse("admin:settlements_settlement_change", args=[needs["homs"].pk]).encode() in detail.content
    assert reverse("admin:settlements_aidrequest_change", args=[needs["food"].pk]).encode() in detail.content


# Detail pages


def test_a_settlement_page_shows_its_needs_deliveries_and_daily_list_history(coordinator_client):
    import_from_source(str(DAILY_LISTS / "2017-09-11" / "settlement-list.csv"))
    import_from_source(str(DAILY_LISTS / "2017-09-12" / "settlement-list.csv"))
    listed = Settlement.objects.filter(on_latest_list=True).order_by("pcode").first()
    response = coordinator_client.get(reverse("tables:settlement", args=[listed.pcode]))
    assert response.status_code == 200
    dates = [entry.snapshot.list_date for entry in response.context["listings"]]
    assert dates == sorted(dates, reverse=True) and datetime.date(2017, 9, 12) in dates
    # What the source said that day, cell by cell.
    first = response.context["listings"][0]
    for value in list(first.raw.values())[:3]:
        assert str(value).encode() in response.content
    assert len(response.context["open_requests"]) == listed.aid_requests.filter(status="open").count()


def test_a_camp_page_shows_requests_deliveries_and_edit_history(staff_client, needs):
    camp = needs["camp"]
    camp.population = 52000
    camp.save()
    response = staff_client.get(reverse("tables:camp", args=[camp.pk]))
    assert response.status_code == 200
    assert [r.pk for r in response.context["open_requests"]] == [needs["tents"].pk]
    assert [h.population for h in response.context["camp_history"]][:2] == [52000, 50000]
    assert b"Rukban" in response.content and "الركبان".encode() in response.content


def test_a_missing_settlement_is_a_404(coordinator_client):
    assert coordinator_client.get(reverse("tables:settlement", args=["C0"])).status_code == 404


# Dashboard


def test_the_dashboard_headlines_and_most_critical_needs(coordinator_client, needs):
    factories.camp(name_en="Closed", population=999, status=Camp.Status.CLOSED)
    response = coordinator_client.get("/")
    figures = response.context["figures"]
    assert figures["settlements_listed"] == Settlement.objects.filter(on_latest_list=True).count() == 1
    assert figures["people_in_camps"] == 50000
    assert figures["open_requests"] == 3
    assert {row["category"]: row["count"] for row in figures["open_by_category"]} == {
        "food": 1,
        "medicine": 1,
        "shelter": 1,
    }
    assert (figures["tonnes_requested"], figures["tonnes_delivered"], figures["coverage"]) == (108, 40, 37.0)
    chart = response.context["chart"]["governorates"]
    assert {row["governorate"]: row["requested"] for row in chart} == {"Homs": 100, "Hama": 8}
    # One cached picture, its names in each page's language.
    arabic = coordinator_client.get("/", HTTP_ACCEPT_LANGUAGE="ar").context["chart"]["governorates"]
    assert {row["governorate"] for row in arabic} == {"حمص", "حماة"}
    critical = list(response.context["critical"])
    assert [r.pk for r in critical] == [needs["medicine"].pk, needs["food"].pk, needs["tents"].pk]
    assert b'id="chart-data"' in response.content


def test_the_dashboard_warns_when_the_daily_list_is_stale(coordinator_client):
    response = coordinator_client.get("/")
    assert response.context["freshness"].stale
    assert b"No daily list has been imported yet" in response.content
