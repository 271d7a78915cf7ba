"""A daily import field staff can trust: lists as offices write them, exact rows, hostile files, staff corrections."""

import csv
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from settlements import services
from settlements.corrections import services as corrections
from settlements.corrections.models import FigureConflict, FigureCorrection
from settlements.importing.columns import field_for_header, map_columns
from settlements.importing.readers import read_table
from settlements.importing.service import import_list
from settlements.models import ImportRun, ListEntry, Settlement
from settlements.roles import STAFF
from tests import factories
from tests.conftest import ROOT, celery_env

pytestmark = pytest.mark.django_db

GAZETTEER = ROOT / "settlements/data/gazetteer/syr_admin4_communities_ocha2015.csv"
HEADER = "Governorate,Settlement,P-code,Population,Water supply\n"


def run_of(content: bytes, name="list-2017-09-20.csv", **options) -> ImportRun:
    return import_list(content, source=name, **options).run


def entries(run: ImportRun) -> dict[int, ListEntry]:
    return {e.row: e for e in ListEntry.objects.filter(snapshot__import_run=run)}


# --- 1. vocabularies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        # Arabic: the article, ta marbuta / ha, plural, alef forms, diacritics and tatweel.
        ("المحافظة", "governorate"),
        ("محافظه", "governorate"),
        ("المحافظات", "governorate"),
        ("مُحافَظة", "governorate"),
        ("المنطقة", "district"),
        ("الناحية", "sub_district"),
        ("ناحيه", "sub_district"),
        ("القرية", "name"),
        ("قريه", "name"),
        ("القرى", "name"),
        ("التجمعات", "name"),
        ("عدد السكان", "population"),
        ("السكان", "population"),
        ("العائدين", "returnees"),
        ("الأدوية", "medicine_t"),
        ("حالة المـياه", "water_supply"),
        # Russian: case endings, ё, abbreviations.
        ("Провинции", "governorate"),
        ("провинций", "governorate"),
        ("Районы", "district"),
        ("Населённый пункт", "name"),
        ("населенного пункта", "name"),
        ("Нас. пункт", "name"),
        ("Численность населения", "population"),
        ("Вернувшиеся жители", "returnees"),
        ("Разрушено домов", "houses_destroyed"),
        ("Медикаменты, т", "medicine_t"),
        # English: case, punctuation, plurals and the usual synonyms.
        ("PROVINCE", "governorate"),
        ("Admin1", "governorate"),
        ("admin2_pcode", "district"),
        ("Sub-District", "sub_district"),
        ("Villages", "name"),
        ("Community name", "name"),
        ("Locality", "name"),
        ("Population (estimate)", "population"),
        ("Houses Destroyed", "houses_destroyed"),
        ("Food needs (tonnes)", "food_t"),
        ("Remarks", "notes"),
    ],
)
def test_each_form_of_a_header_means_its_field(header, field):
    assert field_for_header(header) == field


@pytest.mark.parametrize("header", ["Phone", "Mukhtar name", "Телефон", "رقم الهاتف", "Colour", "Сумма"])
def test_headers_that_mean_no_field_are_not_taken_for_one(header):
    assert field_for_header(header) is None


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("restored", "restored"),
        ("Restored.", "restored"),
        ("fully restored", "restored"),
        ("partly working", "partial"),
        ("Partially restored", "partial"),
        ("cut off", "none"),
        ("частично работает", "partial"),
        ("Частично работают", "partial"),
        ("Восстановлено", "restored"),
        ("не работает", "none"),
        ("تعمل جزئياً", "partial"),
        ("مقطوعة", "none"),
        ("متوفره", "restored"),
    ],
)
def test_each_form_of_a_water_state_is_understood(written, value):
    content = (HEADER + f"Hama,Oqeirbat,C3315,900,{written}\n").encode()
    run = run_of(content)

    assert (run.errors, run.warnings) == (0, 0)
    assert Settlement.objects.get(pcode="C3315").water_supply == value


