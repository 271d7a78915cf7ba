"""Import one daily list: read, validate every row, match, then write everything in one transaction.

Nothing is written row by row. A list that cannot be read fails whole; a row that cannot be used
is skipped with a row-numbered message; the rest lands together or not at all. The same content
for the same day is recorded as unchanged and writes nothing else.
"""

import datetime
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from settlements import services
from settlements.bulk import update_rows
from settlements.importing.columns import map_columns, missing_identity, parse_row
from settlements.importing.fetch import FetchError, SourceRefused, fetch
from settlements.importing.readers import ListFormatError, read_table
from settlements.matching import Gazetteer, Governorates, Match, Place, looks_like_pcode, name_key
from settlements.models import (
    AdminArea,
    AidRequest,
    ImportRun,
    ListChange,
    ListEntry,
    ListSnapshot,
    Settlement,
    SettlementAlias,
)

log = logging.getLogger(__name__)

ADVISORY_LOCK = 7_420_001  # one daily-list import at a time, across workers and beats
FIGURES = Settlement.LIST_FIGURES
NEEDS = {"food_t": AidRequest.Category.FOOD, "medicine_t": AidRequest.Category.MEDICINE}
DIFF_IGNORES = {"row_number"}


class ImportFailed(Exception):
    """The whole list is refused; the message is for the person who sent it."""


@dataclass
class RowOutcome:
    row: int
    raw: dict
    values: dict
    outcome: str  # ListEntry.Outcome
    settlement_id: int | None = None
    pcode: str = ""
    settlement_name: str = ""
    method: str = ""
    score: float | None = None
    message: str = ""
    candidates: list = field(default_factory=list)
    governorate_id: int | None = None
    governorate_pcode: str = ""
    district_pcode: str = ""
    new_settlement: Settlement | None = None


@dataclass
class ImportResult:
    run: ImportRun
    outcomes: list[RowOutcome] = field(default_factory=list)
    changes: list[ListChange] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> dict:
        run = self.run
        return {
            "status": run.status,
            "run": run.pk,
            "source": run.source,
            "format": run.format,
            "list_date": run.list_date.isoformat() if run.list_date else None,
            "sha256": run.sha256,
            **run.counts(),
            "error": run.error,
            "dry_run": self.dry_run,
        }


# --- entry points --------------------------------------------------------------------------


def import_from_source(source: str, **options) -> ImportResult:
    """Fetch a path or URL and import it.

    A failed fetch is recorded as a failed run and then raised, so a scheduled import can retry it.
    """
    try:
        content = fetch(source)
    except (FetchError, SourceRefused) as exc:
        if not options.get("dry_run"):
            ImportRun.objects.create(
                source=source[:500],
                trigger=options.get("trigger", ImportRun.Trigger.COMMAND),
                triggered_by=options.get("user"),
                status=ImportRun.Status.FAILED,
                error=str(exc),
                finished_at=timezone.now(),
            )
        raise
    return import_list(content, source=source, **options)


def import_list(
    content: bytes,
    *,
    source: str,
    list_date: datetime.date | None = None,
    dry_run: bool = False,
    trigger: str = ImportRun.Trigger.COMMAND,
    user=None,
) -> ImportResult:
    run = ImportRun(source=source[:500], trigger=trigger, triggered_by=user, started_at=timezone.now())
    run.sha256 = hashlib.sha256(content).hexdigest()
    result = ImportResult(run=run, dry_run=dry_run)
    with _import_lock() as acquired:
        if not acquired:
            return _finish(result, ImportRun.Status.SKIPPED, "Another import is running; this one was skipped.")
        try:
            _import(content, result, list_date)
        except ImportFailed as exc:
            run.pk = None  # whatever the transaction saved was rolled back with it
            return _finish(result, ImportRun.Status.FAILED, str(exc))
        except Exception as exc:
            log.exception("import of %s failed", source)
            run.pk = None
            _finish(result, ImportRun.Status.FAILED, f"Unexpected error, nothing was written: {exc!r}")
            raise
    return result


# --- the import ----------------------------------------------------------------------------


