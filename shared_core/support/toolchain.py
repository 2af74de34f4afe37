"""The tools a build runs: finding uv and the target's interpreter, running uv and pip, reading why they failed.

One module so every run isolates its output and masks credentials the same way, and the
interpreter is searched for by one rule (``find_interpreter``) wherever it is needed.
"""

from __future__ import annotations

import codecs
import functools
import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type

from shared_core.errors import InstallError, LayerError
from shared_core.lambda_runtime import LambdaTarget
from shared_core.support.reporting import mask_credentials

#: ``uv.find_uv_bin`` is not safe to call from two threads at once (it reads ``sysconfig`` while
#: another call initialises it), and several targets resolve on threads: one search at a time.
_FIND_UV = threading.Lock()


def find_uv() -> str:
    """Hatch's own uv inside a Hatch build, else the ``uv`` package's binary, else ``uv`` on PATH."""
    hatch_uv = os.environ.get("HATCH_UV")
    if hatch_uv and os.path.exists(hatch_uv):
        return hatch_uv
    try:
        from uv import find_uv_bin

        with _FIND_UV:
            return find_uv_bin()
    except Exception:  # the uv package is missing or its binary is not installed
        pass
    found = shutil.which("uv")
    if found:
        return found
    raise InstallError(
        "Could not find uv: install lambda-layer-build with its dependencies (`pip install lambda-layer-build`, or "
        "from a checkout `pip install /path/to/lambda-layer-build`), "
        "put `uv` on PATH, or set `installer = \"pip\"` in [tool.lambda-layer]."
    )


