import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from settlements.importing.fetch import FetchError, SourceRefused
from settlements.importing.progress import Progress
from settlements.importing.report import report_csv, report_rows
from settlements.importing.service import import_from_source
from settlements.models import ImportRun, ListSource
from settlements.sources.services import default_source


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = "Import a daily settlement list from a path or the configured http(s) source."
    # Run by schedulers and scripts; `manage.py check` belongs in deployment, not in every import.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("source", help="a file path, or an http(s) URL on SETTLEMENT_LIST_URL's host")
        parser.add_argument("--date", type=iso_date, help="the list's date (default: from the list, else today)")
        parser.add_argument("--dry-run", action="store_true", help="report everything, write nothing")
        parser.add_argument("--json", action="store_true", help="end with one JSON object summarising the run")
        parser.add_argument("--report", metavar="PATH", help="write the reconciliation CSV to PATH")
        parser.add_argument(
            "--source",
            dest="list_source",
            metavar="NAME",
            help="the list source's name or id (default: the default source)",
        )

    def handle(self, *args, source, date, dry_run, json: bool, report, list_source, **options):
        """With --json, stdout holds exactly one line, the JSON summary, whatever happens; every
        message goes to stderr. The exit code is non-zero when the import failed. On a terminal,
        and without --json, a progress bar shows rows read, matched and written."""
        messages = self.stderr if json else self.stdout
        chosen = _list_source(list_source)
        progress = TerminalProgress() if not json and self.stderr.isatty() else Progress()
        try:
            with progress:
                result = import_from_source(
                    source, list_date=date, dry_run=dry_run, list_source=chosen, progress=progress
                )
        except (FetchError, SourceRefused) as exc:
            self._fail_before_reading(source, str(exc), as_json=json)
        except Exception as exc:  # recorded on the run already; the summary still ends the output
            self._fail_before_reading(source, f"Unexpected error, nothing was written: {exc!r}", as_json=json)
        run = result.run
        if report:
            with open(report, "w", encoding="utf-8", newline="") as f:
                f.write(report_csv(report_rows(result.outcomes)))
        self._print(result, messages)
        if json:
            self.stdout.write(json_dumps(result.summary()))
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.error, returncode=1)

    def _print(self, result, out):
        run = result.run
        counts = ", ".join(f"{name} {value}" for name, value in run.counts().items())
        verb = "Dry run" if result.dry_run else "Import"
        out.write(f"{verb} of {run.source} ({run.format or '?'}, list of {run.list_date}): {run.status}.")
        out.write(counts)
        if run.dropped_columns:
            out.write(f"  Not stored, as personal data: {', '.join(run.dropped_columns)}")
        for problem in run.row_errors[:50]:
            out.write(f"  {problem['message']}")
        for warning in run.row_warnings[:50]:
            out.write(f"  Row {warning['row']} (imported): {warning['message']}")

    def _fail_before_reading(self, source, message, *, as_json):
        if as_json:
            summary = {"status": "failed", "source": source, "error": message}
            summary.update(dict.fromkeys(ImportRun.COUNTS, 0))
            self.stdout.write(json_dumps(summary))
        raise CommandError(message, returncode=1)


def _list_source(given: str | None) -> ListSource:
    if not given:
        return default_source()
    found = ListSource.objects.filter(pk=int(given)) if given.isdigit() else ListSource.objects.filter(name=given)
    source = found.first()
    if source is None:
        names = ", ".join(ListSource.objects.values_list("name", flat=True))
        raise CommandError(f"No list source is named {given!r} (sources: {names}).")
    return source


class TerminalProgress(Progress):
    """The import's progress as bars on the terminal (rich, on stderr)."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.bars = Bars(
            TextColumn("{task.description:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bars.start()
        self.tasks = {name: self.bars.add_task(name, total=None) for name in ("read", "matched", "written")}
        return self

    def __exit__(self, *exc):
        self.bars.stop()
        return False

    def show(self, figures: dict) -> None:
        for name, task in self.tasks.items():
            self.bars.update(task, completed=figures[name], total=figures["rows"] or None)


def json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
