"""Write (or, with --check, verify) the README's reference tables from their declarations: the
settings' (``shared_core/settings/``) and the manifest's fields (``shared_core/pack/manifest.py``).

    .venv/bin/python tools/readme_settings.py [--check]

Each table sits between ``<!-- settings:NAME -->`` and ``<!-- /settings:NAME -->`` markers.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable, Dict

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from shared_core.pack.manifest import manifest_reference_table  # noqa: E402
from shared_core.settings.declaration import reference_table  # noqa: E402
from shared_core.settings.function import FunctionSettings  # noqa: E402
from shared_core.settings.layer import LayerConfig  # noqa: E402
from shared_core.settings.publish import PublishSettings  # noqa: E402

TABLES: Dict[str, Callable[[], str]] = {
    "build": lambda: reference_table(LayerConfig),
    "publish": lambda: reference_table(PublishSettings),
    "function": lambda: reference_table(FunctionSettings),
    "manifest": manifest_reference_table,
}


def rendered(text: str) -> str:
    """``text`` with every marked table replaced by its rendering."""
    for name, table_of in TABLES.items():
        pattern = re.compile(rf"(<!-- settings:{name} -->\n).*?(<!-- /settings:{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- settings:{name} --> block")
        table = table_of()
        text = pattern.sub(lambda match, table=table: match.group(1) + table + match.group(2), text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is not up to date")
    args = parser.parse_args()
    readme = REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = rendered(text)
    if args.check:
        return 0 if new == text else 1
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
