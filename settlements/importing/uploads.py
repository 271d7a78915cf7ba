"""A list staff hand to AidTrack (upload page, API): held in the uploads folder, previewed with
the column each header maps to, checked by a dry run, then imported in the worker as its source's.

The same readers, caps and rules as the command and the scheduled import: this module only holds
the file, shows it, and queues `settlements.import_daily_list` for it.
"""

import datetime
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils.text import get_valid_filename

from settlements.importing import fetch
from settlements.importing.columns import IGNORE, IMPORT_FIELDS, check_mapping, map_columns, missing_identity
from settlements.importing.readers import ANY_HEADER, ListFormatError, list_layout, read_table
from settlements.importing.service import ImportResult, import_list
from settlements.models import ImportRun, ListSource
from settlements.sources.services import save_mapping

log = logging.getLogger(__name__)


class UploadError(ValueError):
    """The file cannot be taken: too large, unreadable, or from a URL no source allows."""


@dataclass
class HeldList:
    """An uploaded or fetched list waiting in the uploads folder for staff to confirm it."""

    token: str
    path: Path
    name: str
    user_id: int
    source_id: int

    @property
    def content(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class Column:
    index: int
    header: str
    field: str  # the field it fills, or IGNORE
    by_hand: bool  # the source's saved mapping (or staff, now) chose it, not the vocabulary


@dataclass
class ListPreview:
    format: str
    columns: list[Column]
    rows: list[list[str]]
    row_count: int
    list_date: datetime.date | None
    problem: str = ""  # why the list cannot be imported as mapped
    mapping_error: str = ""  # why the mapping staff chose cannot be used

    @property
    def ready(self) -> bool:
        return not (self.problem or self.mapping_error)

    @property
    def mapping(self) -> dict[str, str]:
        """Every header and the field it fills: what confirming saves on the source."""
        return {c.header: c.field for c in self.columns if c.header}


def _key(token: str) -> str:
    return f"held-list:{token}"


def hold(*, content: bytes, name: str, user, source: ListSource) -> HeldList:
    """Keep the list in the uploads folder (the worker reads it there) for IMPORT_PREVIEW_MINUTES."""
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise UploadError(fetch._too_big(len(content)))
    if not content.strip():
        raise UploadError("The file is empty.")
    token = uuid.uuid4().hex
    folder = Path(settings.IMPORT_UPLOAD_DIR) / "held" / token
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (get_valid_filename(Path(name).name) or "list")
    path.write_bytes(content)
    held = HeldList(token=token, path=path, name=name, user_id=user.pk, source_id=source.pk)
    cache.set(_key(token), held, settings.IMPORT_PREVIEW_MINUTES * 60)
    return held


def held_list(token: str, user) -> HeldList | None:
    """The list `user` uploaded under `token`, while it is kept; nobody else's."""
    held = cache.get(_key(token))
    if held is None or held.user_id != user.pk or not held.path.is_file():
        return None
    return held


def fetch_list(url: str, source: ListSource) -> bytes:
    """A list staff name by URL: only on the host the source publishes from, within the same limits."""
    if source.origin is None or fetch._origin(url) != source.origin:
        raise UploadError(f"{url} is not on the host {source} publishes from ({source.list_url or 'it has no URL'}).")
    try:
        return fetch.fetch_url(url)
    except (fetch.FetchError, fetch.SourceRefused) as exc:
        raise UploadError(str(exc)) from None


def preview(held: HeldList, source: ListSource, by_hand: dict[int, str] | None = None) -> ListPreview:
    """The list's first rows and the field each column fills: by `by_hand` (column index -> field,
    as staff chose them now), else by the source's saved mapping, else by AidTrack's vocabulary."""
    content = held.content
    try:
        table = read_table(content, held.name, list_layout(source.column_mapping))
    except ListFormatError as exc:
        # A sheet or document whose header no mapping reads yet: show its first row as the header.
        try:
            table = read_table(content, held.name, ANY_HEADER)
        except ListFormatError:
            raise UploadError(str(exc)) from None
    chosen, mapping_error = source.column_mapping, ""
    if by_hand is not None:
        try:
            headers = dict(enumerate(table.headers))
            chosen = check_mapping({headers[i]: name for i, name in by_hand.items() if headers.get(i)})
        except ValueError as error:
            mapping_error = str(error)
    mapping = map_columns(table.headers, table.hxl_tags, chosen)
    columns = [Column(i, header, mapping.get(i, IGNORE), header in chosen) for i, header in enumerate(table.headers)]
    shown = [[_cell(c) for c in row] for row in table.rows[: settings.IMPORT_PREVIEW_ROWS]]
    result = ListPreview(
        format=table.format, columns=columns, rows=shown, row_count=len(table.rows), list_date=table.list_date
    )
    result.mapping_error = mapping_error
    result.problem = missing_identity(mapping) or ("" if table.rows else "The list has a header but no rows.")
    return result


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:80] + "…"


