"""Build small but real wheels and sdists for the test wheelhouse, without any network.

Wheels are written directly (METADATA, WHEEL, RECORD with hashes) so the session fixture takes
milliseconds; uv, pip and Poetry install them like any other wheel.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Iterable, Optional, Sequence

from tests.helpers.binaries import elf_shared_object, java_class, macho_bundle, macho_universal, pe_dll


def record_hash(data: bytes) -> str:
    """A RECORD row's hash of ``data`` (PEP 376/427: urlsafe base64 sha256, unpadded)."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_sha256(wheelhouse: Path, filename: str) -> str:
    """The hex sha256 of a built wheel, as a lock file or ``--hash=sha256:`` pins it."""
    return hashlib.sha256((wheelhouse / filename).read_bytes()).hexdigest()


def snake(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    files: Dict[str, bytes],
    *,
    requires: Sequence[str] = (),
    extras: Optional[Dict[str, Sequence[str]]] = None,
    tag: str = "py3-none-any",
    top_level: Optional[Iterable[str]] = None,
    scripts: Optional[Dict[str, str]] = None,
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` holding ``files`` (archive path -> bytes)."""
    dist_info = f"{snake(name)}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {req}" for req in requires]
    for extra, reqs in (extras or {}).items():
        metadata.append(f"Provides-Extra: {extra}")
        metadata += [f'Requires-Dist: {req}; extra == "{extra}"' for req in reqs]
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    pure = "true" if tag.endswith("-none-any") else "false"
    wheel_lines = ["Wheel-Version: 1.0", "Generator: lambda-layer-tests", f"Root-Is-Purelib: {pure}"]
    pythons, abis, platforms = tag.split("-")
    wheel_lines += [f"Tag: {p}-{a}-{pl}" for p in pythons.split(".") for a in abis.split(".") for pl in platforms.split(".")]
    contents[f"{dist_info}/WHEEL"] = ("\n".join(wheel_lines) + "\n").encode()
    if top_level is not None:
        contents[f"{dist_info}/top_level.txt"] = ("\n".join(top_level) + "\n").encode()
    if scripts:
        contents[f"{dist_info}/entry_points.txt"] = (
            "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
        ).encode()
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in sorted(contents.items()))
    record += f"{dist_info}/RECORD,,\n"
    contents[f"{dist_info}/RECORD"] = record.encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{snake(name)}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for archive_path in sorted(contents):
            info = zipfile.ZipInfo(archive_path, (2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, contents[archive_path])
    return path


def make_sdist(directory: Path, name: str, version: str) -> Path:
    """A minimal buildable sdist (hatchling backend, one module): refused by wheels-only installs,
    built when ``allow-sdist`` names it."""
    directory.mkdir(parents=True, exist_ok=True)
    base = f"{snake(name)}-{version}"
    path = directory / f"{base}.tar.gz"
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    pyproject = (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    ).encode()
    with tarfile.open(path, "w:gz") as archive:
        members = (
            (f"{base}/PKG-INFO", pkg_info),
            (f"{base}/pyproject.toml", pyproject),
            (f"{base}/{snake(name)}/__init__.py", module()),
        )
        for member, data in members:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mtime = 1577836800
            archive.addfile(info, io.BytesIO(data))
    return path


_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


def module(text: str = "VALUE = 1\n") -> bytes:
    return text.encode()


def sourceless_pyc(text: str) -> bytes:
    """A timestamp ``.pyc`` of ``text`` for the running Python, as a sourceless distribution ships it."""
    import importlib.util
    import marshal

    code = compile(text, "<sourceless>", "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + bytes(4) + (1577836800).to_bytes(4, "little") + len(text).to_bytes(4, "little") + marshal.dumps(code)


#: ``cv2/`` as opencv-python and opencv-contrib-python both ship it (each RECORD lists these files).
SHARED_CV2 = {"cv2/__init__.py": module("from .core import VALUE\n"), "cv2/core.py": module("VALUE = 'cv2'\n")}

#: The running Python's ``.pyc`` name tag (``cpython-311``): fake-sourceless ships bytecode for it.
PYC_TAG = "cpython-%d%d" % sys.version_info[:2]


def native_wheels(directory: Path, name: str, version: str, pythons: Sequence[str], machines: Sequence[str] = ("x86_64", "aarch64")) -> None:
    """One manylinux wheel per (python, machine), each holding a matching fake extension module."""
    package = snake(name)
    for python in pythons:
        nodot = python.replace(".", "")
        for machine in machines:
            so = f"{package}/_speedups.cpython-{nodot}-{machine}-linux-gnu.so"
            make_wheel(
                directory, name, version,
                {f"{package}/__init__.py": module(f"MACHINE = {machine!r}\n"), so: elf_shared_object(machine)},
                tag=f"cp{nodot}-cp{nodot}-manylinux_2_17_{machine}.manylinux2014_{machine}",
            )


SET_CONSTANTS = "".join(
    f"def check_{index}(value):\n    return value in {{{', '.join(repr(f'{word}-{index}') for word in _WORDS)}}}\n"
    for index in range(8)
) + f"NAMES = frozenset({{{', '.join(repr(word) for word in _WORDS)}}})\n"

#: fake-huge's one big file: alone it is one byte over Lambda's unzipped limit (262,144,000 bytes).
HUGE_BLOB_BYTES = 262_144_001

#: Payload bytes of fake-size-01 ... fake-size-12, the largest last: twelve distributions, ten shown.
SIZED_PAYLOADS = tuple(1000 * index for index in range(1, 13))


def build_private_wheelhouse(directory: Path) -> Path:
    """A private index's wheels: one that shares a public package's name and version, not its content."""
    make_wheel(directory, "fake-confused", "1.0", {"fake_confused/__init__.py": module("ORIGIN = 'private'\n")})
    return directory


def build_wheelhouse(directory: Path) -> Path:
    """The session's one wheelhouse: every distribution any test installs."""
    w = lambda name, version="1.0", **kw: make_wheel(directory, name, version, kw.pop("files", None) or {f"{snake(name)}/__init__.py": module()}, **kw)  # noqa: E731
    w("fake-a", requires=["fake-b"])
    w("fake-b")
    w("fake-c")
    w("fake-dev-tool")
    w("fake-extra-dep")
    w("fake-with-extra", requires=[], extras={"speed": ["fake-extra-dep"]})
    w("fake-markers", requires=[
        'fake-linux-only; sys_platform == "linux"',
        'fake-win-only; sys_platform == "win32"',
        'fake-old-python; python_version < "3.12"',
        'fake-arm-only; platform_machine == "aarch64"',
    ])
    for name in ("fake-linux-only", "fake-win-only", "fake-old-python", "fake-arm-only"):
        w(name)
    w("fake-with-tests", files={"fake_with_tests/__init__.py": module(), "fake_with_tests/tests/__init__.py": module(),
                                 "fake_with_tests/tests/test_it.py": module("def test_it():\n    pass\n")})
    w("fake-cli", files={"fake_cli/__init__.py": module()}, scripts={"fake-cli": "fake_cli:main"})
    native_wheels(directory, "fake-native", "1.0", pythons=("3.9", "3.10", "3.11", "3.12", "3.13", "3.14"))
    native_wheels(directory, "fake-x86-only", "1.0", pythons=("3.11", "3.12"), machines=("x86_64",))
    # Wheels the installer accepts for arm64/3.12 but whose contents cannot load there: one per audit branch.
    # Built on a plain Linux box and tagged `linux_aarch64`, which uv installs but Lambda's manylinux glibc may not run.
    w("fake-linuxtag", files={"fake_linuxtag/__init__.py": module(),
                              "fake_linuxtag/_speedups.cpython-312-aarch64-linux-gnu.so": elf_shared_object("aarch64")},
      tag="cp312-cp312-linux_aarch64")
    # Claims to be pure but ships an x86_64 binary.
    w("fake-badplat", files={"fake_badplat/__init__.py": module(), "fake_badplat/_native.so": elf_shared_object("x86_64")})
    # A 32-bit (i686) shared object.
    w("fake-elf32", files={"fake_elf32/__init__.py": module(), "fake_elf32/_native.so": elf_shared_object("i386")})
    # Tagged for 3.12 arm64, but the extension inside was built for 3.11.
    w("fake-oldabi", files={"fake_oldabi/__init__.py": module(),
                            "fake_oldabi/_speedups.cpython-311-aarch64-linux-gnu.so": elf_shared_object("aarch64")},
      tag="cp312-cp312-manylinux_2_17_aarch64")
    # macOS and Windows extension modules in a wheel that claims to be pure.
    w("fake-macho", files={"fake_macho/__init__.py": module(), "fake_macho/_native.so": macho_bundle()})
    w("fake-pe", files={"fake_pe/__init__.py": module(), "fake_pe/_native.pyd": pe_dll()})
    make_sdist(directory, "fake-sdist-only", "1.0")
    # Real-world names for the exclusion cases (tiny fakes, never the real projects).
    w("pip", "24.0", files={"pip/__init__.py": module()})
    w("pipe", "2.2", files={"pipe.py": module()})
    w("PyYAML", "6.0.2", files={"yaml/__init__.py": module(), "_yaml/__init__.py": module(),
                                 "PyYAML.libs/libyaml-fake.so": elf_shared_object("x86_64")}, top_level=["_yaml", "yaml"])
    w("python-dateutil", "2.9.0", files={"dateutil/__init__.py": module()}, requires=["six"])
    w("six", "1.16.0", files={"six.py": module()})
    w("urllib3", "2.2.3", files={"urllib3/__init__.py": module()})
    w("requests", "2.32.3", files={"requests/__init__.py": module()}, requires=["urllib3", "fake-b"])
    w("boto3", "1.35.0", files={"boto3/__init__.py": module()}, requires=["botocore"])
    w("botocore", "1.35.0", files={"botocore/__init__.py": module()})
    w("setuptools", "75.0.0", files={"setuptools/__init__.py": module(), "_distutils_hack/__init__.py": module(),
                                     "distutils-precedence.pth": b"import _distutils_hack\n"})
    w("pytest", "8.3.0", files={"pytest/__init__.py": module(), "_pytest/__init__.py": module()})
    w("pytest-cov", "5.0.0", files={"pytest_cov/__init__.py": module()})
    # drop-package-tests: suites inside a package (one a kept module imports), a testing helper, a
    # top-level `tests` package, a module over the zip writer's member-cache threshold; and a
    # package that loads its tests by a computed name, which only the import check can see.
    w("fake-suite", files={
        "fake_suite/__init__.py": module("from .core import VALUE\n"),
        "fake_suite/core.py": module("VALUE = 1\n" + "# padding to pass the member cache's 4 KiB\n" * 150),
        "fake_suite/testing/__init__.py": module(),
        "fake_suite/tests/__init__.py": module(),
        "fake_suite/tests/test_core.py": module("from fake_suite.core import VALUE\n"),
        "fake_suite/sub/test/data.txt": b"x" * 1000,
        "fake_suite/needs/__init__.py": module("from .tests import helper\n"),
        "fake_suite/needs/tests/__init__.py": module(),
        "fake_suite/needs/tests/helper.py": module(),
        "tests/__init__.py": module(),
    })
    w("fake-dynamic-tests", files={
        "fake_dynamic_tests/__init__.py": module("import importlib\nimportlib.import_module(__name__ + '.te' + 'sts')\n"),
        "fake_dynamic_tests/tests/__init__.py": module(),
    })
    # An import that takes a minute: the import check is still running while the zip is written.
    w("fake-slow-import", files={
        "fake_slow_import/__init__.py": module("import time\ntime.sleep(60)\n"),
        "fake_slow_import/tests/__init__.py": module(),
    })
    # Bytecode shipped where ours goes (for the running Python): the staged tree is hard-linked to
    # uv's cache, so writing ours through it would change uv's copy.
    w("fake-ships-pyc", files={"fake_ships_pyc/__init__.py": module(),
                               "fake_ships_pyc/__pycache__/__init__.cpython-%d%d.pyc" % sys.version_info[:2]: b"shipped"})
    # The rest of the default exclusions, so each one is seen excluded.
    w("s3transfer", "0.10.0", files={"s3transfer/__init__.py": module()}, requires=["botocore"])
    w("wheel", "0.44.0", files={"wheel/__init__.py": module()})
    w("twine", "5.1.0", files={"twine/__init__.py": module()})
    # Two releases of one distribution: a lock can move from one to the other with pyproject.toml unchanged.
    w("fake-versioned", "1.0", files={"fake_versioned/__init__.py": module("VERSION = 1\n")})
    w("fake-versioned", "2.0", files={"fake_versioned/__init__.py": module("VERSION = 2\n")})
    # A requirement only a patch release of 3.12 needs: Lambda runs a recent patch, never 3.12.0.
    w("fake-patchlevel", requires=['fake-c; python_full_version >= "3.12.1"'])
    # Two releases for Python 3.11 on x86_64: 2.0's only wheel needs glibc 2.28 (Amazon Linux 2 has 2.26)
    # and it has an sdist, so a resolver that ignores wheel availability picks it.
    w("fake-glibc", "1.0", files={"fake_glibc/__init__.py": module("VERSION = 1\n")}, tag="cp311-cp311-manylinux_2_17_x86_64")
    w("fake-glibc", "2.0", files={"fake_glibc/__init__.py": module("VERSION = 2\n")}, tag="cp311-cp311-manylinux_2_28_x86_64")
    make_sdist(directory, "fake-glibc", "2.0")
    # The public twin of a private package: what dependency confusion would install instead of it.
    w("fake-confused", files={"fake_confused/__init__.py": module("ORIGIN = 'public'\n")})
    # Set and frozenset constants: marshalled in hash order by Python < 3.11, so PYTHONHASHSEED shows.
    w("fake-sets", files={"fake_sets/__init__.py": module(SET_CONSTANTS)})
    # -- the layer verified as a whole (tests/e2e/test_verify_layer.py) --
    # Closure: a requirement that needs a version, one that asks for an extra (fake-with-extra[speed]).
    w("fake-needs-v2", requires=["fake-versioned>=2"])
    w("fake-needs-ghost", requires=["fake-ghost>=1"])  # no index has fake-ghost
    w("fake-wants-extra", requires=["fake-with-extra[speed]>=1"])
    # Ownership: a top-level package called bin, a script from *.data/scripts, sourceless bytecode
    # for the running Python (with stale bytecode beside it), two distributions owning cv2/.
    w("fake-bin-pkg", files={"bin/__init__.py": module(), "bin/tool.py": module("def main():\n    return 'tool'\n")})
    w("fake-data-script", files={"fake_data_script/__init__.py": module(),
                                 "fake_data_script-1.0.data/scripts/fake-data-tool": b"#!python\nprint('tool')\n"})
    w("fake-sourceless", files={
        "fake_sourceless/__init__.py": module("from .compiled import VALUE\n"),
        "fake_sourceless/compiled.pyc": sourceless_pyc("VALUE = 'sourceless'\n"),
        "fake_sourceless/__init__.pyc": sourceless_pyc("from .compiled import VALUE\n"),  # legacy, beside its source
        f"fake_sourceless/__pycache__/gone.{PYC_TAG}.pyc": sourceless_pyc("GONE = 1\n"),  # its source is not shipped
    })
    w("fake-opencv", files={**SHARED_CV2, "cv2/only_main.py": module()})
    w("fake-opencv-contrib", files={**SHARED_CV2, "cv2/contrib.py": module()})
    # Syntax newer than Python 3.11 (PEP 695), in a module and in a test directory (which is not compiled).
    w("fake-new-syntax", files={"fake_new_syntax/__init__.py": module("from .aliases import Alias\n"),
                                "fake_new_syntax/aliases.py": module("type Alias = int\n"),
                                "fake_new_syntax/tests/__init__.py": module(),
                                "fake_new_syntax/tests/test_aliases.py": module("type Other = str\n")})
    # Binaries the audit knows by content: not one has a native file's name.
    w("fake-elf-exe", files={"fake_elf_exe/__init__.py": module(),
                             "fake_elf_exe/bin/helper": elf_shared_object("x86_64", executable=True)})
    w("fake-fat-macho", files={"fake_fat_macho/__init__.py": module(),
                               "fake_fat_macho/.dylibs/libfoo": macho_universal("x86_64", "arm64")})
    w("fake-pe-bin", files={"fake_pe_bin/__init__.py": module(), "fake_pe_bin/tool.bin": pe_dll()})
    # Not refused: a Java class (cafebabe), text starting "MZ", a Windows launcher template (distlib's t64.exe).
    w("fake-lookalikes", files={"fake_lookalikes/__init__.py": module(), "fake_lookalikes/Hello.class": java_class(),
                                "fake_lookalikes/t64.exe": pe_dll(dll=False),
                                "fake_lookalikes/mz.txt": b"MZ: the two letters a DOS executable starts with; this file "
                                                          b"is text that only starts like one.\n"})
    # Tagged for glibc 2.17, but its extension needs glibc 2.35 (python3.12's runtime has 2.34).
    w("fake-new-glibc", files={"fake_new_glibc/__init__.py": module(),
                               "fake_new_glibc/_native.cpython-312-aarch64-linux-gnu.so":
                                   elf_shared_object("aarch64", glibc_needs=("2.17", "2.35"))},
      tag="cp312-cp312-manylinux_2_17_aarch64")
    # Unzips to one byte more than Lambda allows (its zeros deflate to a few hundred KB).
    w("fake-huge", files={"fake_huge/__init__.py": module(), "fake_huge/blob.bin": bytes(HUGE_BLOB_BYTES)})
    # More than ten distributions of distinct, known payload sizes, for the size report's top 10.
    for index, size in enumerate(SIZED_PAYLOADS, start=1):
        w(f"fake-size-{index:02d}", files={f"fake_size_{index:02d}/__init__.py": b"", f"fake_size_{index:02d}/payload.txt": b"x" * size})
    return directory
