"""What a layer holds, read from its zip: its files under ``python/``, its distributions, its size.

A function is checked against every layer it is deployed with (its own project's, and any other zip
or published version): the same file in both, or the same distribution, is two copies of one thing
where Lambda imports whichever comes first on ``sys.path``; and all of them together must fit
Lambda's unzipped limit. Only the zip's central directory is read.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import FrozenSet, Iterable, Mapping, Optional

from shared_core.errors import LayerError
from shared_core.lambda_runtime import LAYER_PREFIX, RUNTIME_PROVIDED
from shared_core.pack.zip_kinds import FUNCTION_ZIP_COMMENT
from shared_core.support.names import normalize_name

#: A layer may put packages in ``python/`` or in ``python/lib/pythonX.Y/site-packages/``: both are on sys.path.
_SITE_PACKAGES = re.compile(r"^python/lib/python3\.\d+/site-packages/")
_DIST_INFO = re.compile(r"^(?P<name>[^/]+?)-[^/-]+\.dist-info/")


@dataclass(frozen=True)
class LayerContents:
    """One layer as the function checks see it."""

    label: str  # how messages name it: a path, an ARN, "the Lambda runtime"
    files: FrozenSet[str]  # paths as imported from, relative to python/ (or site-packages/)
    distributions: Mapping[str, str]  # normalised name -> the name as its metadata spells it
    unzipped_bytes: int


def distributions_of(files: Iterable[str]) -> Mapping[str, str]:
    """``{normalised name: name}`` of the ``*.dist-info`` folders among ``files``."""
    found = {}
    for path in files:
        match = _DIST_INFO.match(path)
        if match:
            found[normalize_name(match.group("name"))] = match.group("name")
    return found


def read_layer_contents(zip_path: Path, label: Optional[str] = None) -> LayerContents:
    """The contents of the layer zip at ``zip_path``; a file that is not a layer zip is a LayerError."""
    label = label or str(zip_path)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            function_zip = archive.comment == FUNCTION_ZIP_COMMENT
    except (OSError, zipfile.BadZipFile) as error:
        raise LayerError(f"{label} is not a readable layer zip ({error}). Point the function's `layers` at a layer "
                         "zip, or build it first.") from None
    if function_zip:  # Lambda would unpack it under /opt, where nothing imports it
        raise LayerError(f"{label} is a function zip (`lambda-layer function` wrote it), not a layer. Point the "
                         "function's `layers` at layer zips (build/lambda/layer/...) or layer version ARNs.")
    files = set()
    for info in infos:
        name = _SITE_PACKAGES.sub("", info.filename)
        if not name.startswith(LAYER_PREFIX) and name == info.filename:
            continue  # outside python/: not importable from a Python layer
        files.add(name[len(LAYER_PREFIX):] if name.startswith(LAYER_PREFIX) else name)
    return LayerContents(label, frozenset(files), distributions_of(files), sum(info.file_size for info in infos))


#: What the runtime itself provides: its top-level packages, and their distributions.
RUNTIME = LayerContents("the Lambda runtime", frozenset(f"{name}/__init__.py" for name in RUNTIME_PROVIDED),
                        {name: name for name in RUNTIME_PROVIDED}, 0)
