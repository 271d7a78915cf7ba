"""Import one daily list: read, validate every row, match, then write everything in one transaction.

Nothing is written row by row. A list that cannot be read fails whole; a row that cannot be used
is skipped with a row-numbered message; the rest lands together or not at all. The same content
for the same day is recorded as unchanged and writes nothing else.
"""

import contextlib
import datetime
import gc
import hashlib
import itertools
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from aidtrack.logs import import_run_context
from settlements import services
from settlements.bulk import copy_rows, insert_new, point_ewkt
from settlements.caching import data_changed
from settlements.corrections.services import reconcile_list
from settlements.importing.columns import (
    RowParser,
    map_columns,
    missing_identity,
    missing_required,
    personal_columns,
)
from settlements.importing.fetch import FetchError, SourceRefused, fetch
from settlements.importing.matcher import RowMatcher, RowOutcome
from settlements.importing.progress import Progress
from settlements.importing.readers import ListFormatError, date_in, list_layout, read_table
from settlements.importing.signals import import_finished
from settlements.matching import name_keys
from settlements.models import (
    AidRequest,
    ImportRun,
    ListChange,
    ListEntry,
    ListSnapshot,
    ListSource,
    Settlement,
)
from settlements.sources import selectors as sources
from settlements.sources.services import default_source, record_disagreements

log = logging.getLogger(__name__)

ADVISORY_LOCK = 7_420_001  # one daily-list import at a time, across workers and beats
NEEDS = {"food_t": AidRequest.Category.FOOD, "medicine_t": AidRequest.Category.MEDICINE}
DIFF_IGNORES = {"row_number"}


class ImportFailed(Exception):
    """The whole list is refused; the message is for the person who sent it."""


class ImportBusy(Exception):
    """Another import holds the lock; a queued run waits for it (its task retries)."""


@dataclass
class ImportResult:
    run: ImportRun
    outcomes: list[RowOutcome] = field(default_factory=list)
    changes: list[ListChange] = field(default_factory=list)
    dry_run: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        run = self.run
        return {
            "status": run.status,
            "run": run.pk,
            "source": run.source,
            "list_source": run.list_source.name if run.list_source_id else None,
            "format": run.format,
            "list_date": run.list_date.isoformat() if run.list_date else None,
            "sha256": run.sha256,
            **run.counts(),
            "error": run.error,
            "dry_run": self.dry_run,
            "timings": self.timings,
        }


# --- entry points --------------------------------------------------------------------------


def import_from_source(source: str, **options) -> ImportResult:
    """Fetch a path or URL and import it (for a queued import, only one check_queued_source allows).

    A failed fetch is recorded as a failed run and then raised, so a scheduled import can retry it.
    """
    queued = options.pop("queued", False)
    try:
        content = fetch(source, queued=queued, list_source=options.get("list_source"))
    except (FetchError, SourceRefused) as exc:
        if not options.get("dry_run"):
            failed = options.get("run") or ImportRun(
                trigger=options.get("trigger", ImportRun.Trigger.COMMAND),
                triggered_by=options.get("user"),
                task_id=options.get("task_id", ""),
            )
            failed.source, failed.list_source = source[:500], options.get("list_source") or default_source()
            failed.status, failed.error, failed.finished_at = ImportRun.Status.FAILED, str(exc), timezone.now()
            failed.save()
            _announce(failed)
        raise
    return import_list(content, source=source, **options)


WORKER_STOPPED = "The worker stopped while reading this list"


