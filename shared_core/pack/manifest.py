"""The manifest beside every zip: what deploy tools and people need to know about it, as JSON.

``layer.zip.json`` holds the zip's digests in every form a deploy tool compares (hex SHA-256,
base64 SHA-256 = Lambda's ``CodeSha256`` = Terraform's ``filebase64sha256``, MD5 = SAM's S3
key), its sizes, the target, the distributions it holds and those left out (and why), the file
the pins came from, the tool and the compressor. It is written after the zip, atomically, and
holds nothing that differs between machines or checkouts (no paths, no times), so the same
inputs give the same manifest bytes as they give the same zip.

Every field is declared once here, with the sentence the README's table shows
(:func:`manifest_reference_table`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple, Type

from shared_core.lambda_runtime import RUNTIME_PROVIDED, LambdaTarget
from shared_core.support.atomic_file import write_atomically
from shared_core.support.digests import FileDigests, file_sha256
from shared_core.support.user_files import read_own_json

if TYPE_CHECKING:  # Step 2's type only: reading a manifest (every up-to-date build does) loads none of Step 2
    from shared_core.pack.exclusion import ExcludedDistribution

#: The manifest's name is the zip's plus this (``layer.zip.json``).
MANIFEST_SUFFIX = ".json"
#: Raised when a field is added, removed or changes meaning; readers refuse other values.
MANIFEST_VERSION = 1
_DOC = "doc"


def _doc(text: str) -> Any:
    """A field with the sentence the README's manifest table shows for it."""
    return field(metadata={_DOC: text})


@dataclass(frozen=True)
class ManifestTarget:
    runtime: str = _doc("the Lambda runtime identifier, as CompatibleRuntimes takes it (`python3.12`)")
    python: str = _doc("the Python version, X.Y")
    architecture: str = _doc("`x86_64` or `arm64`, as CompatibleArchitectures takes it")
    glibc: str = _doc("the runtime's glibc, X.Y: no binary in the zip needs a newer one")
    platform: str = _doc("the newest wheel platform tag the target accepts (`manylinux_2_34_aarch64`)")


@dataclass(frozen=True)
class ManifestZip:
    name: str = _doc("the zip's file name (the manifest is `<name>.json` beside it)")
    sha256: str = _doc("SHA-256 of the zip, hex")
    sha256_base64: str = _doc("SHA-256 of the zip, base64: Lambda's `CodeSha256`, Terraform's `filebase64sha256`")
    md5: str = _doc("MD5 of the zip, hex: the object key `sam package` and `aws cloudformation package` upload it as")
    bytes: int = _doc("the zip's size: what counts against Lambda's 50 MB direct-upload limit")
    unzipped_bytes: int = _doc("the files' total size: what counts against Lambda's 262,144,000-byte limit")
    files: int = _doc("the number of files (the zip has no directory entries)")


@dataclass(frozen=True)
class ManifestSource:
    file: str = _doc("the file the pins came from, relative to the project (`poetry.lock`, `../uv.lock`, `requirements.txt`, "
                     "`pyproject.toml`); for a function, `.`: the project's own code")
    sha256: str = _doc("SHA-256 of that file's bytes, hex; for a function, the digest of the code that went in")


@dataclass(frozen=True)
class ManifestDistribution:
    name: str = _doc("the distribution's name, as its metadata spells it")
    version: str = _doc("its version")
    files: int = _doc("its files in the zip (the .pyc compiled from them included)")
    unzipped_bytes: int = _doc("their total size")


@dataclass(frozen=True)
class ManifestExclusion:
    name: str = _doc("the distribution left out")
    version: str = _doc("the version that was pinned")
    reason: str = _doc("`provided by the Lambda runtime`, `build or test tool`, `exclude-packages` or `only required by excluded distributions`")
    pattern: str = _doc("the exclusion that matched it (empty when only excluded distributions required it)")
    installed: bool = _doc("false when it was left out before install (never downloaded)")


