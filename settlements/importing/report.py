"""The reconciliation report: one CSV line per input row, saying what became of it."""

import csv
import io

from settlements.importing.columns import neutralise

HEADER = ["row", "status", "pcode", "settlement", "score", "message"]


def report_rows(outcomes):
    """(row, status, pcode, settlement, score, message) for in-memory outcomes or saved list entries."""
    for o in outcomes:
        score = "" if o.score is None else f"{o.score:g}"
        yield [o.row, o.outcome, o.pcode, o.settlement_name, score, _said(o.message, o.warnings)]


def report_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def entry_report_rows(entries):
    """The same lines, from the list entries an import saved."""
    for e in entries:
        score = "" if e.score is None else f"{e.score:g}"
        name = e.settlement.name_en if e.settlement_id else ""
        pcode = e.settlement.pcode if e.settlement_id else e.pcode
        yield [e.row, e.outcome, pcode, name, score, _said(e.message, e.warnings)]


def _said(message: str, warnings: list[str]) -> str:
    """The row's message and its warnings (values not understood), in one cell."""
    return "; ".join([m for m in (message, *warnings) if m])