def import_list(
    content: bytes,
    *,
    source: str,
    list_source: ListSource | None = None,
    mapping: dict[str, str] | None = None,
    list_date: datetime.date | None = None,
    dry_run: bool = False,
    trigger: str = ImportRun.Trigger.COMMAND,
    user=None,
    task_id: str = "",
    run: ImportRun | None = None,
    progress: Progress | None = None,
    wait_when_busy: bool = False,
) -> ImportResult:
    """Import a list's bytes as `list_source`'s (the default source when none is given), its columns
    read by `mapping` (header -> field or "ignore"; the source's saved mapping when None).

    The run is on record (committed as running) before reading starts, so a worker that dies on a
    list leaves a run that says so; a redelivered task (`task_id`) counts its attempts on that same
    run and gives up past IMPORT_MAX_ATTEMPTS. A queued `run` (started from the upload page or the
    API) that finds another import running stays queued and raises ImportBusy (`wait_when_busy`).
    """
    list_source = list_source or default_source()
    run = (
        run or _run_for(task_id) or ImportRun(source=source[:500], trigger=trigger, triggered_by=user, task_id=task_id)
    )
    run.list_source = list_source
    run.attempts += 1
    run.started_at = timezone.now()
    run.sha256 = hashlib.sha256(content).hexdigest()
    result = ImportResult(run=run, dry_run=dry_run)
    progress = progress or Progress()
    chosen = list_source.column_mapping if mapping is None else mapping
    if run.attempts > settings.IMPORT_MAX_ATTEMPTS:
        return _finish(
            result,
            ImportRun.Status.FAILED,
            f"{WORKER_STOPPED}, on each of the {settings.IMPORT_MAX_ATTEMPTS} attempts allowed (IMPORT_MAX_ATTEMPTS); "
            "it was given up. Check the file before importing it again.",
        )
    with _import_lock() as acquired:
        if not acquired and wait_when_busy:
            run.attempts -= 1
            run.status, run.error = ImportRun.Status.QUEUED, "Waiting for another import to finish."
            run.save()
            raise ImportBusy(run.error)
        if not acquired:
            return _finish(result, ImportRun.Status.SKIPPED, "Another import is running; this one was skipped.")
        close_abandoned_runs(holding_lock=True)
        if trigger == ImportRun.Trigger.SCHEDULE and (earlier := _slot_already_imported(run)):
            when = timezone.localtime(earlier.started_at).strftime("%H:%M")
            return _finish(result, ImportRun.Status.SKIPPED, f"This schedule slot was already imported at {when}.")
        _start(result)
        if not dry_run:
            progress.attach(run)
        with import_run_context(run.pk):
            log.info("importing %s (attempt %d)", source, run.attempts, extra={"source": source[:500]})
            try:
                with _cyclic_gc_paused():
                    _import(content, result, list_date, chosen=chosen, progress=progress)
            except ImportFailed as exc:
                return _finish(result, ImportRun.Status.FAILED, str(exc))
            except Exception as exc:
                log.exception("import of %s failed", source)
                _finish(result, ImportRun.Status.FAILED, f"Unexpected error, nothing was written: {exc!r}")
                raise
            finally:
                progress.done()
    return result


def _run_for(task_id: str) -> ImportRun | None:
    """The run of an earlier delivery of the same task whose worker died before it finished."""
    if not task_id:
        return None
    run = ImportRun.objects.filter(task_id=task_id).order_by("-pk").first()
    waiting = (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING)
    if run is not None and (run.status in waiting or run.error.startswith(WORKER_STOPPED)):
        return run
    return None


def _start(result: ImportResult) -> None:
    """Commit the run as running before a byte of the list is read (a dry run leaves no record)."""
    run = result.run
    run.status, run.error, run.finished_at = ImportRun.Status.RUNNING, "", None
    if not result.dry_run:
        run.save()


def close_abandoned_runs(*, holding_lock: bool = False) -> int:
    """Runs left `running` by a process that died are closed as failed. Only while holding the import
    lock (or able to take it) is that certain: no live import then exists. Returns how many."""
    if not holding_lock:
        with _import_lock() as acquired:
            return close_abandoned_runs(holding_lock=True) if acquired else 0
    return ImportRun.objects.filter(status=ImportRun.Status.RUNNING).update(
        status=ImportRun.Status.FAILED,
        error=f"{WORKER_STOPPED}; nothing of it was written.",
        finished_at=timezone.now(),
    )