def _import(content: bytes, result: ImportResult, list_date: datetime.date | None) -> None:
    run = result.run
    try:
        table = read_table(content, run.source)
    except ListFormatError as exc:
        raise ImportFailed(str(exc)) from None
    run.format = table.format
    run.list_date = list_date or table.list_date or timezone.localdate()
    mapping = map_columns(table.headers, table.hxl_tags)
    problem = missing_identity(mapping)
    if problem:
        raise ImportFailed(f"{problem} Columns found: {', '.join(h for h in table.headers if h) or 'none'}.")
    if not table.rows:
        raise ImportFailed("The list has a header but no rows.")
    if ListSnapshot.objects.filter(list_date=run.list_date, sha256=run.sha256).exists():
        run.rows = len(table.rows)
        _finish(result, ImportRun.Status.UNCHANGED, "")
        return

    parsed = [
        parse_row(i, table.headers, list(cells), mapping, decimal_comma=table.decimal_comma)
        for i, cells in enumerate(table.rows, start=table.first_row)
    ]
    matcher = _Matcher()
    result.outcomes = matcher.match_all(parsed)
    run.rows = len(parsed)
    if result.dry_run:
        _count(result, _plan_settlements(result, matcher))
        _finish(result, ImportRun.Status.SUCCEEDED, "")
        return
    with transaction.atomic():
        run.status = ImportRun.Status.RUNNING
        run.save()
        snapshot = _replace_snapshot(run, table.headers)
        plan = _plan_settlements(result, matcher)
        _write_entries(snapshot, result.outcomes, plan)
        result.changes = _diff(snapshot)
        ListChange.objects.bulk_create(result.changes, batch_size=2000)
        _apply(plan, snapshot)
        _count(result, plan)
        _finish(result, ImportRun.Status.SUCCEEDED, "")
        transaction.on_commit(services.data_changed)


class _import_lock:
    """A PostgreSQL session advisory lock: two workers or two beats never import at once."""

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK])
            self.acquired = cursor.fetchone()[0]
        return self.acquired

    def __exit__(self, *exc):
        if self.acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
        return False


def _finish(result: ImportResult, status: str, error: str) -> ImportResult:
    """Record how the run ended. A dry run records nothing; a failed run is saved after the rollback."""
    run = result.run
    run.status, run.error, run.finished_at = status, error, timezone.now()
    if not result.dry_run:
        run.save()
    return result


# --- matching ------------------------------------------------------------------------------


class _Matcher:
    """Matches parsed rows to settlements with one in-memory index built from the database."""

    def __init__(self):
        areas = list(
            AdminArea.objects.filter(level__lte=2).values("id", "pcode", "level", "name_en", "name_ar", "aliases")
        )
        self.area_ids = {a["pcode"]: a["id"] for a in areas}
        self.governorates = Governorates.build(
            {a["pcode"]: [a["name_en"], a["name_ar"], *a["aliases"]] for a in areas if a["level"] == 1}
        )
        self.districts = defaultdict(dict)  # governorate P-code -> name key -> district P-code
        for a in areas:
            if a["level"] == 2:
                for name in (a["name_en"], a["name_ar"], *a["aliases"]):
                    self.districts[a["pcode"][:4]][name_key(name)] = a["pcode"]
        aliases = defaultdict(list)
        for settlement_id, name in SettlementAlias.objects.values_list("settlement_id", "name"):
            aliases[settlement_id].append(name)
        rows = Settlement.objects.values_list(
            "id", "pcode", "governorate__pcode", "district__pcode", "name_en", "name_ar"
        ).order_by()
        self.gazetteer = Gazetteer(
            (Place(i, p, g, d or "", (en, ar), tuple(aliases.get(i, ()))) for i, p, g, d, en, ar in rows),
            fuzzy_threshold=settings.IMPORT_FUZZY_THRESHOLD,
        )

    def match_all(self, parsed) -> list[RowOutcome]:
        outcomes, seen_pcodes, seen_settlements = [], {}, {}
        for row in parsed:
            outcome = self.match_row(row, seen_pcodes)
            if outcome.settlement_id is not None:
                first = seen_settlements.setdefault(outcome.settlement_id, row.row)
                if first != row.row:
                    outcome = _error(row, f"names the same settlement as row {first}")
            outcomes.append(outcome)
        return outcomes

    def match_row(self, row, seen_pcodes) -> RowOutcome:
        if row.errors:
            return _error(row, "; ".join(row.errors))
        values = row.values
        pcode = values.get("pcode", "").upper()
        if pcode:
            if pcode in seen_pcodes:
                return _error(row, f"P-code {pcode} is also on row {seen_pcodes[pcode]}")
            seen_pcodes[pcode] = row.row
        governorate = self.governorates.resolve(values.get("governorate", ""))
        district = self.districts.get(governorate or "", {}).get(name_key(values.get("district", "")), "")
        match = self.gazetteer.match(
            pcode=pcode, name=values.get("name", ""), governorate=governorate, district=district
        )
        outcome = RowOutcome(row.row, row.raw, values, ListEntry.Outcome.MATCHED, pcode=pcode)
        outcome.governorate_id = self.area_ids.get(governorate)
        if match.matched:
            return self._matched(outcome, match)
        if pcode and looks_like_pcode(pcode) and governorate and "latitude" in values and values.get("name"):
            return self._to_create(outcome, governorate, district)
        outcome.outcome, outcome.message = ListEntry.Outcome.REVIEW, match.reason
        outcome.score = match.score
        outcome.candidates = [{"pcode": p.pcode, "name": p.names[0]} for p in match.candidates]
        return outcome

    @staticmethod
    def _matched(outcome: RowOutcome, match: Match) -> RowOutcome:
        outcome.settlement_id, outcome.method, outcome.score = match.place.id, match.method, match.score
        outcome.pcode, outcome.settlement_name = match.place.pcode, match.place.names[0]
        return outcome

    def _to_create(self, outcome: RowOutcome, governorate: str, district: str) -> RowOutcome:
        outcome.outcome, outcome.method = ListEntry.Outcome.CREATED, "created"
        outcome.settlement_name = outcome.values["name"]
        outcome.message = f"new settlement {outcome.pcode}, unverified"
        outcome.governorate_pcode, outcome.district_pcode = governorate, district
        return outcome