def test_an_arabic_list_with_the_article_in_its_headers_keeps_governorate_scoping():
    # Arabic village names that communities in other governorates share: without the governorate
    # they go to review as "2 places are called X".
    with open(GAZETTEER, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    per_governorate = Counter((r["admin1_pcode"], r["admin4_name_ar"]) for r in rows)
    across = Counter(r["admin4_name_ar"] for r in rows)
    shared = [
        r
        for r in rows
        if across[r["admin4_name_ar"]] > 1 and per_governorate[(r["admin1_pcode"], r["admin4_name_ar"])] == 1
    ]
    chosen = {r["admin4_pcode"]: r for r in shared[::7][:30]}.values()
    lines = ["المحافظة,القرية,عدد السكان,حالة المياه"]
    lines += [f"{r['admin1_name_ar']},{r['admin4_name_ar']},1200,تعمل جزئيا" for r in chosen]

    run = run_of("\n".join(lines).encode(), name="qaima-2017-09-20.csv")

    assert (run.rows, run.matched, run.unmatched, run.errors, run.warnings) == (len(chosen), len(chosen), 0, 0, 0)
    matched = {
        e.settlement.pcode for e in ListEntry.objects.filter(snapshot__import_run=run).select_related("settlement")
    }
    assert matched == {r["admin4_pcode"] for r in chosen}
    assert set(Settlement.objects.filter(pcode__in=matched).values_list("water_supply", flat=True)) == {"partial"}


def test_the_vocabularies_are_data_files():
    vocabulary = ROOT / "settlements/data/vocabulary"
    with open(vocabulary / "headers.csv", encoding="utf-8") as f:
        languages = Counter(row["language"] for row in csv.DictReader(f))
    assert set(languages) == {"en", "ru", "ar"}
    assert (vocabulary / "values.csv").exists() and (vocabulary / "personal.csv").exists()


# --- 2. warnings are not errors -------------------------------------------------------------


def test_an_unknown_value_in_an_optional_column_is_a_warning_and_the_row_imports(tmp_path, capsys):
    run_of((HEADER + "Hama,Oqeirbat,C3315,900,partial\n").encode(), name="list-2017-09-19.csv")
    listing = tmp_path / "list-2017-09-20.csv"
    listing.write_bytes(
        (HEADER + "Hama,Oqeirbat,C3315,950,being repaired by the council\nHoms,Qaryatein,C2663,700,none\n").encode()
    )

    call_command("import_settlement_list", str(listing), "--json")

    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (summary["matched"], summary["errors"], summary["warnings"]) == (2, 0, 1)
    oqeirbat = Settlement.objects.get(pcode="C3315")
    assert (oqeirbat.population, oqeirbat.water_supply) == (950, "partial")  # the figure taken, the word left
    run = ImportRun.objects.get(pk=summary["run"])
    assert run.row_warnings[0]["row"] == 2
    assert "'being repaired by the council' is not understood" in run.row_warnings[0]["message"]
    assert entries(run)[2].outcome == "matched"
    assert "Water supply: 'being repaired by the council' is not understood" in entries(run)[2].warnings[0]


def test_the_import_page_and_the_report_say_which_value_was_not_understood(staff_client):
    run = run_of((HEADER + "Hama,Oqeirbat,C3315,950,maybe\n").encode())

    html = staff_client.get(f"/imports/{run.pk}/?rows=warning").content.decode()
    report = staff_client.get(f"/imports/{run.pk}/report.csv").content.decode()

    assert "&#x27;maybe&#x27; is not understood" in html
    assert "'maybe' is not understood" in report.splitlines()[1]


# --- 4. physical row numbers ----------------------------------------------------------------


def test_csv_rows_keep_their_line_numbers_across_blank_lines_and_multi_line_cells():
    content = (
        b"Governorate,Settlement,P-code,Population,Notes\n"
        b"\n"
        b"Hama,Oqeirbat,C3315,900,\n"
        b"   \n"
        b'Homs,Qaryatein,C2663,many,"a note\nover two lines"\n'
        b"\n"
        b"Homs,Al Qusayr,C2623,-5,\n"
    )

    run = run_of(content)

    assert sorted(entries(run)) == [3, 5, 8]
    assert [e["message"] for e in run.row_errors] == [
        "Row 5: Population: 'many' is not a number",
        "Row 8: Population: -5 is negative",
    ]


def test_spreadsheet_json_and_word_rows_are_numbered_as_their_source_numbers_them():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["List of 20 September"])
    sheet.append(["Governorate", "Settlement", "P-code", "Population"])
    sheet.append(["Hama", "Oqeirbat", "C3315", 900])
    sheet.append([])
    sheet.append(["Homs", "Qaryatein", "C2663", "many"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    json_list = json.dumps(
        [{"settlement": "Oqeirbat", "pcode": "C3315"}, {"settlement": "Qaryatein", "pcode": "C2663"}]
    )

    assert read_table(buffer.getvalue()).numbers == [3, 5]
    assert read_table(json_list.encode()).numbers == [1, 2]
    assert entries(run_of(buffer.getvalue(), name="list.xlsx")).keys() == {3, 5}


# --- 5. caps before work --------------------------------------------------------------------


def _xlsx_declaring(dimension: str) -> bytes:
    workbook = Workbook()
    workbook.active.append(["Settlement", "P-code"])
    workbook.active.append(["Oqeirbat", "C3315"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source, out = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:B2"/>', f'<dimension ref="{dimension}"/>'.encode())
                assert dimension.encode() in data
            target.writestr(info, data)
    return out.getvalue()


def _docx_spanning(span: int) -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table.rows[0].cells, ["Settlement", "P-code"], strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "Oqeirbat"
    table.rows[1].cells[1]._tc.grid_span = span
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


HOSTILE = {
    "a small workbook declaring Excel's largest sheet": (
        lambda: _xlsx_declaring("A1:XFD1048576"),
        "list.xlsx",
        "declares 1,048,576 rows by 16,384 columns",
    ),
    "a small workbook declaring a million rows by a million columns": (
        lambda: _xlsx_declaring("A1:BDWGN1000000"),
        "list.xlsx",
        "The Excel workbook cannot be read",
    ),
    "a Word table cell spanning a million columns": (
        lambda: _docx_spanning(1_000_000),
        "list.docx",
        "spans more than 500",
    ),
    "a JSON list whose rows each bring new keys": (
        lambda: json.dumps([{"settlement": f"S{i}", f"key{i}": i} for i in range(20_000)]).encode(),
        "list.json",
        "more than 500 different keys",
    ),
    "a CSV header of a million columns": (
        lambda: ("Settlement," * 1_000_000).encode() + b"\nx\n",
        "list.csv",
        "header",
    ),
    "a CSV that is one 40 MB line": (lambda: b"Settlement,P-code\n" + b"x" * 40_000_000, "list.csv", "longer than"),
    "a JSON list nested a million deep": (
        lambda: b"[" * 1_000_000 + b"]" * 1_000_000,
        "list.json",
        "nested too deeply",
    ),
}


# Runs a command as its only child and reports the child's peak resident memory (KiB) on stderr's last line.
PEAK_OF_CHILD = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


@pytest.mark.slow
@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_file_fails_fast_with_a_message_and_little_memory(case, tmp_path):
    make, name, message = HOSTILE[case]
    path = tmp_path / name
    path.write_bytes(make())
    command = [sys.executable, "manage.py", "import_settlement_list", str(path), "--json", "--dry-run"]

    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_CHILD, *command],
        cwd=ROOT,
        env=celery_env(IMPORT_MAX_BYTES="60000000"),
        capture_output=True,
        timeout=120,
    )

    summary = json.loads(done.stdout.decode().splitlines()[-1])
    peak_mib = int(done.stderr.decode().splitlines()[-1]) / 1024
    if case == "a CSV that is one 40 MB line":  # the header is fine: the enormous line is one bad row
        assert (summary["status"], summary["rows"], summary["errors"], done.returncode) == ("succeeded", 1, 1, 0)
    else:
        assert (summary["status"], done.returncode) == ("failed", 1), summary
        assert message in summary["error"], summary["error"]
    assert b"Traceback" not in done.stderr
    assert peak_mib < 1024


def test_a_header_wider_than_the_column_cap_fails_whole():
    header = ",".join(["Settlement", "P-code", *(f"c{i}" for i in range(598))])

    run = run_of(f"{header}\nOqeirbat,C3315\n".encode())

    assert (run.status, run.error) == (
        "failed",
        "The header has 600 columns; AidTrack reads at most 500 (IMPORT_MAX_COLUMNS).",
    )


def test_a_list_past_the_row_cap_fails_whole_with_the_setting_named(settings):
    settings.IMPORT_MAX_ROWS = 3
    content = (HEADER + "Hama,Oqeirbat,C3315,1,\n" * 4).encode()

    run = run_of(content)

    assert run.status == "failed"
    assert "more than 3 rows (IMPORT_MAX_ROWS)" in run.error


def test_cells_far_below_the_declared_dimension_are_still_capped(settings):
    settings.IMPORT_MAX_ROWS = 1000
    workbook = _xlsx_declaring("A1:B2")
    source, out = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":  # a lone cell at row 5,000,000, undeclared
                far = b'<row r="5000000"><c r="A5000000" t="inlineStr"><is><t>x</t></is></c></row>'
                data = data.replace(b"</sheetData>", far + b"</sheetData>")
            target.writestr(info, data)

    run = run_of(out.getvalue(), name="list.xlsx")

    assert run.status == "failed"
    assert "more than 1,000 rows (IMPORT_MAX_ROWS)" in run.error


def test_a_word_table_of_vertically_merged_cells_reads_each_row_once():
    import docx

    document = docx.Document()
    table = document.add_table(rows=1501, cols=3)
    rows = table._tbl.tr_lst
    for tc, text in zip(rows[0].tc_lst, ["Governorate", "Settlement", "Population"], strict=True):
        tc.add_p().add_r().text = text
    # One governorate cell down 1,500 rows: the first holds the text, the rest continue it.
    for number, tr in enumerate(rows[1:], start=1):
        first, name, population = tr.tc_lst
        if number == 1:
            first.add_p().add_r().text = "Homs"
        first.vMerge = "restart" if number == 1 else "continue"
        name.add_p().add_r().text = f"Nowhere {number}"
        population.add_p().add_r().text = str(number)
    buffer = io.BytesIO()
    document.save(buffer)

    read = read_table(buffer.getvalue())

    assert len(read.rows) == 1500 and read.numbers[:2] == [2, 3]
    assert {cells[0] for cells in read.rows} == {"Homs"}
    assert read.rows[-1][1:] == ["Nowhere 1500", "1500"]


def test_the_delimiter_is_sniffed_from_a_bounded_prefix():
    # A first data line of a megabyte: the sniffer looks at 64 KB, and the line itself is one bad row.
    content = ("Settlement;P-code;Population\n" + "x" * 1_000_000 + "\nOqeirbat;C3315;900\n").encode()

    run = run_of(content)

    assert (run.status, run.matched, run.errors) == ("succeeded", 1, 1)
    assert run.row_errors[0]["message"] == "Row 2: the line is longer than 100,000 characters"


# --- 6. one bad cell costs one row ----------------------------------------------------------


def test_a_bad_cell_costs_its_row_and_never_the_list():
    content = (
        HEADER
        + "حماة,Oqeirbat,C3315,900,partial\n"  # UTF-8 elsewhere: the broken bytes below are damage
        + "Homs,Qary\x00atein,C2663,700,none\n"  # NUL: stripped, the row imports with a warning
        + "Homs,Al Qusayr,C2623,5\x07\x1b00,none\n"  # control characters in a figure: stripped
        + 'Homs,Tadmor,C2889,300,"'
        + ("y" * 60 + "\n") * 3000
        + '"\n'  # over the csv module's field limit
    ).encode() + b"Homs,Sakher Hit,C2711,200,\xff\xfe broken\n"  # bytes that are not UTF-8

    run = run_of(content)

    assert run.status == "succeeded"
    rows = entries(run)
    assert {row: e.outcome for row, e in rows.items()} == {
        2: "matched",
        3: "matched",
        4: "matched",
        5: "error",
        3006: "error",  # the quoted cell took 3,001 lines
    }
    assert rows[3].raw["Settlement"] == "Qaryatein" and "Settlement: control characters removed" in rows[3].warnings
    assert Settlement.objects.get(pcode="C2623").population == 500
    assert "Water supply: the cell is longer than 2000 characters" in rows[5].message
    assert len(rows[5].raw["Water supply"]) == 2001  # stored cut
    assert "Water supply: the cell holds bytes or characters that are not valid text" in rows[3006].message


def test_a_lone_surrogate_in_json_costs_its_row():
    content = b'[{"settlement": "Oqeirbat", "pcode": "C3315"}, {"settlement": "Qar\\ud800yatein", "pcode": "C2663"}]'

    run = run_of(content, name="list-2017-09-20.json")

    assert (run.status, run.matched, run.errors) == ("succeeded", 1, 1)
    assert "settlement: the cell holds bytes or characters that are not valid text" in run.row_errors[0]["message"]


def test_truncated_utf16_loses_only_the_last_row():
    text = HEADER + "Hama,Oqeirbat,C3315,900,partial\nHoms,Qaryatein,C2663,700,none\n"
    content = text.encode("utf-16")[:-3]  # cut inside the last character

    run = run_of(content)

    assert (run.status, run.matched, run.errors) == ("succeeded", 1, 1)
    assert Settlement.objects.get(pcode="C3315").population == 900
    assert run.row_errors[0]["row"] == 3
    assert "Water supply: the cell holds bytes or characters that are not valid text" in run.row_errors[0]["message"]


# --- 8. bounded reports ---------------------------------------------------------------------


def test_a_list_of_many_bad_rows_keeps_a_capped_summary_and_pages_its_rows(staff_client, settings):
    settings.IMPORT_MAX_ROW_MESSAGES = 20
    content = (
        HEADER + "".join(f"Hama,Nowhere {i},,-{i + 1},\n" for i in range(250)) + "Hama,Oqeirbat,C3315,9,\n"
    ).encode()

    run = run_of(content)

    assert (run.errors, len(run.row_errors)) == (250, 20)
    first = staff_client.get(f"/imports/{run.pk}/?rows=error").content.decode()
    third = staff_client.get(f"/imports/{run.pk}/?rows=error&page=3").content.decode()
    assert first.count('class="outcome-error"') == 100
    assert third.count('class="outcome-error"') == 50
    assert "Row 251: Population: -250 is negative" in third


# --- 9. a clean command line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "Portable Network Graphics"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + b"\x00" * 64, "GZIP"),
        (b"PK\x03\x04" + b"\x00" * 26 + b"hello", None),
    ],
)
def test_a_file_that_is_not_a_table_says_what_it_looks_like(content, looks_like, tmp_path):
    listing = tmp_path / "list-2017-09-20.csv"
    listing.write_bytes(content)
    stdout, stderr = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("import_settlement_list", str(listing), "--json", stdout=stdout, stderr=stderr)

    assert failed.value.returncode == 1
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 1  # stdout holds the summary and nothing else
    summary = json.loads(lines[0])
    assert summary["status"] == "failed"
    if looks_like:
        assert summary["error"].startswith("This file is not a table of settlements: it looks like")
        assert looks_like in summary["error"]
    assert "Columns found" not in summary["error"]
    assert "Import of" in stderr.getvalue()  # the human summary went to stderr