@contextlib.contextmanager
def _cyclic_gc_paused():
    """An import builds millions of small acyclic objects (cells, rows, outcomes) that reference
    counting frees; the cyclic collector's repeated passes over them cost a 100,000-row list 2 s."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _slot_already_imported(run: ImportRun) -> ImportRun | None:
    """A scheduled import of the same source that succeeded within IMPORT_SLOT_MINUTES: the same
    slot, sent twice."""
    since = run.started_at - datetime.timedelta(minutes=settings.IMPORT_SLOT_MINUTES)
    done = [ImportRun.Status.SUCCEEDED, ImportRun.Status.UNCHANGED]
    scheduled = ImportRun.objects.filter(
        list_source=run.list_source, trigger=ImportRun.Trigger.SCHEDULE, status__in=done, started_at__gte=since
    )
    return scheduled.exclude(pk=run.pk).order_by("started_at").first()


# --- the import ----------------------------------------------------------------------------


def _import(content: bytes, result: ImportResult, list_date, *, chosen: dict, progress: Progress) -> None:
    run = result.run
    known_date = list_date or date_in(run.source)
    if known_date and _unchanged(result, known_date):
        return
    timer = _Timer(result.timings)
    try:
        with timer("read"):
            table = read_table(content, run.source, list_layout(chosen))
    except ListFormatError as exc:
        raise ImportFailed(str(exc)) from None
    run.format = table.format
    run.list_date = list_date or table.list_date or timezone.localdate()
    mapping = map_columns(table.headers, table.hxl_tags, chosen)
    problem = missing_identity(mapping)
    if problem:
        raise ImportFailed(f"{problem} Columns found: {', '.join(h for h in table.headers if h) or 'none'}.")
    required = missing_required(mapping, run.list_source.required_columns)
    if required:
        raise ImportFailed(
            f"The source {run.list_source} requires a column for {', '.join(required)}; the list has none. "
            f"Columns found: {', '.join(h for h in table.headers if h)}."
        )
    if not table.rows:
        raise ImportFailed("The list has a header but no rows.")
    if _unchanged(result, run.list_date):
        return
    progress.read(len(table.rows))

    dropped = personal_columns(table.headers, table.rows, mapping)
    run.dropped_columns = [table.headers[i] for i in dropped]
    with timer("parse"):
        parse = RowParser(table.headers, mapping, decimal_comma=table.decimal_comma, dropped=dropped)
        parsed = [parse(number, list(cells), problem) for number, cells, problem in table.numbered_rows()]
    with timer("match"):
        matcher = RowMatcher()
        result.outcomes = matcher.match_all(parsed, progress=progress)
    run.rows = len(parsed)
    progress.writing()
    # A dry run goes through every step of the import, and rolls it back.
    with transaction.atomic():
        if result.dry_run:
            run.save()  # rolled back with everything else
        snapshot = _replace_snapshot(run, [h for i, h in enumerate(table.headers) if i not in dropped])
        is_latest = services.is_latest_list(snapshot)
        with timer("create"):
            _create_settlements(result.outcomes, matcher, run.list_date, on_latest_list=is_latest)
        with timer("entries"):
            _write_entries(snapshot, result.outcomes)
        progress.written(len(parsed) // 2)
        with timer("diff"):
            result.changes = _diff(snapshot, result.outcomes)
        updated, removed, conflicts = _apply(snapshot, is_latest=is_latest, timer=timer)
        with timer("sources"):
            record_disagreements(snapshot)
        progress.written(len(parsed))
        _count(result, updated=updated, removed=removed)
        run.conflicts = conflicts
        if result.dry_run:
            transaction.set_rollback(True)
        else:
            _finish(result, ImportRun.Status.SUCCEEDED, "")
            transaction.on_commit(data_changed)
        timer.start("commit")
    timer.stop()
    if result.dry_run:
        run.pk = None
        _finish(result, ImportRun.Status.SUCCEEDED, "")


class _Timer:
    """Seconds spent in each phase of an import, for the --json summary and the benchmark."""

    def __init__(self, timings: dict):
        self.timings, self.phase, self.started = timings, None, 0.0

    def __call__(self, phase: str):
        self.start(phase)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self, phase: str) -> None:
        self.phase, self.started = phase, time.perf_counter()

    def stop(self) -> None:
        if self.phase:
            self.timings[self.phase] = round(time.perf_counter() - self.started, 3)
            self.phase = None


def _unchanged(result: ImportResult, list_date: datetime.date) -> bool:
    """The same content for the same day was imported before: record that, and nothing else."""
    run = result.run
    snapshot = ListSnapshot.objects.filter(list_source=run.list_source, list_date=list_date, sha256=run.sha256)
    snapshot = snapshot.select_related("import_run")
    snapshot = snapshot.first()
    if snapshot is None:
        return False
    run.list_date, run.format, run.rows = list_date, snapshot.import_run.format, snapshot.import_run.rows
    _finish(result, ImportRun.Status.UNCHANGED, "")
    return True


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
        _announce(run)
    counts = run.counts()
    with import_run_context(run.pk):
        log.log(
            logging.ERROR if status == ImportRun.Status.FAILED else logging.INFO,
            "import %s%s: %s rows, %s matched, %s created, %s to review, %s errors%s",
            status,
            " (dry run)" if result.dry_run else "",
            *(counts.get(key, 0) for key in ("rows", "matched", "created", "unmatched", "errors")),
            f"; {error}" if error else "",
            extra={"status": status, "counts": counts},
        )
    return result


def _announce(run: ImportRun) -> None:
    """Once committed, tell whoever listens (alerts) that the run succeeded or failed. A listener's
    error is logged (django.dispatch, with its traceback) and never fails the import."""
    if run.status in (ImportRun.Status.SUCCEEDED, ImportRun.Status.FAILED):
        transaction.on_commit(lambda: import_finished.send_robust(sender=ImportRun, run=run))


# --- what changes --------------------------------------------------------------------------


def _new_settlement(outcome: RowOutcome, matcher: RowMatcher, list_date, *, on_latest_list: bool) -> dict:
    """A row's P-code the gazetteer lacks; its figures follow with the rest of the list's."""
    values = outcome.values
    name = values["name"][:150]
    return {
        "pcode": outcome.pcode,
        "name_en": name,
        "name_keys": sorted(name_keys(name)),
        "location": point_ewkt(values["longitude"], values["latitude"]),
        "governorate": matcher.area_ids[outcome.governorate_pcode],
        "district": matcher.area_ids.get(outcome.district_pcode),
        "unverified": True,
        "on_latest_list": on_latest_list,
        "first_listed": list_date,
        "last_listed": list_date,
        "last_confirmed": list_date,
        "notes": f"Created by the import of the {list_date} list; not in the gazetteer.",
    }


def _replace_snapshot(run: ImportRun, headers: list[str]) -> ListSnapshot:
    ListSnapshot.objects.filter(list_source=run.list_source, list_date=run.list_date).delete()
    return ListSnapshot.objects.create(
        list_source=run.list_source,
        list_date=run.list_date,
        import_run=run,
        source=run.source,
        sha256=run.sha256,
        columns=headers,
    )


def _create_settlements(outcomes: list[RowOutcome], matcher: RowMatcher, list_date, *, on_latest_list: bool) -> None:
    """Settlements the list adds get their ids first, so their entries can point at them: reserved
    from the sequence, then COPYed with every other field at its default (a 100,000-place list
    spent 29 s building and inserting model instances)."""
    created = [o for o in outcomes if o.outcome == ListEntry.Outcome.CREATED]
    rows = [_new_settlement(o, matcher, list_date, on_latest_list=on_latest_list) for o in created]
    for outcome, pk in zip(created, insert_new(Settlement, rows), strict=True):
        outcome.settlement_id = pk


ENTRY_FIELDS = ["snapshot", "row", "settlement", "outcome", "method", "score", "name", "pcode", "governorate"]
ENTRY_FIELDS += ["raw", "values", "message", "warnings", "candidates"]


def _write_entries(snapshot: ListSnapshot, outcomes: list[RowOutcome]) -> None:
    written = copy_rows(
        ListEntry,
        ENTRY_FIELDS,
        (
            (
                snapshot.pk,
                o.row,
                o.settlement_id,
                o.outcome,
                o.method,
                o.score,
                str(o.values.get("name", ""))[:300],
                o.pcode[:32],
                o.governorate_id,
                o.raw,
                o.values,
                o.message,
                o.warnings,
                o.candidates,
            )
            for o in outcomes
        ),
    )
    if written > 1000:
        # What follows joins today's rows to settlements and requests: with statistics that still
        # count yesterday's table the planner loops over them one by one.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ListEntry._meta.db_table} (snapshot_id, settlement_id)")


def _diff(snapshot: ListSnapshot, outcomes: list[RowOutcome]) -> list[tuple]:
    """Added, removed and changed settlements against the source's previous list, written as ListChange rows."""
    previous = ListSnapshot.objects.filter(list_source=snapshot.list_source_id, list_date__lt=snapshot.list_date)
    previous = previous.order_by("-list_date").first()
    if previous is None:
        return []
    before = _entry_values(previous)
    after = {o.settlement_id: o.values for o in outcomes if o.settlement_id is not None}
    changes = [(i, ListChange.Kind.ADDED, "", "", "") for i in after.keys() - before.keys()]
    changes += [(i, ListChange.Kind.REMOVED, "", "", "") for i in before.keys() - after.keys()]
    for settlement_id in after.keys() & before.keys():
        old, new = before[settlement_id], after[settlement_id]
        if old == new:  # most of a day's list: one comparison in C instead of one per field
            continue
        for name in sorted((old.keys() | new.keys()) - DIFF_IGNORES):
            if old.get(name) != new.get(name):
                changes.append(
                    (settlement_id, ListChange.Kind.CHANGED, name, _show(old.get(name)), _show(new.get(name)))
                )
    copy_rows(
        ListChange, ["snapshot", "settlement", "kind", "field", "old", "new"], ((snapshot.pk, *c) for c in changes)
    )
    return changes


