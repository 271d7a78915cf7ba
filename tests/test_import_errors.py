"""Bad input gets a clear error and loses nothing."""

import datetime
import gc
import io
import json
import time
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from settlements.importing import service
from settlements.importing.service import import_list
from settlements.matching import name_keys
from settlements.models import AidRequest, ImportRun, ListEntry, ListSnapshot, Settlement, SettlementAlias

pytestmark = pytest.mark.django_db

HEADER = "Governorate,Settlement,P-code,Latitude,Longitude,Population,Food need (t)\n"
GOOD = "Hama,Oqeirbat,C3315,35.0427,37.4634,900,2.5\n"


def csv_list(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(rows)).encode()


def run_of(content: bytes, name="list-2017-09-20.csv", **options):
    return import_list(content, source=name, **options).run


def database_state():
    return (
        ImportRun.objects.exclude(status="failed").count(),
        ListSnapshot.objects.count(),
        ListEntry.objects.count(),
        AidRequest.objects.count(),
        Settlement.objects.count(),
        Settlement.objects.filter(on_latest_list=True).count(),
        list(Settlement.objects.filter(pcode="C3315").values_list("population", flat=True)),
    )


class TestWholeFileFailures:
    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "The file is empty."),
            (b"  \r\n", "The file is empty."),
            (HEADER.encode(), "header but no rows"),
            (b"Population,Returnees\n100,3\n", "no column that identifies a settlement"),
            (b'{"date": "2017-09-20", "count": 3}', "not a list of settlements"),
            (b"[1, 2, 3]", "not a list of settlements"),
            (b'{"settlements": [', "The JSON cannot be read"),
            (b"PK\x03\x04 truncated", "cannot be opened"),
        ],
    )
    def test_it_fails_whole_with_a_message_and_writes_nothing_else(self, content, message):
        before = database_state()

        run = run_of(content)

        assert run.status == "failed"
        assert message in run.error
        assert database_state() == before
        assert ImportRun.objects.get(pk=run.pk).error == run.error

    def test_the_missing_column_message_lists_the_columns_found(self):
        run = run_of(b"Population;Returnees\n100;3\n")

        assert "P-code column or a settlement name column" in run.error
        assert "Columns found: Population, Returnees" in run.error

    def test_a_workbook_without_a_settlement_header_fails(self):
        workbook = Workbook()
        workbook.active.append(["Totals", 12])
        buffer = io.BytesIO()
        workbook.save(buffer)

        run = run_of(buffer.getvalue(), name="totals.xlsx")

        assert run.status == "failed"
        assert "No sheet" in run.error

    def test_a_zip_bomb_is_refused_before_it_is_unpacked(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 200_000_000)

        run = run_of(buffer.getvalue(), name="bomb.xlsx")

        assert run.status == "failed"
        assert "zip bomb" in run.error

    def test_an_xml_entity_bomb_in_a_workbook_is_refused(self):
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>'
        )
        buffer = io.BytesIO()
        workbook = Workbook()
        workbook.save(buffer)
        patched = io.BytesIO()
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(patched, "w") as target:
            for item in source.infolist():
                data = bomb.encode() if item.filename == "xl/workbook.xml" else source.read(item)
                target.writestr(item, data)

        run = run_of(patched.getvalue(), name="bomb.xlsx")

        # openpyxl parses without resolving entities: the bomb never expands and the file has no list.
        assert run.status == "failed"
        assert "lol" not in run.error

    def test_an_xml_entity_bomb_in_a_word_document_never_expands(self):
        """A billion-laughs document.xml: python-docx's parser does not resolve entities."""
        from docx import Document

        laughs = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
        buffer = io.BytesIO()
        Document().save(buffer)
        patched = io.BytesIO()
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(patched, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "word/document.xml":
                    text = data.decode()
                    text = text.replace("?>", f"?><!DOCTYPE w:document [{laughs}]>", 1)
                    text = text.replace("<w:body>", "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>", 1)
                    data = text.encode()
                target.writestr(item, data)

        started = time.monotonic()
        run = run_of(patched.getvalue(), name="bomb.docx")

        assert run.status == "failed"
        assert "lollollol" not in run.error
        assert time.monotonic() - started < 10  # 10^9 laughs would take minutes and gigabytes

    def test_a_file_over_the_size_cap_is_refused_before_reading(self, tmp_path, settings):
        settings.IMPORT_MAX_BYTES = 100
        listing = tmp_path / "big.csv"
        listing.write_bytes(csv_list(*[GOOD] * 10))

        with pytest.raises(CommandError, match="larger than the"):
            call_command("import_settlement_list", str(listing))

        assert ImportRun.objects.get().status == "failed"


class TestRowErrors:
    def test_bad_rows_are_skipped_with_row_numbers_and_the_rest_imported(self):
        content = csv_list(
            GOOD,
            "Homs,Qaryatein,C2663,34.2,37.2,many,1\n",
            "Homs,Al Qusayr,C2623,34.5,36.6,-40,1\n",
            "Homs,Tadmor,C2889,48.85,2.35,100,1\n",
            "Hama,Oqeirbat,C3315,35.0427,37.4634,950,2.5\n",
            "Homs,Sakher Hit,C2711\n",
            "Homs,Kafr Laha,,,,300,0.5\n",
        )

        run = run_of(content)

        assert run.status == "succeeded"
        assert (run.rows, run.matched, run.errors) == (7, 2, 5)
        messages = [e["message"] for e in run.row_errors]
        assert messages[0] == "Row 3: Population: 'many' is not a number"
        assert messages[1] == "Row 4: Population: -40 is negative"
        assert messages[2] == "Row 5: the coordinates 48.85, 2.35 are outside Syria"
        assert messages[3] == "Row 6: P-code C3315 is also on row 2"
        assert messages[4] == "Row 7: has 3 cells where the header has 7"
        assert Settlement.objects.get(pcode="C3315").population == 900
        assert Settlement.objects.get(pcode="C2556").population == 300  # matched by name within Homs
        assert Settlement.objects.get(pcode="C2623").population is None  # a skipped row changes nothing
        assert ListEntry.objects.filter(outcome="error").count() == 5

    def test_numbers_no_column_can_hold_are_row_errors_not_a_crash(self):
        content = csv_list(
            "Homs,Qaryatein,C2663,34.2,37.2,99999999999,1\n",
            "Homs,Al Qusayr,C2623,34.5,36.6,100,123456789012345678901234567890\n",
            "Homs,Tadmor,C2889,34.55,38.27,NaN,1\n",
            "Homs,Sakher Hit,C2711,34.6,37.9,200,Infinity\n",
            GOOD,
        )

        run = run_of(content)

        assert run.status == "succeeded"
        assert (run.rows, run.matched, run.errors) == (5, 1, 4)
        assert [e["message"] for e in run.row_errors] == [
            "Row 2: Population: 99999999999 is larger than 2,147,483,647",
            "Row 3: Food need (t): 123456789012345678901234567890 is larger than a quantity can be "
            "(10,000,000,000 or more)",
            "Row 4: Population: 'NaN' is not a number",
            "Row 5: Food need (t): 'Infinity' is not a number",
        ]
        assert Settlement.objects.get(pcode="C3315").population == 900

    def test_the_json_report_follows_the_command_contract(self, tmp_path, capsys):
        listing = tmp_path / "list-2017-09-20.csv"
        listing.write_bytes(csv_list(GOOD, "Homs,Qaryatein,C2663,34.2,37.2,many,1\n"))
        report = tmp_path / "report.csv"

        call_command("import_settlement_list", str(listing), "--json", "--report", str(report))

        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert summary["status"] == "succeeded"
        assert {k: summary[k] for k in ("rows", "matched", "created", "unmatched", "errors")} == {
            "rows": 2,
            "matched": 1,
            "created": 0,
            "unmatched": 0,
            "errors": 1,
        }
        assert summary["error"] == ""
        lines = report.read_text().splitlines()
        assert lines[0] == "row,status,pcode,settlement,score,message"
        assert lines[1] == "2,matched,C3315,Oqeirbat,100,"
        assert lines[2].startswith("3,error,C2663,,,Row 3: Population")

    def test_a_failed_import_exits_non_zero_with_json(self, tmp_path, capsys):
        listing = tmp_path / "empty.csv"
        listing.write_bytes(b"")

        with pytest.raises(CommandError):
            call_command("import_settlement_list", str(listing), "--json")

        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert (summary["status"], summary["error"]) == ("failed", "The file is empty.")


class TestNothingPartial:
    def test_a_crash_in_the_middle_leaves_the_database_as_it_was(self, monkeypatch):
        run_of(csv_list(GOOD), name="list-2017-09-19.csv")
        before = database_state()

        def crash(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(service, "_apply_needs", crash)
        content = csv_list("Hama,Oqeirbat,C3315,35.0427,37.4634,5000,9\n", "Homs,Qaryatein,C2663,,,700,1\n")

        with pytest.raises(RuntimeError):
            run_of(content, name="list-2017-09-20.csv")

        assert database_state() == before
        assert gc.isenabled()  # the import pauses the cyclic collector; a worker must get it back
        failed = ImportRun.objects.get(status="failed")
        assert "disk full" in failed.error
        assert "nothing was written" in failed.error

    def test_the_cyclic_collector_is_paused_while_rows_are_read_and_back_after(self, monkeypatch):
        seen = []
        parse = service.RowParser.__call__
        monkeypatch.setattr(service.RowParser, "__call__", lambda *a: seen.append(gc.isenabled()) or parse(*a))

        run = run_of(csv_list(GOOD))

        assert run.status == "succeeded"
        assert seen == [False]
        assert gc.isenabled()

    def test_a_dry_run_reports_and_writes_nothing(self, tmp_path, capsys):
        listing = tmp_path / "list-2017-09-20.csv"
        listing.write_bytes(csv_list(GOOD))
        before = database_state()

        call_command("import_settlement_list", str(listing), "--dry-run", "--json")

        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert (summary["status"], summary["matched"], summary["updated"]) == ("succeeded", 1, 1)
        assert database_state() == before
        assert not ImportRun.objects.exists()


class TestNewSettlementsAndReview:
    def test_an_unknown_pcode_with_governorate_and_coordinates_creates_an_unverified_settlement(self):
        run = run_of(csv_list("Hama,New Camp Village,C9999,35.1,37.4,300,1\n"))

        created = Settlement.objects.get(pcode="C9999")
        assert (run.created, created.unverified, created.governorate.pcode) == (1, True, "SY05")
        assert created.on_latest_list

    def test_a_created_settlement_has_its_point_names_keys_dates_and_defaults(self):
        name = 'Tall "Abu" Salah, \\ {East}'
        cell = '"Tall ""Abu"" Salah, \\ {East}"'  # the name as a CSV cell
        run_of(csv_list(f"Hama,{cell},C9998,35.123456789,37.4,300,1\n"))

        created = Settlement.objects.get(pcode="C9998")
        assert created.name_en == name
        assert created.location.srid == 4326
        assert (created.location.x, created.location.y) == (37.4, 35.123456789)
        assert created.name_keys == sorted(name_keys(name))
        assert created.first_listed == created.last_listed == created.last_confirmed == datetime.date(2017, 9, 20)
        assert (created.population, created.water_supply, created.capital_level) == (300, "", None)
        assert "not in the gazetteer" in created.notes
        # The next list finds it by its name alone.
        again = import_list(csv_list(f"Hama,{cell},,,,301,1\n"), source="list-2017-09-21.csv")
        assert (again.run.matched, Settlement.objects.get(pk=created.pk).population) == (1, 301)

    def test_an_unknown_pcode_without_coordinates_goes_to_review(self):
        run = run_of(csv_list("Hama,Nowhere,C9999,,,300,1\n"))

        assert (run.created, run.unmatched) == (0, 1)
        assert not Settlement.objects.filter(pcode="C9999").exists()

    def test_staff_resolve_a_review_row_and_the_next_list_matches_by_itself(self, client):
        from settlements.roles import STAFF
        from tests import factories

        header = "Провинция;Населённый пункт;Население\n"
        run_of(csv_list("Хама;Азизия;1090\n", header=header), name="list-2017-09-20.csv")
        entry = ListEntry.objects.get(outcome="review")
        aziziyeh = Settlement.objects.get(pcode="C3085")
        client.force_login(factories.user(role=STAFF))

        response = client.post(f"/admin/settlements/reviewitem/{entry.pk}/change/", {"settlement": aziziyeh.pk})

        assert response.status_code == 302
        entry.refresh_from_db()
        assert (entry.outcome, entry.method, entry.settlement) == ("matched", "staff", aziziyeh)
        assert SettlementAlias.objects.get(settlement=aziziyeh, name="Азизия").source == "staff"
        aziziyeh.refresh_from_db()
        assert (aziziyeh.population, aziziyeh.on_latest_list) == (1090, True)

        tomorrow = run_of(csv_list("Хама;Азизия;1200\n", header=header), name="list-2017-09-21.csv")
        assert (tomorrow.matched, tomorrow.unmatched) == (1, 0)
        assert ListEntry.objects.get(snapshot__list_date="2017-09-21").method == "alias"
