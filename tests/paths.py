"""Where tests find the shared sample lists: ../shared beside the project, or AIDTRACK_SHARED_DIR."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("AIDTRACK_SHARED_DIR", ROOT.parent / "shared"))
DAILY_LISTS = SHARED / "data" / "daily-lists"
