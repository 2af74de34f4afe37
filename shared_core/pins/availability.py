"""Which releases have a wheel for the target: the one message for a pin without one, wherever it shows.

The resolver (``uv pip compile``) and the installer both meet a pin that has no wheel for the
Lambda runtime; both say it the same way, with every such pin listed and, for each, the newest
release that does have a wheel (asked of the same indexes), so the fix is one edit.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple

from shared_core.errors import MissingWheelError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.support.toolchain import find_uv, run_tool

#: How uv says that a pinned release has no wheel it may use for the target.
_UV_NO_WHEEL = re.compile(r"Because (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?) has no (?:usable wheels|wheels with a matching)")


def uv_missing(output: str) -> List[Tuple[str, str]]:
    """``(name, version)`` of every pin uv's output says has no usable wheel."""
    return [(m["name"], m["version"]) for m in _UV_NO_WHEEL.finditer(output)]


def newest_with_wheel(
    name: str, target: LambdaTarget, *, env: Mapping[str, Optional[str]], args: Sequence[str] = (),
    cwd: Optional[Path] = None, secrets: Sequence[str] = (),
) -> Optional[str]:
    """The newest release of ``name`` with a wheel for the target, from the indexes ``env``/``args`` name; None
    when there is none (or the index cannot say)."""
    completed = run_tool(
        [find_uv(), "pip", "compile", "-", "--python", sys.executable, "--no-deps", "--only-binary", ":all:", "--no-header", "--no-annotate",
         "--quiet", "--python-platform", target.uv_platform, "--python-version", target.python_full_version, *args],
        what="uv pip compile", stdin=f"{name}\n", extra_env=env, secrets=secrets, check=False, cwd=cwd,
    )
    exact = [line.split("==", 1)[1].strip() for line in completed.stdout.splitlines() if "==" in line]
    return exact[0] if completed.returncode == 0 and exact else None


def missing_wheel_error(
    missing: Sequence[Tuple[str, str]], target: LambdaTarget, *, newest: Optional[Mapping[str, Optional[str]]] = None,
    caveat: str = "",
) -> MissingWheelError:
    """One paragraph for the pins without a wheel for ``target``, with the newest release that has one."""
    missing = list(dict.fromkeys(missing))
    newest = newest or {}

    def said(name: str, version: str) -> str:
        other = newest.get(name)
        return f"{name} {version}" + (f" (newest release with a wheel for it: {other})" if other and other != version else "")

    listed = "; ".join(said(name, version) for name, version in missing)
    tags = f"{target.cpython_tag}/abi3/py3, {target.platform_tags[0]} or older manylinux, or any"
    first = missing[0][0]
    return MissingWheelError(
        f"No wheel for the target runtime ({target.describe()}) for: {listed}. Needed tags: {tags}. "
        f"Ways out: pin a version that publishes wheels for this runtime; for a pure-Python package, "
        f'allow its sdist with `allow-sdist = ["{first}"]` in [tool.lambda-layer]; or build on the '
        f"target platform.{caveat}"
    )
