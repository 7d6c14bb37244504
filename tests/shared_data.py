"""Where the tests' own data lives: ``tests/data/`` (copies of the specification data, see its README)."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
IDENTIFIERS = DATA_DIR / "identifiers"
