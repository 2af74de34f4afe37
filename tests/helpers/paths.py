"""Where the checkout and the set-up step's files are, for tests that copy or install this project."""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout under test (or mutmut's copy of it): ``tests/helpers/`` is two levels below it.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Filled by the Makefile's set-up step (pip download of hatchling, uv, deflate, ... at the venv's versions).
SEED_WHEELS = Path(os.environ.get("LAMBDA_LAYER_SEED_WHEELS", REPO_ROOT / ".venv" / "seed-wheels"))