def test_with_json_every_message_goes_to_stderr(tmp_path):
    listing = tmp_path / "list-2017-09-20.csv"
    listing.write_bytes((HEADER + "Hama,Oqeirbat,C3315,-1,\n").encode())
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("import_settlement_list", str(listing), "--json", stdout=stdout, stderr=stderr)

    assert [json.loads(line)["errors"] for line in stdout.getvalue().splitlines()] == [1]
    assert "Row 2: Population: -1 is negative" in stderr.getvalue()


# --- 10. staff corrections are kept ----------------------------------------------------------


@pytest.fixture
def staff_member():
    return factories.user(role=STAFF, username="amal")


def list_with(population: int, water: str = "partial", date: str = "2017-09-12") -> ImportRun:
    content = (HEADER + f"Hama,Oqeirbat,C3315,{population},{water}\nHoms,Qaryatein,C2663,700,none\n").encode()
    return run_of(content, name=f"list-{date}.csv")


def correct(settlement: Settlement, user, **figures) -> None:
    for name, value in figures.items():
        setattr(settlement, name, value)
    services.save_record(obj=settlement, user=user)


def test_a_figure_staff_corrected_is_held_and_the_list_value_becomes_a_conflict(staff_member, capsys, tmp_path):
    list_with(1807, date="2017-09-10")
    oqeirbat = Settlement.objects.get(pcode="C3315")
    correct(oqeirbat, staff_member, population=3034)
    listing = tmp_path / "list-2017-09-12.csv"
    listing.write_bytes((HEADER + "Hama,Oqeirbat,C3315,1807,restored\n").encode())

    call_command("import_settlement_list", str(listing), "--json")

    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    oqeirbat.refresh_from_db()
    assert (oqeirbat.population, oqeirbat.water_supply) == (3034, "restored")  # held; the other figure taken
    assert summary["conflicts"] == 1
    conflict = FigureConflict.objects.get()
    assert (conflict.field, conflict.list_value, conflict.corrected_value) == ("population", "1807", "3034")
    assert (conflict.corrected_by, conflict.status) == (staff_member, "open")
    assert ListEntry.objects.get(snapshot__list_date="2017-09-12", settlement=oqeirbat).values["population"] == 1807