def _error(row, message: str) -> RowOutcome:
    pcode = str(row.values.get("pcode", "")).upper()
    return RowOutcome(
        row.row, row.raw, row.values, ListEntry.Outcome.ERROR, pcode=pcode, message=f"Row {row.row}: {message}"
    )


# --- what changes --------------------------------------------------------------------------


@dataclass
class _Plan:
    is_latest: bool
    updates: list[Settlement] = field(default_factory=list)
    updated_ids: set[int] = field(default_factory=set)
    new_settlements: list[Settlement] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    listed_ids: set[int] = field(default_factory=set)


def _plan_settlements(result: ImportResult, matcher: _Matcher) -> _Plan:
    list_date = result.run.list_date
    newer = ListSnapshot.objects.filter(list_date__gt=list_date).exists()
    plan = _Plan(is_latest=not newer)
    rows = {o.settlement_id: o for o in result.outcomes if o.settlement_id is not None}
    plan.listed_ids = set(rows)
    for settlement in Settlement.objects.filter(pk__in=rows).order_by():
        # An older list adds to the record of dates; only the newest one sets figures and the flag.
        if plan.is_latest:
            if settlement.apply_list_figures(rows[settlement.pk].values):
                plan.updated_ids.add(settlement.pk)
            settlement.on_latest_list = True
        settlement.note_listed(list_date)
        plan.updates.append(settlement)
    for outcome in result.outcomes:
        if outcome.outcome == ListEntry.Outcome.CREATED:
            outcome.new_settlement = _new_settlement(outcome, matcher, list_date, on_latest_list=plan.is_latest)
            plan.new_settlements.append(outcome.new_settlement)
    if plan.is_latest:
        on_list = Settlement.objects.filter(on_latest_list=True).exclude(pk__in=rows).values_list("pk", flat=True)
        plan.removed_ids = list(on_list)
    return plan


def _new_settlement(outcome: RowOutcome, matcher: _Matcher, list_date, *, on_latest_list: bool) -> Settlement:
    values = outcome.values
    settlement = Settlement(
        pcode=outcome.pcode,
        name_en=values["name"][:150],
        location=Point(values["longitude"], values["latitude"], srid=4326),
        governorate_id=matcher.area_ids[outcome.governorate_pcode],
        district_id=matcher.area_ids.get(outcome.district_pcode),
        unverified=True,
        on_latest_list=on_latest_list,
        first_listed=list_date,
        last_listed=list_date,
        last_confirmed=list_date,
        notes=f"Created by the import of the {list_date} list; not in the gazetteer.",
    )
    settlement.apply_list_figures(values)
    return settlement


def _replace_snapshot(run: ImportRun, headers: list[str]) -> ListSnapshot:
    ListSnapshot.objects.filter(list_date=run.list_date).delete()
    return ListSnapshot.objects.create(
        list_date=run.list_date, import_run=run, source=run.source, sha256=run.sha256, columns=headers
    )


def _write_entries(snapshot: ListSnapshot, outcomes: list[RowOutcome], plan: _Plan) -> None:
    # Settlements the list creates get their ids first, so their entries can point at them.
    Settlement.objects.bulk_create(plan.new_settlements)
    for outcome in outcomes:
        if outcome.new_settlement is not None:
            outcome.settlement_id = outcome.new_settlement.pk
    ListEntry.objects.bulk_create(
        (
            ListEntry(
                snapshot=snapshot,
                row=o.row,
                settlement_id=o.settlement_id,
                outcome=o.outcome,
                method=o.method,
                score=o.score,
                name=str(o.values.get("name", ""))[:300],
                pcode=o.pcode[:32],
                governorate_id=o.governorate_id,
                raw=o.raw,
                values=o.values,
                message=o.message,
                candidates=o.candidates,
            )
            for o in outcomes
        ),
        batch_size=2000,
    )


