"""Every fact about AWS Lambda the build relies on, and the target runtime derived from them.

Runtimes and their glibc, architectures, what the runtime already provides, where a layer is
extracted, and the size limits live here and nowhere else. Everything that picks or checks a
wheel derives from :class:`LambdaTarget`, never from the build machine, so a layer built on
macOS, Windows or an arm64 laptop is the same as one built in CI.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from shared_core.errors import UnsupportedTargetError

#: The full Python version each runtime runs, for PEP 508 markers such as ``python_full_version >=
#: "3.12.1"``. AWS applies CPython's patch releases to the managed runtimes without publishing which
#: one is live, so these are the patch releases CPython had published for each minor by mid-2025
#: (3.14: its first release, which the runtime launched with in November 2025): a floor that only moves
#: up. One table for every pin source, so a marker means the same whichever source evaluates it.
#: Update a value (here only) when you learn a newer one (``print(sys.version)`` in a function).
LAMBDA_PYTHON_RELEASES: Dict[str, str] = {
    "3.9": "3.9.23",
    "3.10": "3.10.18",
    "3.11": "3.11.13",
    "3.12": "3.12.11",
    "3.13": "3.13.5",
    "3.14": "3.14.0",
}

#: The Lambda Python runtimes, oldest first.
SUPPORTED_PYTHON_VERSIONS: Tuple[str, ...] = tuple(LAMBDA_PYTHON_RELEASES)

#: When AWS deprecates each Python runtime (no more security patches; creating and then updating
#: functions on it is blocked some months later). Source: AWS Lambda's "Supported runtimes" table
#: (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, as of November 2025: python3.9
#: moved from 2025-10-31 to 2025-12-15; python3.10/3.11 end with Amazon Linux 2 on 2026-06-30) and
#: the Python runtimes table of docs.aws.amazon.com/lambda/latest/dg/lambda-python.html. AWS moves
#: these dates; update them here (and only here) when it does.
RUNTIME_DEPRECATION: Dict[str, date] = {
    "3.9": date(2025, 12, 15),
    "3.10": date(2026, 6, 30),
    "3.11": date(2026, 6, 30),
    "3.12": date(2028, 10, 31),
    "3.13": date(2029, 6, 30),
    "3.14": date(2029, 6, 30),
}

#: ``platform.release()`` in a Lambda execution environment (``platform_release`` in markers), as
#: AWS's "Lambda runtimes" page documents it for Amazon Linux 2 (4.14.165-102.205.amzn2.x86_64),
#: without the machine suffix, which follows the target's architecture.
LAMBDA_KERNEL_RELEASE = "4.14.165-102.205.amzn2"

#: The magic number in the first two bytes of each runtime's ``.pyc`` (then ``\r\n``): a
#: sourceless ``.pyc`` with another one does not import. Source: CPython's
#: Lib/importlib/_bootstrap_external.py (3.9: 3425, 3.10: 3439, 3.11: 3495, 3.12: 3531, 3.13:
#: 3571, each checked against that interpreter's ``importlib.util.MAGIC_NUMBER`` by the tests where
#: one is installed; 3.14: 3627, set by 3.14.0rc3 and kept by the 3.14 releases).
PYC_MAGIC: Dict[str, int] = {"3.9": 3425, "3.10": 3439, "3.11": 3495, "3.12": 3531, "3.13": 3571, "3.14": 3627}

#: Distributions every Lambda Python runtime already provides: left out of a layer by default.
RUNTIME_PROVIDED: Tuple[str, ...] = ("boto3", "botocore", "s3transfer", "urllib3")

#: Lambda extracts a layer into ``/opt``; Python layers keep their packages under ``python/``.
LAYER_PREFIX = "python/"
LAYER_PYTHON_DIR = "/opt/python"

#: A zip larger than this cannot be uploaded directly to Lambda (use S3).
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024
#: Lambda rejects a function whose code plus layers unzip to more than this.
UNZIPPED_LIMIT = 262_144_000

#: Lambda refuses a layer (or function) zip that holds no file, with this message.
EMPTY_ZIP_REFUSAL = "Uploaded file must be a non-empty zip"

#: Lambda's architecture name -> the machine name in wheel tags and ``platform_machine``.
ARCHITECTURES: Dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}

#: ELF ``e_machine`` values (offset 18 of the header) per wheel machine name.
ELF_MACHINES: Dict[str, int] = {"x86_64": 62, "aarch64": 183}

#: Amazon Linux 2 (Python <= 3.11) ships glibc 2.26; Amazon Linux 2023 (>= 3.12) ships 2.34.
_GLIBC_AL2 = (2, 26)
_GLIBC_AL2023 = (2, 34)

#: Legacy manylinux aliases and the glibc they stand for.
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


#: Accepted spellings of the architectures (Docker's, uname's) for the names Lambda uses.
ARCHITECTURE_ALIASES: Dict[str, str] = {"amd64": "x86_64", "x86-64": "x86_64", "aarch64": "arm64"}


def normalize_python_version(value: Any, name: str) -> str:
    """``"3.12"`` (or ``"3.12.1"``) -> ``"3.12"``; anything that is not a Lambda runtime is an error.

    ``name`` says where the value came from in the user's terms (``Field `tool.lambda-layer.python-version```,
    ``--python``), so the message points at the line or flag to change.
    """
    text = str(value).strip()
    try:
        normalized = "%d.%d" % _parse_version(text)
    except ValueError:
        normalized = ""
    if normalized not in SUPPORTED_PYTHON_VERSIONS:
        raise UnsupportedTargetError(
            f"{name} must be a Lambda Python runtime version, got {value!r}. "
            f"Supported versions: {', '.join(SUPPORTED_PYTHON_VERSIONS)}."
        )
    return normalized


def deprecation_warning(python_version: str, today: date) -> Optional[str]:
    """A warning when AWS has deprecated the runtime by ``today``; None while it is supported."""
    deprecated = RUNTIME_DEPRECATION.get(python_version)
    if deprecated is None or today < deprecated:
        return None
    return (
        f"python{python_version} is a deprecated Lambda runtime (since {deprecated.isoformat()}): AWS no longer "
        "patches it and will block creating, then updating, functions on it. Target a newer runtime "
        f"(supported until later: {', '.join(f'python{v}' for v, d in RUNTIME_DEPRECATION.items() if d > today)})."
    )


def normalize_architecture(value: Any, name: str) -> str:
    """``x86_64``/``arm64`` (aliases ``amd64``, ``aarch64``, ``x86-64`` accepted); else an error naming ``name``."""
    text = str(value).strip().lower()
    architecture = ARCHITECTURE_ALIASES.get(text, text)
    if architecture not in ARCHITECTURES:
        raise UnsupportedTargetError(
            f"{name} must be a Lambda architecture, got {value!r}. "
            f"Supported: {', '.join(ARCHITECTURES)} (aliases: {', '.join(sorted(ARCHITECTURE_ALIASES))})."
        )
    return architecture


def _parse_version(python_version: str) -> Tuple[int, int]:
    parts = python_version.strip().split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts[:2]):
        raise ValueError(python_version)
    return int(parts[0]), int(parts[1])


@dataclass(frozen=True)
class LambdaTarget:
    """A Lambda Python runtime: ``python_version`` like ``"3.12"``, ``architecture`` ``x86_64``/``arm64``."""

    python_version: str = "3.12"
    architecture: str = "x86_64"

    @classmethod
    def create(cls, python_version: Optional[str], architecture: Optional[str]) -> "LambdaTarget":
        """Validate and normalise; ``None`` means the running interpreter's version / ``x86_64``."""
        if python_version is None:
            python_version = "%d.%d" % sys.version_info[:2]
        return cls(
            normalize_python_version(python_version, "`python_version`"),
            normalize_architecture(architecture or "x86_64", "`architecture`"),
        )

    # -- derived facts -------------------------------------------------------------------------
    @property
    def version_tuple(self) -> Tuple[int, int]:
        return _parse_version(self.python_version)

    @property
    def machine(self) -> str:
        """The machine name used by wheel tags, ``platform_machine`` and ``uname -m``."""
        return ARCHITECTURES[self.architecture]

    @property
    def glibc(self) -> Tuple[int, int]:
        return _GLIBC_AL2023 if self.version_tuple >= (3, 12) else _GLIBC_AL2

    @property
    def python_full_version(self) -> str:
        """The X.Y.Z the runtime runs (:data:`LAMBDA_PYTHON_RELEASES`): what markers and resolvers see."""
        return LAMBDA_PYTHON_RELEASES[self.python_version]

    @property
    def pyc_magic(self) -> bytes:
        """The first four bytes of a ``.pyc`` the runtime imports (``importlib.util.MAGIC_NUMBER``)."""
        return PYC_MAGIC[self.python_version].to_bytes(2, "little") + b"\r\n"

    @property
    def runtime_name(self) -> str:
        return f"python{self.python_version}"

    @property
    def name(self) -> str:
        """``py312-arm64``: the target in paths, layer names and tables."""
        return f"py{self.python_version.replace('.', '')}-{self.architecture}"

    @property
    def cpython_tag(self) -> str:
        major, minor = self.version_tuple
        return f"cp{major}{minor}"

    @property
    def elf_machine(self) -> int:
        return ELF_MACHINES[self.machine]

    @property
    def uv_platform(self) -> str:
        """uv's ``--python-platform`` value: the newest manylinux uv knows that the runtime's glibc runs.

        uv lists 2_17 then 2_28 and up, so Amazon Linux 2 (glibc 2.26) maps to 2_17.
        """
        if self.glibc >= (2, 34):
            return f"{self.machine}-manylinux_2_34"
        return f"{self.machine}-manylinux_2_17"

    @property
    def platform_tags(self) -> List[str]:
        """Every manylinux platform tag the runtime accepts, most specific first (pip's ``--platform``)."""
        glibc_major, glibc_minor = self.glibc
        tags = [f"manylinux_{glibc_major}_{minor}_{self.machine}" for minor in range(glibc_minor, 16, -1)]
        tags.append(f"manylinux2014_{self.machine}")
        if self.machine == "x86_64":
            tags += [f"manylinux_2_{minor}_{self.machine}" for minor in range(16, 4, -1)]
            tags += [f"manylinux2010_{self.machine}", f"manylinux1_{self.machine}"]
        return tags

    @property
    def interpreter_tags(self) -> FrozenSet[str]:
        """The ``python-abi`` pairs the runtime loads (platform aside)."""
        major, minor = self.version_tuple
        pairs = {f"{self.cpython_tag}-{self.cpython_tag}", f"{self.cpython_tag}-none", f"py{major}{minor}-none"}
        pairs |= {f"cp{major}{lower}-abi3" for lower in range(2, minor + 1)}
        pairs |= {f"py{major}{lower}-none" for lower in range(0, minor + 1)}
        pairs |= {f"py{major}-none", f"cp{major}-none"}
        return frozenset(pairs)

    def accepts_platform_tag(self, platform: str) -> bool:
        """True for ``any`` and manylinux tags of the target machine within the runtime's glibc."""
        if platform == "any":
            return True
        if not platform.endswith("_" + self.machine):
            return False
        base = platform[: -len(self.machine) - 1]
        if base in _LEGACY_MANYLINUX:
            return _LEGACY_MANYLINUX[base] <= self.glibc
        parts = base.split("_")
        if len(parts) == 3 and parts[0] == "manylinux" and parts[1].isdigit() and parts[2].isdigit():
            return (int(parts[1]), int(parts[2])) <= self.glibc
        return False

    def accepts_wheel_tag(self, tag: str) -> bool:
        """True when one ``python-abi-platform`` tag (possibly with dotted compressed sets) fits."""
        try:
            pythons, abis, platforms = tag.split("-")
        except ValueError:
            return False
        return any(
            f"{python}-{abi}" in self.interpreter_tags and self.accepts_platform_tag(platform)
            for python in pythons.split(".")
            for abi in abis.split(".")
            for platform in platforms.split(".")
        )

    def extension_suffix_ok(self, filename: str) -> bool:
        """Checks the ``.cpython-312-x86_64-linux-gnu.so`` style suffix when a file carries one."""
        parts = filename.split(".")
        if len(parts) < 3 or parts[-1] != "so":
            return True
        tag = parts[-2]
        if tag == "abi3":
            return True
        if tag.startswith("cpython-"):
            major, minor = self.version_tuple
            return tag == f"cpython-{major}{minor}-{self.machine}-linux-gnu"
        return True

    def marker_environment(self) -> Dict[str, str]:
        """A PEP 508 environment for the target, to evaluate markers the way Lambda would: the same for
        every pin source (uv resolves with the same full version, see ``pins/uv_compile.py``)."""
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_full_version,
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": f"{LAMBDA_KERNEL_RELEASE}.{self.machine}",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": self.python_full_version,
            "python_version": self.python_version,
            "sys_platform": "linux",
        }

    def describe(self) -> str:
        glibc = "%d.%d" % self.glibc
        return f"python{self.python_version} {self.architecture} (manylinux, glibc {glibc})"
