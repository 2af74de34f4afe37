"""Step 2 of a function: its staged code, checked against its layers, into a deterministic ``function.zip``.

Lambda unpacks the function at ``/var/task``, first on ``sys.path``, so the zip holds the code at its
root (no ``python/``). Before a byte is written: nothing in the function may also be in a layer it is
deployed with or in the runtime (the same module or package by its import name, or the same
distribution: two copies, and whichever comes first on ``sys.path`` wins), unless ``allow-overlap``; the function and all its layers must fit
Lambda's unzipped limit; and there are at most five layers. The zip is written like a layer's: same
order, times, modes, compressor and member cache.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Sequence, Set, Tuple

import shared_core.lambda_runtime as lambda_runtime
from shared_core.errors import EmptyLayerError, LayerError, SizeLimitError
from shared_core.install.staging import LayerInstallResult
from shared_core.pack.layer_contents import RUNTIME, LayerContents
from shared_core.pack.layer_zip import KeptDistribution, distribution_usage
from shared_core.pack.manifest import withdraw_manifest
from shared_core.pack.record import layer_records
from shared_core.pack.slimming import SlimmingContext, slim
from shared_core.pack.tree import StagedFile, walk_tree
from shared_core.pack.zip_kinds import FUNCTION_ZIP_COMMENT
from shared_core.pack.zip_writer import ZipMember, write_deterministic_zip
from shared_core.settings.function import MAX_LAYERS
from shared_core.settings.layer import LayerConfig
from shared_core.support.cache import cache_dir
from shared_core.support.reporting import Reporter
from shared_core.support.sizes import human_size


class OverlapError(LayerError):
    """The function holds what a layer (or the runtime) holds too."""


@dataclass(frozen=True)
class FunctionZipResult:
    """What the function's Step 2 wrote."""

    path: Path
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    backend: str
    kept: Tuple[KeptDistribution, ...]
    #: The unzipped size of every layer it was checked with, in order (the runtime's excluded).
    layer_bytes: Tuple[Tuple[str, int], ...]


def _importable(path: str) -> bool:
    """A file Python could import from (not metadata, not a cache)."""
    first = path.split("/", 1)[0]
    return not first.endswith(".dist-info") and "__pycache__/" not in f"{path}/" and not path.endswith(".pyc")


#: What a module file ends with (``.py``, ``.cpython-312-x86_64-linux-gnu.so``, ``.abi3.so``, ``.pyd``).
_MODULE_SUFFIXES = (".py", ".so", ".pyd")


def module_names(files: Sequence[str]) -> Set[str]:
    """The modules and packages ``files`` make importable, by the name Python imports them as: a regular
    package (``six/__init__.py``) or a module (``six.py``, ``six.cpython-312-....so``) is ``six``; a
    namespace package (no ``__init__.py``) is not one thing, so its regular subpackages are named
    (``google.protobuf``), since namespace portions on several ``sys.path`` entries merge."""
    present = set(files)
    names: Set[str] = set()
    for path in files:
        if not _importable(path):
            continue
        parts = path.split("/")
        for depth, part in enumerate(parts):
            dotted = ".".join([*parts[:depth], part.split(".", 1)[0]])
            if depth == len(parts) - 1:
                if part.endswith(_MODULE_SUFFIXES):
                    names.add(dotted)
            elif "/".join(parts[:depth + 1]) + "/__init__.py" in present:
                names.add(dotted)
                break
    return names


def _clashes(ours: Set[str], theirs: Set[str]) -> List[str]:
    """Names of ``ours`` that ``theirs`` also imports, or shadows or is shadowed by (``six`` and ``six.moves``)."""
    def lineage(name: str) -> Set[str]:
        parts = name.split(".")
        return {".".join(parts[:depth]) for depth in range(1, len(parts) + 1)}

    theirs_lineages = set().union(*(lineage(name) for name in theirs)) if theirs else set()
    return sorted(name for name in ours if name in theirs_lineages or lineage(name) & theirs)


def overlaps(files: Sequence[str], distributions: Dict[str, str], layers: Sequence[LayerContents]) -> List[str]:
    """Each thing the function and a layer (or the runtime) both hold, said once per layer: a distribution, or
    a module or package Python would import from only one of them."""
    found = []
    ours = module_names(files)
    for layer in (*layers, RUNTIME):
        shared_dists = sorted(name for key, name in distributions.items() if key in layer.distributions)
        shared_modules = _clashes(ours, module_names(sorted(layer.files)))
        what = [f"distribution {name}" for name in shared_dists] + [
            f"module {name}" for name in shared_modules if name not in {dist.replace("-", "_") for dist in shared_dists}]
        if what:
            found.append(f"{', '.join(what)} (also in {layer.label})")
    return found


