"""The import check's passing result, kept for the next build of exactly the same tree.

Importing pandas + pyarrow takes about a second of CPU on every build with ``drop-package-tests``,
and gives the same answer as long as nothing it depends on changed. The key is all of that: the
interpreter (its real path, size and modification time, so a reinstalled one counts as new), the
host (platform, machine, C library), the variables the check's interpreter sees, the modules tried,
the test directories refused, and every file of the staged tree it imports from by path and sha256
(the dropped files included, so the exact set left out is part of it). Any difference is a new key,
and the check runs.

Only a check that ran and broke nothing is kept (one that broke something stops the build, which
must say so again next time). An entry is a small JSON file written atomically under
``LAMBDA_LAYER_CACHE_DIR/import-check-v1/``, holding its own key and the sha256 of its result: one
that does not parse or match is ignored (and replaced after the check runs again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from shared_core.pack.import_check import ImportCheck, check_environment
from shared_core.support.atomic_file import write_atomically
from shared_core.support.cache import cache_dir

#: The cache's sub-directory; another layout is another name.
CACHE_LAYOUT = "import-check-v1"


def check_key(interpreter: str, modules: Sequence[str], blocked: Sequence[str], tree: Mapping[str, str]) -> str:
    """The key of a check of ``modules`` with ``blocked`` refused, over ``tree`` (``{relpath: hex sha256}``
    of every file under the root it imports from), run by ``interpreter``."""
    real = os.path.realpath(interpreter)
    info = os.stat(real)
    facts = {
        "interpreter": [real, info.st_size, info.st_mtime_ns],
        "host": [sys.platform, platform.machine(), list(platform.libc_ver())],
        "environment": check_environment(),
        "modules": sorted(modules),
        "blocked": sorted(blocked),
        "tree": sorted(tree.items()),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode("utf-8", "surrogateescape")).hexdigest()


def _entry_path(key: str) -> Path:
    return cache_dir() / CACHE_LAYOUT / key[:2] / f"{key}.json"


def _body(check: ImportCheck) -> Any:
    return {"reason": check.reason, "modules": list(check.modules),
            "failing_anyway": [list(pair) for pair in check.failing_anyway]}


def _digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8", "surrogateescape")).hexdigest()


def load_check(key: str) -> Optional[ImportCheck]:
    """The kept result for ``key``, or None (no entry, or one that does not check out)."""
    try:
        entry = json.loads(_entry_path(key).read_text(encoding="utf-8", errors="surrogateescape"))
        body = entry["result"]
        if entry["key"] != key or entry["sha256"] != _digest(body):
            return None
        return ImportCheck(
            ran=True,
            reason=str(body["reason"]),
            modules=tuple(str(module) for module in body["modules"]),
            failing_anyway=tuple((str(module), str(error)) for module, error in body["failing_anyway"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store_check(key: str, check: ImportCheck) -> None:
    """Keep a check that ran and broke nothing; an unwritable cache only costs the next build time."""
    if not check.ran or check.broken:
        return
    body = _body(check)
    entry = json.dumps({"key": key, "sha256": _digest(body), "result": body}, sort_keys=True)
    path = _entry_path(key)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, entry.encode("utf-8", "surrogateescape"), prefix=".entry-")
