"""shared_core.install.staging: modules that do not compile for the target are named, five, then counted."""

from __future__ import annotations

import sys

import pytest

from shared_core.lambda_runtime import LambdaTarget


def test_modules_that_do_not_compile_are_named_five_then_counted(tmp_path):
    """The plural message: owners where a RECORD names them, the first five, then how many more."""
    from shared_core.errors import InvalidPythonError
    from shared_core.install.bytecode import BytecodeResult
    from shared_core.install.staging import _check_invalid_python
    from shared_core.support.reporting import PrintReporter

    info = tmp_path / "newer-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: newer\nVersion: 2.0\n")
    (info / "RECORD").write_text("".join(f"newer/m{index}.py,,\n" for index in range(7)))
    invalid = tuple((f"newer/m{index}.py", "SyntaxError: invalid syntax at line 1") for index in range(7))
    bytecode = BytecodeResult(True, sys.executable, "compiled", files=3, invalid=invalid)
    with pytest.raises(InvalidPythonError) as error:
        _check_invalid_python(bytecode, tmp_path, LambdaTarget.create("3.11", "x86_64"), False, PrintReporter())
    shown = "; ".join(f"newer/m{index}.py of newer 2.0 (SyntaxError: invalid syntax at line 1)" for index in range(5))
    assert str(error.value) == (
        f"7 modules do not compile with Python 3.11, so importing them on python3.11 fails: {shown}; and 2 more. Pin "
        "releases that support Python 3.11 (or target the runtime they need), or exclude their distributions "
        "(`exclude-packages`, --exclude); to ship them as source anyway, set `allow-invalid-python = true` "
        "(--allow-invalid-python). Nothing was written; the previous layer zip is unchanged."
    )
    assert bytecode.shortfall() == ("7 of 10 modules are not valid Python for the target and ship as source only "
                                    "(first: newer/m0.py: SyntaxError: invalid syntax at line 1)")
    assert not bytecode.complete
