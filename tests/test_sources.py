"""List sources: each has its own latest list, column mapping and validation profile; the newest
word on a settlement stands; two sources that disagree are shown and staff choose."""

import contextlib
import datetime
import json
import os
import pty
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from settlements.corrections.models import FigureCorrection
from settlements.importing.columns import IGNORE, check_mapping, map_columns
from settlements.importing.progress import CachedProgress, percent, progress_of
from settlements.importing.service import import_list
from settlements.models import ImportRun, ListSnapshot, ListSource, Settlement, SourceDisagreement
from settlements.roles import COORDINATOR, STAFF
from settlements.sources import selectors, services
from settlements.tasks import import_daily_list
from tests import factories
from tests.conftest import ROOT, celery_env

pytestmark = pytest.mark.django_db

HEADER = "P-code,Population\n"
# A partner's survey in a layout of its own: no header AidTrack's vocabulary knows.
PARTNER_HEADERS = "Loc ref,Headcount,Rmk,Tel\n"
PARTNER_MAPPING = {"Loc ref": "pcode", "Headcount": "population", "Rmk": "notes", "Tel": IGNORE}


SAMPLE = ROOT / "settlements" / "data" / "samples" / "settlement-list-2017-09-11.csv"


def on_a_terminal(*arguments: str) -> str:
    """What manage.py prints to a terminal (a pseudo-terminal: stdout and stderr both), in the test database."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=celery_env(), stdout=child, stderr=child
    )
    os.close(child)
    chunks = []
    with contextlib.suppress(OSError):  # the child closed the terminal
        while chunk := os.read(main, 65536):
            chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def source(name: str, **fields) -> ListSource:
    return ListSource.objects.create(name=name, **fields)


def run(text: str, day: str, list_source: ListSource | None = None, **options) -> ImportRun:
    result = import_list(
        text.encode(),
        source=f"list-{day}.csv",
        list_source=list_source,
        list_date=datetime.date.fromisoformat(day),
        **options,
    )
    return result.run


def population(pcode: str) -> int | None:
    return Settlement.objects.get(pcode=pcode).population


def test_imports_that_name_no_source_are_the_default_sources():
    done = run(HEADER + "C2663,700\n", "2017-09-11")

    default = ListSource.objects.get(is_default=True)
    assert done.list_source == default
    assert ListSnapshot.objects.get().list_source == default
    assert services.default_source() == default  # made once


class TestColumnMapping:
    def test_a_chosen_mapping_decides_before_the_vocabulary(self):
        headers = ["Settlement", "Population", "Inhabitants"]

        assert map_columns(headers) == {0: "name", 1: "population"}
        chosen = {"Population": IGNORE, "Inhabitants": "population"}
        assert map_columns(headers, chosen=chosen) == {0: "name", 2: "population"}

    def test_a_mapping_names_known_fields_each_once(self):
        assert check_mapping({" Loc ref ": "pcode"}) == {"Loc ref": "pcode"}
        with pytest.raises(ValueError, match="not a field"):
            check_mapping({"Village": "village"})
        with pytest.raises(ValueError, match="both mapped to pcode"):
            check_mapping({"A": "pcode", "B": "pcode"})
        with pytest.raises(ValueError, match="object"):
            check_mapping(["pcode"])

    def test_a_list_in_a_layout_of_its_own_imports_by_its_sources_mapping(self):
        partner = source("Partner survey", column_mapping=PARTNER_MAPPING)
        text = PARTNER_HEADERS + "C2663,1234,well repaired,+963 944 123 456\n"

        refused = run(text, "2017-09-11")
        assert refused.status == "failed"
        assert "no column that identifies a settlement" in refused.error

        done = run(text, "2017-09-11", partner)
        assert (done.status, done.matched) == ("succeeded", 1)
        assert population("C2663") == 1234
        entry = ListSnapshot.objects.get(list_source=partner).entries.get()
        assert entry.values["notes"] == "well repaired"
        assert "Tel" not in entry.values

    def test_a_mapping_given_for_one_import_overrides_the_saved_one(self):
        partner = source("Partner survey", column_mapping={"Loc ref": "pcode", "Headcount": IGNORE})
        done = run(PARTNER_HEADERS + "C2663,1234,,\n", "2017-09-11", partner, mapping=PARTNER_MAPPING)

        assert done.status == "succeeded"
        assert population("C2663") == 1234

    def test_a_sources_validation_profile_refuses_a_list_without_a_required_column(self):
        strict = source("DTM site list", required_columns=["pcode", "population"])

        refused = run("P-code,Returnees\nC2663,5\n", "2017-09-11", strict)

        assert refused.status == "failed"
        assert "requires a column for population" in refused.error
        assert not ListSnapshot.objects.exists()

    def test_the_scheduled_import_of_a_source_uses_its_saved_mapping(self, tmp_path, settings):
        settings.IMPORT_UPLOAD_DIR = tmp_path
        partner = source("Partner survey", column_mapping=PARTNER_MAPPING)
        path = tmp_path / "partner-2017-09-11.csv"
        path.write_text(PARTNER_HEADERS + "C2663,4321,,\n")

        summary = import_daily_list.apply(kwargs={"source": str(path), "source_id": partner.pk}).get()

        assert (summary["status"], summary["list_source"], summary["matched"]) == ("succeeded", "Partner survey", 1)
        assert population("C2663") == 4321


class TestEachSourceHasItsLatestList:
    def test_a_settlement_one_source_drops_stays_on_while_another_lists_it(self):
        partner = source("Partner survey")
        run(HEADER + "C2663,700\nC3315,5000\n", "2017-09-11")
        run(HEADER + "C3315,5100\nC2034,2460\n", "2017-09-11", partner)

        run(HEADER + "C2034,2470\n", "2017-09-12", partner)  # the partner drops Oqeirbat (C3315)

        on = set(Settlement.objects.filter(on_latest_list=True).values_list("pcode", flat=True))
        assert on == {"C2663", "C3315", "C2034"}

        run(HEADER + "C2663,700\n", "2017-09-12")  # and now the daily list too
        on = set(Settlement.objects.filter(on_latest_list=True).values_list("pcode", flat=True))
        assert on == {"C2663", "C2034"}

    def test_changes_are_against_the_same_sources_previous_list(self):
        partner = source("Partner survey")
        run(HEADER + "C2663,700\n", "2017-09-11")
        run(HEADER + "C3315,5000\n", "2017-09-12", partner)

        second = run(HEADER + "C2663,750\n", "2017-09-13")

        changes = set(second.snapshots.get().changes.values_list("settlement__pcode", "kind", "field"))
        assert changes == {("C2663", "changed", "population")}

    def test_two_sources_can_each_have_a_list_of_the_same_day(self):
        partner = source("Partner survey")
        run(HEADER + "C2663,700\n", "2017-09-11")
        run(HEADER + "C2663,700\n", "2017-09-11", partner)

        assert ListSnapshot.objects.filter(list_date="2017-09-11").count() == 2


class TestDisagreements:
    @pytest.fixture
    def disagreement(self, settings):
        settings.SOURCE_DISAGREEMENT_DAYS = 7
        partner = source("Partner survey")
        run(HEADER + "C2663,700\n", "2017-09-14")
        run(HEADER + "C2663,900\n", "2017-09-12", partner)  # older, imported after
        return SourceDisagreement.objects.get()

    def test_the_newest_list_about_a_settlement_sets_its_figures(self, disagreement):
        assert population("C2663") == 700

    def test_different_figures_within_the_window_are_recorded_with_both_lists(self, disagreement):
        assert (disagreement.field, disagreement.older_value, disagreement.newer_value) == ("population", "900", "700")
        assert disagreement.older.list_source.name == "Partner survey"
        assert disagreement.newer.list_source.is_default
        assert disagreement.status == "open"

    def test_lists_further_apart_or_that_agree_do_not_disagree(self, settings):
        settings.SOURCE_DISAGREEMENT_DAYS = 3
        partner = source("Partner survey")
        run(HEADER + "C2663,700\nC3315,5000\n", "2017-09-14")
        run(HEADER + "C2663,900\n", "2017-09-01", partner)
        run(HEADER + "C3315,5000\n", "2017-09-13", partner)

        assert not SourceDisagreement.objects.exists()

    def test_staff_choosing_the_older_list_correct_the_figure_under_their_name(self, disagreement):
        staff = factories.user(role=STAFF)

        services.choose_list(disagreement=disagreement, snapshot=disagreement.older, user=staff)

        disagreement.refresh_from_db()
        assert (disagreement.status, disagreement.chosen, disagreement.decided_by) == (
            "decided",
            disagreement.older,
            staff,
        )
        assert population("C2663") == 900
        correction = FigureCorrection.objects.get()
        assert (correction.field, correction.value, correction.corrected_by) == ("population", "900", staff)
        settlement = Settlement.objects.get(pcode="C2663")
        assert settlement.history.first().history_user == staff

        # The daily list's next figure is held back from the choice, as from any correction.
        run(HEADER + "C2663,650\n", "2017-09-15")
        assert population("C2663") == 900

    def test_keeping_the_newest_list_records_the_choice_and_corrects_nothing(self, disagreement):
        staff = factories.user(role=STAFF)

        services.choose_list(disagreement=disagreement, snapshot=disagreement.newer, user=staff)

        assert SourceDisagreement.objects.get().status == "decided"
        assert not FigureCorrection.objects.exists()
        assert population("C2663") == 700

    def test_a_decided_disagreement_is_not_decided_again(self, disagreement):
        staff = factories.user(role=STAFF)
        services.choose_list(disagreement=disagreement, snapshot=disagreement.newer, user=staff)

        with translation.override("en"), pytest.raises(ValidationError, match="decided already"):
            services.choose_list(disagreement=disagreement, snapshot=disagreement.older, user=staff)
        assert population("C2663") == 700

    def test_the_settlement_page_and_the_review_list_show_both_and_let_staff_choose(self, disagreement, client):
        client.force_login(factories.user(role=STAFF))

        page = client.get("/settlements/C2663/").content.decode()
        assert 'id="source-disagreements"' in page
        assert 'id="sources-said"' in page
        assert "Partner survey is right" in page

        assert 'id="disagreements-link"' in client.get("/imports/").content.decode()
        review = client.get("/imports/disagreements/").content.decode()
        assert f'id="disagreement-{disagreement.pk}"' in review
        response = client.post(
            f"/imports/disagreements/{disagreement.pk}/choose/",
            {"list": disagreement.older_id, "next": "/settlements/C2663/"},
        )
        assert response["Location"] == "/settlements/C2663/"
        assert population("C2663") == 900
        assert "No open disagreements." in client.get("/imports/disagreements/").content.decode()

    def test_coordinators_see_disagreements_but_cannot_choose(self, disagreement, client):
        client.force_login(factories.user(role=COORDINATOR))

        assert client.get("/imports/disagreements/").status_code == 200
        response = client.post(f"/imports/disagreements/{disagreement.pk}/choose/", {"list": disagreement.older_id})
        assert response.status_code == 403
        assert population("C2663") == 700


def test_what_each_source_said_last_of_a_settlement():
    partner = source("Partner survey")
    run(HEADER + "C2663,700\n", "2017-09-11")
    run(HEADER + "C2663,710\n", "2017-09-12")
    run("P-code,Returnees\nC2663,40\n", "2017-09-13", partner)

    said = selectors.what_sources_said(Settlement.objects.get(pcode="C2663"))

    assert [(s["source"].name, s["snapshot"].list_date.isoformat()) for s in said] == [
        ("Partner survey", "2017-09-13"),
        ("Daily settlement list", "2017-09-12"),
    ]
    assert [str(label) for label, _ in said[1]["figures"]] == ["population estimate"]


class TestSchedules:
    def test_a_source_published_at_a_url_gets_its_own_disabled_daily_task(self):
        dtm = source("DTM", kind=ListSource.Kind.URL, url="https://dtm.example.org/sites.csv")

        task = services.ensure_schedule(dtm)

        assert (task.task, json.loads(task.kwargs), task.enabled) == (
            "settlements.import_daily_list",
            {"source_id": dtm.pk},
            False,
        )
        assert services.ensure_schedule(dtm) == task  # once
        assert services.ensure_schedule(source("Uploads only")) is None

    def test_the_admin_makes_the_schedule_when_a_url_source_is_saved(self, admin_client):
        response = admin_client.post(
            "/admin/settlements/listsource/add/",
            {
                "name": "DTM",
                "kind": "url",
                "url": "https://dtm.example.org/sites.csv",
                "column_mapping": "{}",
                "required_columns": "[]",
                "created_at_0": "2017-09-11",
                "created_at_1": "06:00",
            },
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        assert ListSource.objects.get(name="DTM").schedule.name == "Import DTM"


class TestProgress:
    def test_a_worker_import_keeps_its_progress_where_the_page_reads_it(self):
        queued = ImportRun.objects.create(source="list.csv", status=ImportRun.Status.RUNNING)
        progress = CachedProgress(every=0)
        progress.attach(queued)
        progress.read(200)
        progress.matched(100)

        shown = progress_of(queued)
        assert (shown["phase"], shown["rows"], shown["matched"], shown["written"]) == ("matching", 200, 100, 0)
        assert shown["percent"] == 30

    def test_progress_is_told_at_each_step_of_an_import(self):
        seen = []

        class Recorder(CachedProgress):
            def show(self, figures):
                seen.append(figures["phase"])

        run(HEADER + "C2663,700\nC3315,5000\n", "2017-09-11", progress=Recorder())

        assert seen[0] == "reading" and seen[-1] == "done"
        assert {"matching", "writing"} <= set(seen)

    def test_a_finished_or_queued_run_needs_no_cache(self):
        done = ImportRun(status=ImportRun.Status.SUCCEEDED, rows=10)
        assert progress_of(done) == {
            "phase": "done",
            "rows": 10,
            "read": 10,
            "matched": 10,
            "written": 10,
            "percent": 100,
        }
        assert progress_of(ImportRun(status=ImportRun.Status.QUEUED))["phase"] == "queued"
        assert percent({"phase": "writing", "rows": 10, "matched": 10, "written": 10}) == 99
        cache.clear()


class TestCommandLine:
    def test_an_import_names_its_source(self, tmp_path, capsys):
        source("Partner survey", column_mapping=PARTNER_MAPPING)
        path = tmp_path / "partner-2017-09-11.csv"
        path.write_text(PARTNER_HEADERS + "C2663,1234,,\n")

        call_command("import_settlement_list", str(path), "--source", "Partner survey", "--json")

        out = capsys.readouterr().out
        assert json.loads(out)["list_source"] == "Partner survey"
        assert out.count("\n") == 1

    @pytest.mark.slow
    @pytest.mark.parametrize("as_json", [False, True])
    def test_on_a_terminal_it_shows_progress_bars_and_with_json_none(self, as_json):
        out = on_a_terminal("import_settlement_list", str(SAMPLE), "--dry-run", *(["--json"] if as_json else []))

        bars = [line for line in out.splitlines() if "━" in line]
        if as_json:
            assert not bars
            summary = out[out.index('{"status"') :].splitlines()[0]  # stdout and stderr share the terminal
            assert json.loads(summary)["rows"] == 69
        else:
            assert any("read" in line and "69/69" in line for line in bars), out
            assert "Dry run of" in out

    def test_an_unknown_source_is_refused_with_the_known_ones(self, tmp_path):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="Daily settlement list"):
            call_command("import_settlement_list", str(tmp_path / "x.csv"), "--source", "Nobody")