def check_fit(function_bytes: int, layers: Sequence[LayerContents], limit: int) -> None:
    """Lambda's limits for a function and its layers: at most five layers, and their unzipped total."""
    if len(layers) > MAX_LAYERS:
        raise LayerError(f"The function would be deployed with {len(layers)} layers ({', '.join(layer.label for layer in layers)}); "
                         f"Lambda allows {MAX_LAYERS}. Drop some from `layers`, or merge them.")
    total = function_bytes + sum(layer.unzipped_bytes for layer in layers)
    if total > limit:
        parts = ", ".join(f"{layer.label} {layer.unzipped_bytes:,}" for layer in layers)
        raise SizeLimitError(
            f"The function unzips to {function_bytes:,} bytes and its layers to "
            f"{sum(layer.unzipped_bytes for layer in layers):,} ({parts}): {total:,} together, {total - limit:,} over "
            f"Lambda's limit of {limit:,} bytes for a function and all its layers. Make the function or the layer "
            "smaller (exclude-packages, drop-package-tests), or move code into another function."
        )


def pack_function(staged: LayerInstallResult, config: LayerConfig, output: Path, layers: Sequence[LayerContents],
                  allow_overlap: bool, reporter: Reporter) -> FunctionZipResult:
    """Slim the staged code, check it against ``layers``, then write ``output``."""
    started = time.monotonic()
    distributions = list(staged.distributions)
    tree = walk_tree(staged.root)
    context = SlimmingContext.create((item.relpath for item in tree), distributions, distributions)
    kept, _ = slim(tree, context)
    if not kept:
        raise EmptyLayerError(f"Nothing is left to pack from {staged.root}, and Lambda refuses an empty function zip. "
                              "Check `include` (or the project's packaging); the previous function zip is unchanged.")
    named = {dist.normalized_name: dist.name for dist in distributions}
    shared = overlaps([item.relpath for item in kept], named, layers)
    if shared and not allow_overlap:
        raise OverlapError(
            f"The function holds what its layers hold too: {'; '.join(shared)}. Lambda imports whichever comes first "
            "on sys.path (the function's), so two copies ship and may disagree. Remove it from the function (a "
            "dependency belongs in the layer), or set `allow-overlap = true` (--allow-overlap) to ship both on purpose."
        )
    for line in shared:
        reporter.warning(f"the function holds {line} (allow-overlap)")
    with tempfile.TemporaryDirectory(prefix="lambda-function-records-") as scratch:
        rewritten: Dict[str, Path] = {}
        for index, record in enumerate(layer_records(kept, distributions)):
            rewritten[record.relpath] = Path(scratch) / f"{index}.RECORD"
            rewritten[record.relpath].write_text(record.text, encoding="utf-8")
        packed: List[StagedFile] = [replace(f, source=rewritten[f.relpath], size=rewritten[f.relpath].stat().st_size)
                                    if f.relpath in rewritten else f for f in kept]
        unzipped = sum(item.size for item in packed)
        check_fit(unzipped, layers, lambda_runtime.UNZIPPED_LIMIT)
        withdraw_manifest(output)
        written = write_deterministic_zip(
            [ZipMember(item.relpath, item.source, item.executable) for item in packed], output,
            compression_level=config.compression_level,
            progress=lambda done, total: reporter.progress("zip", done, total),
            cache_root=cache_dir() / "zip-members", comment=FUNCTION_ZIP_COMMENT,
        )
    layer_bytes = tuple((layer.label, layer.unzipped_bytes) for layer in layers)
    total = written.unzipped_bytes + sum(size for _, size in layer_bytes)
    limit = lambda_runtime.UNZIPPED_LIMIT
    reporter.info(f"function: {written.files} files, {human_size(written.unzipped_bytes)} unzipped, "
                  f"{human_size(written.zipped_bytes)} zipped ({time.monotonic() - started:.2f} s)")
    reporter.info(f"with its {len(layers)} layer{'s' if len(layers) != 1 else ''}: {total:,} of {limit:,} bytes unzipped, "
                  f"{limit - total:,} to spare")
    return FunctionZipResult(written.path, written.files, written.unzipped_bytes, written.zipped_bytes, written.backend,
                             distribution_usage(packed, distributions), layer_bytes)