@dataclass(frozen=True)
class LayerManifest:
    """One zip's manifest: a layer's, or (``kind="function"``) a function zip's, in the same shape."""

    manifest: int = _doc("the manifest format's version (1); a reader refuses others")
    kind: str = _doc("`layer`, or `function` for a function zip (`lambda-layer function`)")
    tool: str = _doc("the tool and its version that wrote the zip (`lambda-layer-build 0.1.0`)")
    target: ManifestTarget = _doc("the runtime the zip is for")
    zip: ManifestZip = _doc("the zip itself")
    compression_level: int = _doc("the DEFLATE level (0-12)")
    compressor: str = _doc("the compressor and its version (`libdeflate-0.9.0`, the bindings' version, or `zlib-1.3.1`): with the level, what decides the bytes")
    bytecode: bool = _doc("whether .pyc files compiled for the target's Python are shipped")
    source: ManifestSource = _doc("where the pins came from")
    distributions: Tuple[ManifestDistribution, ...] = _doc("every distribution in the zip, by name")
    excluded: Tuple[ManifestExclusion, ...] = _doc("every pinned distribution left out, by name (none for a function)")

    def to_json(self) -> bytes:
        """The manifest's bytes: keys sorted, two-space indent, a final newline; no path or time."""
        return (json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    def to_line(self) -> str:
        """The manifest as one line of JSON (``lambda-layer manifest`` prints one per target)."""
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @property
    def versions(self) -> Dict[str, str]:
        """``{name: version}`` of what the zip holds."""
        return {dist.name: dist.version for dist in self.distributions}


def manifest_path(zip_path: Path) -> Path:
    return zip_path.with_name(zip_path.name + MANIFEST_SUFFIX)


def exclusion_reason(pattern: str, user_patterns: Tuple[str, ...]) -> str:
    """Why a distribution was left out, in the manifest's words."""
    if not pattern:
        return "only required by excluded distributions"
    if pattern in user_patterns:
        return "exclude-packages"
    if pattern in RUNTIME_PROVIDED:
        return "provided by the Lambda runtime"
    return "build or test tool"


def target_facts(target: LambdaTarget) -> ManifestTarget:
    return ManifestTarget(target.runtime_name, target.python_version, target.architecture, "%d.%d" % target.glibc,
                          target.platform_tags[0])


def zip_facts(zip_path: Path, digests: FileDigests, unzipped_bytes: int, files: int) -> ManifestZip:
    return ManifestZip(zip_path.name, digests.sha256, digests.sha256_base64, digests.md5, digests.size,
                       unzipped_bytes, files)


def source_facts(input_file: Path, project_root: Path) -> ManifestSource:
    """The pins' file relative to the project (``/``-separated on every system) and its digest."""
    relative = os.path.relpath(os.path.abspath(input_file), os.path.abspath(project_root))
    return ManifestSource(relative.replace(os.sep, "/"), file_sha256(input_file))


def exclusions(excluded: Tuple["ExcludedDistribution", ...], user_patterns: Tuple[str, ...]) -> Tuple[ManifestExclusion, ...]:
    entries = {ManifestExclusion(dist.name, dist.version, exclusion_reason(dist.pattern, user_patterns), dist.pattern,
                                 not dist.before_install) for dist in excluded}
    return tuple(sorted(entries, key=lambda entry: (entry.name.lower(), entry.version)))


def withdraw_manifest(zip_path: Path) -> None:
    """Remove the manifest of the zip about to be replaced: until the new one is written, a deploy
    tool finds no manifest rather than one describing other bytes (never a file that is not ours)."""
    manifest = manifest_path(zip_path)
    if is_own_manifest(manifest):
        manifest.unlink()


def write_manifest(zip_path: Path, manifest: LayerManifest) -> str:
    """Write the manifest beside ``zip_path`` (atomically); its SHA-256, for the build's record."""
    data = manifest.to_json()
    write_atomically(manifest_path(zip_path), data, prefix=".manifest-")
    return file_sha256(manifest_path(zip_path))


def is_own_manifest(path: Path) -> bool:
    """A regular file holding a manifest this tool writes (any version): ours to replace."""
    data = read_own_json(path)
    return isinstance(data, dict) and isinstance(data.get("manifest"), int) and data.get("kind") in ("layer", "function")


def _build(cls: Type[Any], data: Any) -> Any:
    """``cls`` from its JSON form, every field checked present (a foreign or damaged file is None)."""
    if not isinstance(data, Mapping) or set(data) != {item.name for item in fields(cls)}:
        raise ValueError(cls.__name__)
    values: Dict[str, Any] = {}
    for item in fields(cls):
        value = data[item.name]
        nested = _NESTED.get((cls, item.name))
        if nested is not None:
            value = tuple(_build(nested, entry) for entry in value) if isinstance(value, list) else _build(nested, value)
        values[item.name] = value
    return cls(**values)


_NESTED: Mapping[Tuple[type, str], type] = {
    (LayerManifest, "target"): ManifestTarget,
    (LayerManifest, "zip"): ManifestZip,
    (LayerManifest, "source"): ManifestSource,
    (LayerManifest, "distributions"): ManifestDistribution,
    (LayerManifest, "excluded"): ManifestExclusion,
}


def parse_manifest(data: Any) -> Optional[LayerManifest]:
    """A manifest from its JSON form, or None when it is not one of this version's."""
    if not isinstance(data, Mapping) or data.get("manifest") != MANIFEST_VERSION:
        return None
    try:
        return _build(LayerManifest, data)
    except (TypeError, ValueError):
        return None


def read_manifest(zip_path: Path) -> Optional[LayerManifest]:
    """The manifest beside ``zip_path``, or None when there is none of this version."""
    return parse_manifest(read_own_json(manifest_path(zip_path)))


def manifest_reference_table() -> str:
    """The README's table of the manifest's fields (derived, so it cannot drift from the code)."""
    rows = ["| field | what it holds |", "|---|---|"]

    def walk(cls: type, prefix: str) -> None:
        for item in fields(cls):
            name = f"{prefix}{item.name}"
            nested = _NESTED.get((cls, item.name))
            suffix = "[]" if nested is not None and item.name in ("distributions", "excluded") else ""
            rows.append(f"| `{name}{suffix}` | {item.metadata[_DOC]} |")
            if nested is not None:
                walk(nested, f"{name}{suffix}.")

    walk(LayerManifest, "")
    return "\n".join(rows) + "\n"