CHECK_ROWS = 50


@dataclass
class DryRun:
    """What the import would do, for the preview page: counts, rows needing attention, changes."""

    result: ImportResult
    rows: list
    more_rows: int
    changes: list[dict]

    @property
    def run(self) -> ImportRun:
        return self.result.run


def dry_run(held: HeldList, source: ListSource, mapping: dict, list_date=None) -> DryRun:
    """Everything the import would do, rolled back: matched, created, to review, errors, changes."""
    from settlements.models import ListChange, ListEntry, Settlement

    result = import_list(
        held.content, source=held.name, list_source=source, mapping=mapping, list_date=list_date, dry_run=True
    )
    attention = [o for o in result.outcomes if o.outcome != ListEntry.Outcome.MATCHED or o.warnings]
    rows = [
        {
            "row": o.row,
            "outcome": ListEntry.Outcome(o.outcome).label,
            "name": o.values.get("name", ""),
            "message": " ".join([o.message, *o.warnings]).strip(),
        }
        for o in attention[:CHECK_ROWS]
    ]
    shown = result.changes[:CHECK_ROWS]
    names = dict(Settlement.objects.filter(pk__in={c[0] for c in shown}).values_list("pk", "name_en"))
    changes = [
        {
            "settlement": names.get(c[0], c[0]),
            "kind": ListChange.Kind(c[1]).label,
            "field": ListChange(field=c[2]).field_label if c[2] else "",
            "old": c[3],
            "new": c[4],
        }
        for c in shown
    ]
    return DryRun(result, rows, max(0, len(attention) - CHECK_ROWS), changes)


def start_import(
    *,
    content_path: Path,
    name: str,
    source: ListSource,
    mapping: dict | None,
    list_date,
    user,
    remember_mapping: bool = True,
) -> ImportRun:
    """Queue the import of a held list in the worker and return its run (queued, with its progress
    to follow). The mapping staff confirmed is saved on the source for its later lists."""
    from settlements.tasks import import_daily_list

    if mapping is not None:
        mapping = check_mapping(mapping)
        if remember_mapping:
            save_mapping(source=source, mapping=mapping, user=user)
    task_id = uuid.uuid4().hex
    run = ImportRun.objects.create(
        source=name[:500],
        list_source=source,
        trigger=ImportRun.Trigger.UPLOAD,
        triggered_by=user,
        task_id=task_id,
        status=ImportRun.Status.QUEUED,
    )
    kwargs = {
        "source": str(content_path),
        "trigger": ImportRun.Trigger.UPLOAD,
        "user_id": user.pk,
        "source_id": source.pk,
        "run_id": run.pk,
        "mapping": mapping,
        "list_date": list_date.isoformat() if list_date else None,
    }
    try:
        import_daily_list.apply_async(kwargs=kwargs, task_id=task_id)
    except Exception as exc:  # the broker (Redis) is down: the run says so
        log.warning("could not queue an import", exc_info=True)
        run.status, run.error = (
            ImportRun.Status.FAILED,
            f"The task queue is unreachable, so the import was not started: {exc}",
        )
        run.finished_at = run.started_at
        run.save()
    return run


def field_choices() -> list[tuple[str, str]]:
    return [*IMPORT_FIELDS.items(), (IGNORE, "—")]
