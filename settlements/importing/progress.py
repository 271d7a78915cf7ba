"""How far a running import has got: rows read, matched and written.

The import calls a `Progress` at each step. The worker's keeps the figures in the cache, where the
run's page and the API read them (the run's row cannot say: the import writes in one transaction,
invisible until it commits); the command line's draws a bar on the terminal.
"""

import logging
import time

from django.core.cache import cache

log = logging.getLogger(__name__)
PHASES = ["queued", "reading", "matching", "writing", "done"]
KEEP_SECONDS = 24 * 3600


class Progress:
    """Told the row count once read, then how many rows are matched and written. Does nothing itself."""

    def __init__(self):
        self.figures = {"phase": "reading", "rows": 0, "read": 0, "matched": 0, "written": 0}

    def attach(self, run) -> None:
        """The run is on record (it has an id)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, rows: int) -> None:
        self._update(phase="matching", rows=rows, read=rows)

    def matched(self, count: int) -> None:
        self._update(matched=count)

    def writing(self) -> None:
        self._update(phase="writing")

    def written(self, count: int) -> None:
        self._update(written=count)

    def done(self) -> None:
        self._update(phase="done")

    def _update(self, **figures) -> None:
        self.figures.update(figures)
        self.show(self.figures)

    def show(self, figures: dict) -> None:
        pass


def _key(run_id: int) -> str:
    return f"import-progress:{run_id}"


class CachedProgress(Progress):
    """The figures of the run in the cache, written at most every `every` seconds (and at each
    change of phase): a 100,000-row list reports 20 times, not 100,000."""

    def __init__(self, every: float = 0.5):
        super().__init__()
        self.run_id, self.every, self.last, self.phase = None, every, 0.0, None

    def attach(self, run) -> None:
        self.run_id = run.pk
        self.show(self.figures)

    def show(self, figures: dict) -> None:
        if self.run_id is None:  # a dry run: no run on record to show it on
            return
        now = time.monotonic()
        if figures["phase"] == self.phase and now - self.last < self.every:
            return
        self.last, self.phase = now, figures["phase"]
        try:
            cache.set(_key(self.run_id), dict(figures), KEEP_SECONDS)
        except Exception:  # the cache being down never fails an import
            log.warning("could not record the import's progress", exc_info=True)


def progress_of(run) -> dict:
    """What the run's page shows: the cached figures while it runs, its counts once finished."""
    from settlements.models import ImportRun

    if run.status == ImportRun.Status.QUEUED:
        return {"phase": "queued", "rows": 0, "read": 0, "matched": 0, "written": 0, "percent": 0}
    if run.status != ImportRun.Status.RUNNING:
        done = run.rows if run.status == ImportRun.Status.SUCCEEDED else 0
        return {
            "phase": "done",
            "rows": run.rows,
            "read": run.rows,
            "matched": run.rows,
            "written": done,
            "percent": 100,
        }
    try:
        figures = cache.get(_key(run.pk)) or {}
    except Exception:
        figures = {}
    figures = {"phase": "reading", "rows": 0, "read": 0, "matched": 0, "written": 0, **figures}
    figures["percent"] = percent(figures)
    return figures


def percent(figures: dict) -> int:
    """Reading is a tenth of an import, matching four tenths, writing half."""
    rows = figures["rows"]
    if not rows:
        return 5 if figures["phase"] != "queued" else 0
    share = 10 + 40 * figures["matched"] / rows + 50 * figures["written"] / rows
    return min(99, int(share))