def run_tool(
    command: Sequence[str],
    *,
    cwd: Optional[os.PathLike] = None,
    what: str,
    stdin: Optional[str] = None,
    extra_env: Optional[Mapping[str, Optional[str]]] = None,
    secrets: Sequence[str] = (),
    error: Type[LayerError] = InstallError,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run a tool, capturing its output; a failure becomes ``error`` with the tool's own reasons (see
    :func:`failure_message`) and, as ``details``, its whole masked output."""
    try:
        completed = subprocess.run(
            list(command), cwd=cwd, input=stdin, env=_environment(extra_env), capture_output=True, text=True, encoding="utf-8", errors="replace"
        )
    except OSError as exc:
        raise error(f"Could not run {what} ({command[0]}): {exc}.") from None
    if check and completed.returncode != 0:
        raise error(
            failure_message(what, completed.returncode, completed.stderr or completed.stdout, secrets),
            details=full_output(completed, secrets),
        )
    return completed


#: The size of the pseudo-terminal a tool draws its progress on (rows, columns): wide enough that
#: uv does not elide its counts.
_TERMINAL_SIZE = (40, 160)


def _environment(extra_env: Optional[Mapping[str, Optional[str]]]) -> Dict[str, str]:
    """``os.environ`` with ``extra_env`` applied; a ``None`` value removes the variable."""
    env: Dict[str, str] = dict(os.environ)
    for key, value in (extra_env or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_streaming(
    command: Sequence[str],
    on_text: Callable[[str], None],
    *,
    terminal: bool,
    what: str,
    cwd: Optional[os.PathLike] = None,
    extra_env: Optional[Mapping[str, Optional[str]]] = None,
    error: Type[LayerError] = InstallError,
) -> subprocess.CompletedProcess:
    """Run a tool, handing every line (or in-place redraw) of its output to ``on_text`` as it comes.

    With ``terminal`` (POSIX only), the tool's stdout and stderr are a pseudo-terminal: uv reports
    its progress only to a terminal. Either way, the whole output (stdout and stderr together,
    terminal codes removed) is captured as the result's ``stderr`` for error messages; nothing is
    printed here.
    """
    use_pty = terminal and os.name == "posix"
    if use_pty:
        import fcntl
        import pty
        import struct
        import termios

        reader, writer = pty.openpty()
        fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", *_TERMINAL_SIZE, 0, 0))
        streams = {"stdout": writer, "stderr": writer}
    else:
        reader, writer = os.pipe()
        streams = {"stdout": writer, "stderr": subprocess.STDOUT}
    try:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=_environment(extra_env), stdin=subprocess.DEVNULL, **streams
        )
    except OSError as exc:
        os.close(reader)
        os.close(writer)
        raise error(f"Could not run {what} ({command[0]}): {exc}.") from None
    os.close(writer)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    captured: List[str] = []
    pending = ""
    try:
        while True:
            try:
                data = os.read(reader, 1 << 16)
            except OSError:  # EIO: the tool closed its terminal
                break
            if not data:
                break
            text = decoder.decode(data)
            captured.append(text)
            *frames, pending = re.split(r"[\r\n]", pending + text)
            for frame in frames:
                on_text(frame)
    finally:
        os.close(reader)
        returncode = process.wait()
    return subprocess.CompletedProcess(list(command), returncode, "", strip_terminal_codes("".join(captured)))


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
#: Where uv's and pip's reasons start: ``error:`` (uv), ``ERROR:`` (pip), and uv's ``hint:``.
_REASON_START = re.compile(r"^(error|ERROR|hint):")
#: Lines of a hash dump (uv's ``Expected:``/``Computed:`` block, pip's ``Expected sha256``/``Got``).
_HASH_DUMP = re.compile(r"^\s*(Expected:|Computed:|Expected sha256\b|Got\s|sha256:[0-9a-f]+$)")
#: pip's pointer into our scratch requirements file: noise in a message (and a temporary path).
_PIP_ORIGIN = re.compile(r"\s*\(from -r [^()]*\(line \d+\)\)")
#: How uv and pip name a package in their reasons.
_NAMED = (
    re.compile(r"`([A-Za-z0-9][A-Za-z0-9._-]*==[^`\s]+)`"),       # uv: `fake-a==1.0`
    re.compile(r"^\s+([A-Za-z0-9][A-Za-z0-9._-]*==\S+) from "),   # pip's hash block: fake-b==1.0 from file:...
    re.compile(r"requirement ([A-Za-z0-9][A-Za-z0-9._-]*==\S+)"),  # pip: No matching distribution ... requirement x==1
    re.compile(r"(?:wheel|distribution): ([A-Za-z0-9][A-Za-z0-9._-]*==[^\s,]+)"),  # older uv: Failed to fetch wheel: x==1
    re.compile(r"you require ([A-Za-z0-9][A-Za-z0-9._-]*==[^\s,]+)"),  # uv: ... and you require x==1.0, ...
    re.compile(r"Because ([A-Za-z0-9][A-Za-z0-9._-]*) was not found"),  # uv: Because x was not found in ...
)


def strip_terminal_codes(text: str) -> str:
    """Text without colour and cursor escape sequences, with ``\r`` redraws reduced to their last state."""
    lines = (line.rstrip("\r") for line in _ANSI.sub("", text).split("\n"))
    return "\n".join(line.rsplit("\r", 1)[-1] for line in lines)


def reason_lines(output: str) -> List[str]:
    """The installer's own reasons, whole and in order: each ``error:``/``ERROR:``/``hint:`` line and
    the indented lines under it (uv's ``cause:``/``Caused by:`` chain, pip's details), hash dumps left out."""
    kept: List[str] = []
    inside = False
    for line in strip_terminal_codes(output).splitlines():
        if _REASON_START.match(line):
            inside = True
            kept.append(line.rstrip())
        elif not line.strip():
            continue
        elif line[0].isspace() and inside:
            if not _HASH_DUMP.match(line):
                kept.append(_PIP_ORIGIN.sub("", line).rstrip())
        else:
            inside = False
    return kept


def named_packages(lines: Sequence[str]) -> List[str]:
    """``name==version`` (or ``name``) of every package the reasons name, in order, once each."""
    found: List[str] = []
    for line in lines:
        for pattern in _NAMED:
            found.extend(match.group(1).rstrip(":") for match in pattern.finditer(line))
    pinned = {name.split("==")[0] for name in found if "==" in name}
    return list(dict.fromkeys(name for name in found if "==" in name or name not in pinned))


def failure_message(what: str, exit_code: int, output: str, secrets: Sequence[str] = ()) -> str:
    """``{what} failed for pkg==1.0 (exit 2):`` and the tool's reasons first and whole; the last lines of
    its output when it printed no recognisable reason. Credentials masked."""
    reasons = reason_lines(output)
    if not reasons:
        reasons = [line for line in strip_terminal_codes(output).strip().splitlines() if line.strip()][-25:]
    packages = named_packages(reasons)
    subject = f" for {', '.join(packages)}" if packages else ""
    body = "\n".join("  " + line for line in reasons)
    return mask_credentials(f"{what} failed{subject} (exit {exit_code}):\n{body}\nWith -v, the whole output of {what} is shown.", secrets)


def full_output(completed: subprocess.CompletedProcess, secrets: Sequence[str] = ()) -> str:
    """Everything the tool printed, for verbose output; credentials masked."""
    text = "\n".join(part for part in (completed.stdout, completed.stderr) if part and part.strip())
    return mask_credentials(strip_terminal_codes(text).rstrip(), secrets)


def python_has_module(python: str, module: str) -> bool:
    completed = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    return completed.returncode == 0


def _ask(python: str, code: str) -> Optional[str]:
    """What ``python -c code`` prints, or None when it does not run (a pyenv shim may not) or fails."""
    try:
        probe = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return probe.stdout.strip() if probe.returncode == 0 else None


#: X.Y.Z of each interpreter a search just probed, so the build that searched does not start it a
#: second time; taken once (:func:`interpreter_release`): a later build asks again, since the
#: interpreter may have been upgraded in between (the search itself is cached per environment).
_RELEASES: Dict[str, str] = {}


def _probe(python: str) -> Optional[Tuple[str, str]]:
    """``(X.Y, sys.executable)`` of ``python``, or None when it does not run; its X.Y.Z is remembered."""
    answer = _ask(python, "import platform, sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable); "
                          "print(platform.python_version())")
    lines = answer.splitlines() if answer is not None else []
    if len(lines) != 3:
        return None
    _RELEASES[lines[1]] = lines[2]
    return lines[0], lines[1]


def _candidates(version: str) -> List[str]:
    """Where interpreters of ``version`` usually live: PATH, pyenv, the Windows launcher.

    A pyenv shim on PATH is tried after pyenv's own interpreters: it is a shell script that costs a
    tenth of a second to run (more to fail, when pyenv's selected version is another), on every
    build, the up-to-date ones included; the interpreters it would choose from are tried directly.
    """
    on_path = [path for path in (shutil.which(f"python{version}"),) if path]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    shims = [path for path in on_path if Path(path).parent == Path(pyenv_root, "shims")]
    found = [path for path in on_path if path not in shims]
    for pattern in (f"{version}.*/bin/python{version}", f"{version}/bin/python{version}", f"{version}.*/python.exe"):
        found += sorted(glob.glob(os.path.join(pyenv_root, "versions", pattern)), reverse=True)
    return found + shims


def find_interpreter(target: LambdaTarget) -> Optional[str]:
    """An interpreter of the target's version: this one, one on PATH or in pyenv, or ``uv python find``.

    The fingerprint, the compile step and the import check each ask; the search (a few
    subprocesses) runs once per environment, so a changed PATH or PYENV_ROOT searches again.
    """
    return _search_interpreter(target.python_version, tuple(sorted(os.environ.items())))


@functools.lru_cache(maxsize=16)
def _search_interpreter(version: str, environment: Tuple[Tuple[str, str], ...]) -> Optional[str]:
    """:func:`find_interpreter`'s search; ``environment`` only keys the cache."""
    if "%d.%d" % sys.version_info[:2] == version:
        return sys.executable
    for candidate in _candidates(version):
        probed = _probe(candidate)
        if probed is not None and probed[0] == version:
            return probed[1]
    try:
        completed = run_tool(
            [find_uv(), "python", "find", "--no-project", version], what="uv python find",
            extra_env={"UV_PYTHON_DOWNLOADS": "never"}, check=False,
        )
    except Exception:
        return None
    found = completed.stdout.strip()
    return found if completed.returncode == 0 and found else None


def interpreter_release(interpreter: Optional[str]) -> Optional[str]:
    """The full X.Y.Z of ``interpreter`` (the one that compiles the layer's bytecode), or None without one.

    Part of the build fingerprint: a patch release may compile the same source to different
    bytes (compiler fixes), so a new 3.12.x is a reason to rebuild.
    """
    if interpreter is None:
        return None
    if interpreter == sys.executable:
        return platform.python_version()
    return _RELEASES.pop(interpreter, None) or _ask(interpreter, "import platform; print(platform.python_version())")