def test_the_settlement_and_import_pages_show_the_conflict(staff_member, staff_client):
    oqeirbat = Settlement.objects.get(pcode="C3315")
    correct(oqeirbat, staff_member, population=3034)
    run = list_with(1807)

    settlement_page = staff_client.get("/settlements/C3315/").content.decode()
    import_page = staff_client.get(f"/imports/{run.pk}/").content.decode()

    assert "the list of 12 Sep 2017 says <bdi>1807</bdi>; corrected by <bdi>amal</bdi>" in settlement_page
    assert "to <bdi>3034</bdi>" in settlement_page
    assert "Figures staff corrected" in settlement_page
    assert "Figures staff corrected that this list disagrees with" in import_page


def test_accepting_the_list_value_replaces_the_correction_and_is_in_the_history(staff_member):
    oqeirbat = Settlement.objects.get(pcode="C3315")
    correct(oqeirbat, staff_member, population=3034)
    list_with(1807)
    reviewer = factories.user(role=STAFF, username="omar")

    corrections.accept_list_value(conflict=FigureConflict.objects.get(), user=reviewer)

    oqeirbat.refresh_from_db()
    assert oqeirbat.population == 1807
    assert not FigureCorrection.objects.exists()
    assert FigureConflict.objects.get().decided_by == reviewer
    assert [(r.history_user.username, r.population) for r in oqeirbat.history.all()[:2]] == [
        ("omar", 1807),
        ("amal", 3034),
    ]
    list_with(1900, date="2017-09-13")  # the next list sets the figure again
    oqeirbat.refresh_from_db()
    assert oqeirbat.population == 1900