def _entry_values(snapshot: ListSnapshot) -> dict[int, dict]:
    """Each settlement's parsed values on a list, decoded by orjson (the JSON field's json.loads
    took half of a 100,000-row list's diff)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT settlement_id, "values"::text FROM {ListEntry._meta.db_table} '  # noqa: S608 (the model's table)
            "WHERE snapshot_id = %s AND settlement_id IS NOT NULL",
            [snapshot.pk],
        )
        return {settlement_id: orjson.loads(values) for settlement_id, values in cursor.fetchall()}


def _show(value) -> str:
    return "" if value is None else str(value)[:300]


def _apply(snapshot: ListSnapshot, *, is_latest: bool, timer: "_Timer") -> tuple[list[int], list[int], int]:
    """The list onto settlements and aid requests. Returns the ids of settlements whose figures
    changed and of those the newest list no longer names, and the conflicts with staff corrections.

    The source's newest list sets figures and needs, except of settlements another source's later
    list names: the newest word on a settlement stands (until staff choose, `sources`)."""
    with timer("settlements"):
        removed = _take_off_the_list(snapshot) if is_latest else []
        newer = sources.later_lists_elsewhere(snapshot) if is_latest else []
        updated = services.take_list_rows(snapshot, is_latest=is_latest, newer_lists=newer)
    conflicts = 0
    if is_latest:
        with timer("needs"):
            _apply_needs(snapshot, newer_lists=newer)
        with timer("conflicts"):
            conflicts = reconcile_list(snapshot)
    return updated, removed, conflicts


def _take_off_the_list(snapshot: ListSnapshot) -> list[int]:
    """Settlements the source's newest list leaves out go off it, unless another source's latest
    list names them; they are never deleted."""
    table = Settlement._meta.db_table
    lists = [snapshot.pk, *sources.latest_lists(besides=snapshot.list_source_id)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} s SET on_latest_list = false
            WHERE s.on_latest_list AND NOT EXISTS (
                SELECT FROM {ListEntry._meta.db_table} e WHERE e.settlement_id = s.id AND e.snapshot_id = ANY(%s)
            )
            RETURNING s.id
            """,  # noqa: S608 (names come from the models, values are bound)
            [lists],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _apply_needs(snapshot: ListSnapshot, *, newer_lists: list[int]) -> None:
    """Needs the list states become aid requests sourced from it; staff-entered requests are never touched.

    The stated needs are read back from the entries just written, in PostgreSQL: a 100,000-row list
    states 200,000 needs, and building and sending them from Python took most of an import's writes.
    """
    table, entries, now = AidRequest._meta.db_table, ListEntry._meta.db_table, timezone.now()
    needs = ", ".join(["(%s, %s)"] * len(NEEDS))
    params = [*(v for item in NEEDS.items() for v in item), snapshot.pk]
    newer = ""
    if newer_lists:
        # A settlement a later list of another source names takes its needs from that list.
        newer = f"AND NOT EXISTS (SELECT FROM {entries} n WHERE n.snapshot_id = ANY(%s) AND n.settlement_id = e.settlement_id)"  # noqa: E501
        params.append(newer_lists)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMP TABLE aidtrack_stated ON COMMIT DROP AS
            SELECT e.settlement_id, n.category, (e."values" ->> n.field)::numeric AS quantity
            FROM {entries} e CROSS JOIN (VALUES {needs}) AS n(field, category)
            WHERE e.snapshot_id = %s AND e.settlement_id IS NOT NULL AND (e."values" ->> n.field)::numeric > 0
              {newer}
            """,  # noqa: S608 (table names come from the models, values are bound)
            params,
        )
        cursor.execute("ANALYZE aidtrack_stated")
        # One statement: each need the list states again is found and written once (its quantity,
        # and today's list as the one that last stated it: one row version, which fits beside the
        # old one, a HOT update, migration 0025), and the needs no request holds yet are inserted.
        # In SET, r.quantity is still the old quantity: a need whose quantity changed gets this
        # import's time, which is how the statement tells which changed.
        cursor.execute(
            f"""
            WITH restated AS (
                UPDATE {table} r SET list_snapshot_id = %s, quantity = s.quantity,
                    updated_at = CASE WHEN r.quantity <> s.quantity THEN %s ELSE r.updated_at END
                FROM aidtrack_stated s
                WHERE r.source = %s AND r.settlement_id = s.settlement_id AND r.category = s.category
                RETURNING r.id, r.settlement_id, r.category, r.updated_at
            ), added AS (
                INSERT INTO {table} (settlement_id, category, quantity, unit, priority, status, status_set_by_staff,
                                     source, list_snapshot_id, description, created_at, updated_at)
                SELECT s.settlement_id, s.category, s.quantity, %s, %s, %s, false, %s, %s, %s, %s, %s
                FROM aidtrack_stated s
                WHERE NOT EXISTS (
                    SELECT FROM restated u WHERE u.settlement_id = s.settlement_id AND u.category = s.category
                )
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM added), array_agg(id) FILTER (WHERE updated_at = %s) FROM restated
            """,  # noqa: S608 (table names come from the models, values are bound)
            [
                snapshot.pk,
                now,
                AidRequest.Source.DAILY_LIST,
                AidRequest.Unit.TONNES,
                AidRequest.Priority.MEDIUM,
                AidRequest.Status.OPEN,
                AidRequest.Source.DAILY_LIST,
                snapshot.pk,
                f"Stated by the daily list of {snapshot.list_date}.",
                now,
                now,
                now,
            ],
        )
        added, changed = cursor.fetchone()
        changed = changed or []
        if added > 1000:
            # The next list's needs are matched through the list-need index: its statistics have to
            # count these rows, or the planner reads the whole index for a few dozen needs. A small
            # sample is enough for that (a full one takes 0.4 s of a million requests); autovacuum
            # analyses the table properly later.
            cursor.execute("SET LOCAL default_statistics_target = 10")
            cursor.execute(f"ANALYZE {table} (source, settlement_id, category)")
            cursor.execute("RESET default_statistics_target")
        cursor.execute("DROP TABLE aidtrack_stated")
    services.refresh_request_status(request_ids=changed)


def _count(result: ImportResult, *, updated: list[int], removed: list[int]) -> None:
    run, outcomes = result.run, result.outcomes
    by = defaultdict(int)
    for outcome in outcomes:
        by[outcome.outcome] += 1
    run.matched = by[ListEntry.Outcome.MATCHED]
    run.created = by[ListEntry.Outcome.CREATED]
    run.unmatched = by[ListEntry.Outcome.REVIEW]
    run.errors = by[ListEntry.Outcome.ERROR]
    # A settlement the list created took its figures from it, but was not updated.
    created = {o.settlement_id for o in outcomes if o.outcome == ListEntry.Outcome.CREATED}
    run.updated = len(set(updated) - created)
    run.unchanged = run.matched - run.updated
    run.removed = len(removed)
    run.warnings = sum(1 for o in outcomes if o.warnings)
    # The run keeps the first messages; every one stays on the list's entries and in its report.
    cap = settings.IMPORT_MAX_ROW_MESSAGES
    errors = (o for o in outcomes if o.outcome == ListEntry.Outcome.ERROR)
    run.row_errors = [{"row": o.row, "message": o.message} for o in itertools.islice(errors, cap)]
    warned = (o for o in outcomes if o.warnings)
    run.row_warnings = [{"row": o.row, "message": "; ".join(o.warnings)} for o in itertools.islice(warned, cap)]
