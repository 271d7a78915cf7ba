"""Sent once an import has ended for good (succeeded or failed) and its transaction committed,
with the run: alerts listen to it. A dry run, a skipped or an unchanged import sends nothing."""

from django.dispatch import Signal

import_finished = Signal()  # sender=ImportRun, run=ImportRun