def test_dismissing_keeps_the_correction_and_an_agreeing_list_clears_it(staff_member):
    oqeirbat = Settlement.objects.get(pcode="C3315")
    correct(oqeirbat, staff_member, population=3034)
    list_with(1807)

    corrections.keep_correction(conflict=FigureConflict.objects.get(), user=staff_member)
    list_with(3034, date="2017-09-13")

    assert FigureConflict.objects.get().status == "dismissed"
    assert not FigureCorrection.objects.exists()  # the list agreed: nothing held any more
    list_with(3100, date="2017-09-14")
    assert Settlement.objects.get(pcode="C3315").population == 3100


def test_an_open_conflict_settles_itself_when_a_later_list_agrees(staff_member):
    correct(Settlement.objects.get(pcode="C3315"), staff_member, population=3034)
    list_with(1807)

    run = list_with(3034, date="2017-09-13")

    assert run.conflicts == 0
    assert FigureConflict.objects.get().status == "agreed"


def test_a_correction_through_the_api_is_held_the_same_way():
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user = factories.user(role=STAFF, username="api-staff")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    oqeirbat = Settlement.objects.get(pcode="C3315")

    response = client.patch(f"/api/settlements/{oqeirbat.pk}/", {"properties": {"returnees": 44}}, format="json")
    if response.status_code == 400:  # flat payloads are accepted too
        response = client.patch(f"/api/settlements/{oqeirbat.pk}/", {"returnees": 44}, format="json")
    assert response.status_code == 200, response.content
    content = (HEADER.replace("Water supply", "Returnees") + "Hama,Oqeirbat,C3315,900,12\n").encode()
    run = run_of(content, name="list-2017-09-12.csv")

    oqeirbat.refresh_from_db()
    assert (oqeirbat.returnees, oqeirbat.population, run.conflicts) == (44, 900, 1)
    assert FigureCorrection.objects.get().corrected_by == user


