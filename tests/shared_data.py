"""Where the shared specification data lives: ``../shared`` beside the repository, or $JJJ_SHARED_DIR."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("JJJ_SHARED_DIR", ROOT.parent / "shared"))
IDENTIFIERS = SHARED_DIR / "data" / "identifiers"
EARLY_CYCLE = SHARED_DIR / "data" / "early-cycle-features"
