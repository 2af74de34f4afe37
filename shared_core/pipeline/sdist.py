"""Would ``hatch build`` put the layer build's files into the project's sdist? Asked with Hatchling's own rules.

Hatchling reads only the project's top-level ``.gitignore``, not the one a build writes into
``build/lambda/layer/``, so a hatchling project without ``/build/`` ignored would ship the staged
tree and the zip in its sdist. Whichever entry point builds such a project says so. The file list
is Hatchling's (its real selection rules, not a guess): the Hatch builder asks it in process; the
other entry points ask the interpreter they run in, when Hatchling is installed there (this core
never imports it), and say nothing when it is not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable, List, Optional

from shared_core.pipeline.fingerprint import fingerprint_path

#: Lists what Hatchling's sdist target would include, as JSON; run by the interpreter that runs us.
_LIST_SDIST = (
    "import json, os, sys\n"
    "from hatchling.builders.sdist import SdistBuilder\n"
    "builder = SdistBuilder(sys.argv[1])\n"
    "print(json.dumps([item.relative_path.replace(os.sep, '/') for item in builder.recurse_included_files()]))\n"
)

#: The relative paths Hatchling's sdist would include, or None when that cannot be known.
SdistFiles = Callable[[], Optional[List[str]]]


def hatchling_sdist_files(root: Path) -> SdistFiles:
    """Hatchling's sdist selection for ``root``, asked of a child of this interpreter (None without Hatchling)."""
    def listed() -> Optional[List[str]]:
        try:
            completed = subprocess.run([sys.executable, "-c", _LIST_SDIST, str(root)], capture_output=True, text=True,
                                       timeout=60, check=False)
            files = json.loads(completed.stdout) if completed.returncode == 0 else None
        except (OSError, ValueError, subprocess.SubprocessError):
            return None
        return files if isinstance(files, list) else None
    return listed


def sdist_leak_warning(root: Path, build_dir: Path, zip_path: Path, included: SdistFiles) -> Optional[str]:
    """The warning when the sdist would include files of ours (the build folder, the zip, its record)."""
    files = included()
    if not files:
        return None
    build = build_dir.relative_to(root).as_posix() + "/"
    ours = {path.relative_to(root).as_posix() for path in (zip_path, fingerprint_path(zip_path)) if root in path.parents}
    leaked = [path for path in files if path.startswith(build) or path in ours]
    if not leaked:
        return None
    zip_name = zip_path.relative_to(root).as_posix() if root in zip_path.parents else ""
    example = zip_name if zip_name in leaked else leaked[0]
    return (
        f"`hatch build` would put {len(leaked)} file(s) of the layer build into the sdist (e.g. {example}): "
        "Hatchling reads only the project's top-level .gitignore, not the one this builder writes into "
        "build/lambda/layer/. Add `/build/` to .gitignore, or `exclude = [\"/build\"]` to "
        "[tool.hatch.build.targets.sdist]."
    )