def test_staff_edits_of_a_settlement_are_in_its_history_with_who_made_them(staff_member, staff_client):
    oqeirbat = Settlement.objects.get(pcode="C3315")

    correct(oqeirbat, staff_member, population=3034, houses_destroyed=12)
    correct(oqeirbat, factories.user(role=STAFF, username="omar"), population=3100)

    record = oqeirbat.history.first()
    assert (record.history_user.username, record.population, record.houses_destroyed) == ("omar", 3100, 12)
    page = staff_client.get("/settlements/C3315/").content.decode()
    assert "population estimate: <bdi>3034</bdi> → <bdi>3100</bdi>" in page
    assert "<bdi>amal</bdi>" in page


def test_conflicts_are_decided_from_the_admin_by_staff(staff_member, staff_client):
    correct(Settlement.objects.get(pcode="C3315"), staff_member, population=3034)
    list_with(1807)
    conflict = FigureConflict.objects.get()

    response = staff_client.post(
        "/admin/settlements/figureconflict/",
        {"action": "accept_list_values", "_selected_action": [conflict.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert Settlement.objects.get(pcode="C3315").population == 1807
    assert FigureConflict.objects.get().status == "accepted"


# --- 11. personal data stays out ------------------------------------------------------------


def test_columns_of_personal_data_are_not_stored_and_the_import_page_says_so(staff_client):
    content = (
        "Governorate,Settlement,P-code,Population,Mukhtar name,Phone,رقم الهاتف,Contact,Sector\n"
        "Hama,Oqeirbat,C3315,900,Abu Ahmad,+963 944 123 456,0944123456,0933 222 111,north\n"
        "Homs,Qaryatein,C2663,700,Abu Omar,+963 955 765 432,0955765432,0988 111 222,south\n"
    ).encode()

    run = run_of(content)

    assert run.matched == 2
    assert run.dropped_columns == ["Mukhtar name", "Phone", "رقم الهاتف", "Contact"]
    raw = ListEntry.objects.filter(snapshot__import_run=run).first().raw
    assert set(raw) == {"Governorate", "Settlement", "P-code", "Population", "Sector"}
    assert run.snapshots.get().columns == ["Governorate", "Settlement", "P-code", "Population", "Sector"]
    page = staff_client.get(f"/imports/{run.pk}/").content.decode()
    assert "looked like personal data and were not stored" in page
    assert "Mukhtar name" in page


def test_an_unlabelled_column_of_phone_numbers_is_dropped_but_figures_are_kept():
    content = (
        b"Settlement,P-code,Population,Column 9\n"
        b"Oqeirbat,C3315,900,+963944123456\n"
        b"Qaryatein,C2663,700,+963 955 765 432\n"
    )

    run = run_of(content)

    assert run.dropped_columns == ["Column 9"]
    assert Settlement.objects.get(pcode="C3315").population == 900


# --- 12. gazetteer updates ------------------------------------------------------------------

COD_HEADER = [
    "admin4_pcode",
    "admin4_name_en",
    "admin4_name_ar",
    "admin3_pcode",
    "admin3_name_en",
    "admin2_pcode",
    "admin2_name_en",
    "admin1_pcode",
    "admin1_name_en",
    "latitude",
    "longitude",
]


def cod_file(path: Path, rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COD_HEADER)
        writer.writerows(rows)
    return path


def test_a_cod_gazetteer_file_adds_and_renames_communities_and_never_deletes(tmp_path, capsys):
    oqeirbat = Settlement.objects.get(pcode="C3315")
    oqeirbat.population = 900
    oqeirbat.save()
    count = Settlement.objects.count()
    path = cod_file(
        tmp_path / "syr_admin4_2024.csv",
        [
            [
                "C3315",
                "Uqayribat",
                "عقيربات",
                oqeirbat.sub_district.pcode,
                "",
                oqeirbat.district.pcode,
                "",
                "SY05",
                "Hama",
                "35.0427",
                "37.4634",
            ],
            [
                "C9999",
                "New Village",
                "قرية جديدة",
                "SY050399",
                "New Nahiya",
                "SY0503",
                "",
                "SY05",
                "Hama",
                "35.1",
                "37.3",
            ],
            ["C9998", "Far Away", "", "", "", "", "", "SY05", "Hama", "48.85", "2.35"],
        ],
    )

    call_command("load_gazetteer", str(path))
    first = capsys.readouterr()
    call_command("load_gazetteer", str(path))
    second = capsys.readouterr()

    assert "1 communities added, 1 updated, 1 renamed" in first.out
    assert "Row 4: the coordinates 48.85, 2.35 are outside Syria" in first.err
    assert "nothing changed" in second.out
    assert Settlement.objects.count() == count + 1
    oqeirbat.refresh_from_db()
    assert (oqeirbat.name_en, oqeirbat.population) == ("Uqayribat", 900)
    assert set(oqeirbat.aliases.values_list("name", flat=True)) >= {"Oqeirbat", "عقيربات"} - {oqeirbat.name_ar}
    new = Settlement.objects.get(pcode="C9999")
    assert (new.sub_district.pcode, new.sub_district.name_en, new.sub_district.parent.pcode) == (
        "SY050399",
        "New Nahiya",
        "SY0503",
    )
    # The old name still matches.
    assert run_of((HEADER + "Hama,Oqeirbat,,5,\n").encode()).matched == 1


def test_a_gazetteer_file_moves_a_community_and_leaves_one_within_a_ten_millionth_of_a_degree(tmp_path, capsys):
    qaryatein = Settlement.objects.get(pcode="C2663")
    lon, lat = qaryatein.location.x, qaryatein.location.y
    areas = [qaryatein.sub_district.pcode, "", qaryatein.district.pcode, "", "SY04", "Homs"]
    aliases = qaryatein.aliases.count()

    def load(longitude: float) -> str:
        row = ["C2663", qaryatein.name_en, qaryatein.name_ar, *areas, repr(lat), repr(longitude)]
        call_command("load_gazetteer", str(cod_file(tmp_path / "syr_admin4.csv", [row])))
        return capsys.readouterr().out

    assert "nothing changed" in load(lon + 5e-8)
    assert "0 communities added, 1 updated, 0 renamed" in load(lon + 0.01)
    qaryatein.refresh_from_db()
    assert (round(qaryatein.location.x, 7), round(qaryatein.location.y, 7)) == (round(lon + 0.01, 7), round(lat, 7))
    assert qaryatein.aliases.count() == aliases  # moved, not renamed


def test_a_gazetteer_file_in_another_layout_is_refused_with_the_columns_it_lacks(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Settlement,P-code\nOqeirbat,C3315\n", encoding="utf-8")

    with pytest.raises(CommandError) as failed:
        call_command("load_gazetteer", str(path))

    assert "lacks admin4_pcode, admin4_name_en, admin1_pcode, latitude, longitude" in str(failed.value)


def test_a_cod_gazetteer_workbook_loads_too(tmp_path):
    workbook = Workbook()
    workbook.active.append(COD_HEADER)
    workbook.active.append(["C9997", "Workbook Village", "", "", "", "", "", "SY05", "Hama", 35.2, 37.1])
    path = tmp_path / "syr_admin4.xlsx"
    workbook.save(path)

    call_command("load_gazetteer", str(path))

    assert Settlement.objects.get(pcode="C9997").governorate.pcode == "SY05"


def test_the_cod_header_maps_to_the_import_fields_too():
    mapping = map_columns(COD_HEADER)
    assert set(mapping.values()) >= {
        "pcode",
        "name",
        "sub_district",
        "district",
        "governorate",
        "latitude",
        "longitude",
    }


def test_a_review_decision_holds_back_from_a_correction_too(staff_member):
    oqeirbat = Settlement.objects.get(pcode="C3315")
    correct(oqeirbat, staff_member, population=3034)
    run = run_of((HEADER + "Hama,Uqairibatt Kabira,,1807,\n").encode(), name="list-2017-09-12.csv")
    entry = ListEntry.objects.get(snapshot__import_run=run, outcome="review")

    services.resolve_review_item(entry=entry, settlement=oqeirbat, user=staff_member)

    oqeirbat.refresh_from_db()
    assert oqeirbat.population == 3034
    conflict = FigureConflict.objects.get()
    assert (conflict.list_value, conflict.status, conflict.snapshot_id) == ("1807", "open", entry.snapshot_id)