def _diff(snapshot: ListSnapshot) -> list[ListChange]:
    previous = ListSnapshot.objects.filter(list_date__lt=snapshot.list_date).order_by("-list_date").first()
    if previous is None:
        return []
    before = _listed_values(previous)
    after = _listed_values(snapshot)
    changes = [
        ListChange(snapshot=snapshot, settlement_id=i, kind=ListChange.Kind.ADDED) for i in after.keys() - before.keys()
    ]
    changes += [
        ListChange(snapshot=snapshot, settlement_id=i, kind=ListChange.Kind.REMOVED)
        for i in before.keys() - after.keys()
    ]
    for settlement_id in after.keys() & before.keys():
        old, new = before[settlement_id], after[settlement_id]
        for name in sorted((old.keys() | new.keys()) - DIFF_IGNORES):
            if old.get(name) != new.get(name):
                changes.append(
                    ListChange(
                        snapshot=snapshot,
                        settlement_id=settlement_id,
                        kind=ListChange.Kind.CHANGED,
                        field=name,
                        old=_show(old.get(name)),
                        new=_show(new.get(name)),
                    )
                )
    return changes


def _listed_values(snapshot: ListSnapshot) -> dict[int, dict]:
    entries = snapshot.entries.exclude(settlement=None).values_list("settlement_id", "values")
    return dict(entries)


def _show(value) -> str:
    return "" if value is None else str(value)[:300]


def _apply(plan: _Plan, snapshot: ListSnapshot) -> None:
    fields = ["first_listed", "last_listed", "last_confirmed"]
    if plan.is_latest:
        fields += [*FIGURES, "on_latest_list"]
    update_rows(Settlement, fields, [(s.pk, *(getattr(s, f) for f in fields)) for s in plan.updates])
    if plan.is_latest:
        Settlement.objects.filter(pk__in=plan.removed_ids).update(on_latest_list=False)
        _apply_needs(snapshot)


def _apply_needs(snapshot: ListSnapshot) -> None:
    """Needs the list states become aid requests sourced from it; staff-entered requests are never touched."""
    stated = {}
    for settlement_id, values in snapshot.entries.exclude(settlement=None).values_list("settlement_id", "values"):
        for column, category in NEEDS.items():
            if values.get(column) and Decimal(values[column]) > 0:
                stated[(settlement_id, category)] = Decimal(values[column])
    existing = {
        (r.settlement_id, r.category): r
        for r in AidRequest.objects.filter(
            source=AidRequest.Source.DAILY_LIST, settlement_id__in={s for s, _ in stated}
        )
    }
    to_create, to_update = [], []
    for (settlement_id, category), quantity in stated.items():
        request = existing.get((settlement_id, category))
        if request is None:
            to_create.append(
                AidRequest(
                    settlement_id=settlement_id,
                    category=category,
                    quantity=quantity,
                    unit=AidRequest.Unit.TONNES,
                    source=AidRequest.Source.DAILY_LIST,
                    list_snapshot=snapshot,
                    description=f"Stated by the daily list of {snapshot.list_date}.",
                )
            )
        else:
            request.quantity, request.list_snapshot = quantity, snapshot
            to_update.append(request)
    AidRequest.objects.bulk_create(to_create, batch_size=2000)
    update_rows(AidRequest, ["quantity", "list_snapshot"], [(r.pk, r.quantity, snapshot.pk) for r in to_update])
    services.refresh_request_status(request_ids=[r.pk for r in to_update])


def _count(result: ImportResult, plan: _Plan) -> None:
    run, outcomes = result.run, result.outcomes
    by = defaultdict(int)
    for outcome in outcomes:
        by[outcome.outcome] += 1
    run.matched = by[ListEntry.Outcome.MATCHED]
    run.created = by[ListEntry.Outcome.CREATED]
    run.unmatched = by[ListEntry.Outcome.REVIEW]
    run.errors = by[ListEntry.Outcome.ERROR]
    run.updated = len(plan.updated_ids) if plan.is_latest else 0
    run.unchanged = run.matched - run.updated if plan.is_latest else run.matched
    run.removed = len(plan.removed_ids) if plan.is_latest else 0
    run.row_errors = [{"row": o.row, "message": o.message} for o in outcomes if o.outcome == ListEntry.Outcome.ERROR]
