"""shared_core.pack.slimming: which files are slimmed from the layer (scripts, installer leftovers, stale bytecode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_core.install.distributions import InstalledDistribution
from shared_core.pack.slimming import SlimmingContext, slim_reason


def _pyc(tmp_path: Path, flags: int) -> Path:
    path = tmp_path / "mod.pyc"
    path.write_bytes(b"\x00" * 4 + flags.to_bytes(4, "little") + b"\x00" * 8)
    return path


#: A tree after exclusion: scripts of two installers, a package called bin, sources and bytecode.
_TREE = {
    "bin/normalizer", "bin/fake-cli", "bin/tool.py", "bin/__init__.py", "pkg/mod.py", "pkg/only.pyc", "pkg/mod.pyc",
    "pkg/__pycache__/mod.cpython-312.pyc", "pkg/__pycache__/gone.cpython-312.pyc", "pkg/stray.pyc",
}


_KEPT = [
    InstalledDistribution("charset-normalizer", "3.4", "charset_normalizer-3.4.dist-info", frozenset({"bin/normalizer"}), (),
                          frozenset({"bin/normalizer"})),  # uv: the script is in its RECORD
    InstalledDistribution("fake-cli", "1.0", "fake_cli-1.0.dist-info", frozenset(), (), frozenset({"bin/fake-cli"})),  # pip
    InstalledDistribution("fake-bin", "1.0", "fake_bin-1.0.dist-info", frozenset({"bin/__init__.py", "bin/tool.py"}), ()),
    InstalledDistribution("pkg", "1.0", "pkg-1.0.dist-info", frozenset({"pkg/mod.py", "pkg/only.pyc", "pkg/mod.pyc"}), ()),
]


_CONTEXT = SlimmingContext.create(_TREE, _KEPT, _KEPT)


@pytest.mark.parametrize("relpath, flags, reason", [
    ("bin/normalizer", 0, "console scripts"),
    ("bin/fake-cli", 0, "console scripts"),
    ("bin/tool.py", 0, None),                                                    # a module of a package called bin
    ("bin/__init__.py", 0, None),
    (".lock", 0, "installer leftovers"),
    ("idna-3.7.dist-info/uv_cache.json", 0, "installer leftovers"),
    ("fake_sdist_only-1.0.dist-info/uv_build.json", 0, "installer leftovers"),
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b01, None),                         # ours: unchecked hash
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b00, "stale bytecode"),             # timestamp-based
    ("pkg/__pycache__/mod.cpython-312.pyc", 0b11, "stale bytecode"),             # checked hash
    ("pkg/__pycache__/gone.cpython-312.pyc", 0b01, "stale bytecode"),            # its source is gone
    ("pkg/mod.pyc", 0b01, "stale bytecode"),                                     # legacy placement, beside its source
    ("pkg/only.pyc", 0b00, None),                                                # sourceless, its RECORD lists it
    ("pkg/stray.pyc", 0b00, "stale bytecode"),                                   # sourceless, but nobody ships it
    ("pkg/only.pyo", 0b00, "stale bytecode"),
    ("pkg/__pycache__/notes.txt", 0, "stale bytecode"),
    ("pkg/_speed.cpython-312-x86_64-linux-gnu.so", 0, None),
    ("pkg-1.0.dist-info/RECORD", 0, None),
])
def test_slim_reason(tmp_path, relpath, flags, reason):
    assert slim_reason(relpath, _pyc(tmp_path, flags), _CONTEXT) == reason


def test_unowned_files_in_bin_are_not_scripts_by_their_path():
    context = SlimmingContext.create({"bin/readme.txt"}, [], [])
    assert slim_reason("bin/readme.txt", Path("unused"), context) is None
