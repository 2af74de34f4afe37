"""How the pipeline talks to the user: one policy, whichever tool shows the lines.

Every line goes through :func:`mask_credentials` (index passwords, tokens, URLs with user info
are never shown, with or without ``-v``); warnings are always shown, ``info`` unless quiet,
``detail`` only when verbose. Long stages report progress as ``(stage, done, total)``:
``download`` and ``install`` (the installer's own counts), ``compile`` and ``zip``; a bar is drawn
only on a terminal and never when quiet. :class:`ReporterBase` holds this policy; the console's
:class:`PrintReporter`, Poetry's and Hatch's reporters only say how a line is shown.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Iterable, Optional, Protocol, TextIO, Tuple
from urllib.parse import quote

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*)(?::(?P<password>[^/\s@]*))?@")


def mask_credentials(text: str, secrets: Iterable[str] = ()) -> str:
    """Hide URL passwords (``https://user:****@host``) and any known secret value."""
    masked = _URL_USERINFO.sub(
        lambda m: f"{m['scheme']}{m['user']}:****@" if m["password"] is not None else m.group(0), text
    )
    for secret in secrets:
        if secret and len(secret) >= 3:
            masked = masked.replace(secret, "****").replace(quote(secret, safe=""), "****")
    return masked


class Reporter(Protocol):
    def info(self, message: str) -> None:
        """A normal progress line (suppressed by --quiet)."""

    def warning(self, message: str) -> None:
        """Something the user should act on or know; always shown."""

    def detail(self, message: str) -> None:
        """Shown only with --verbose: pinned lists, every excluded distribution."""

    def progress(self, stage: str, done: int, total: int) -> None:
        """``done`` of ``total`` items of ``stage``; a bar on a terminal, nothing elsewhere."""

    def shows_progress(self) -> bool:
        """True when :meth:`progress` draws something (a terminal, not quiet)."""


class Bar(Protocol):
    """A progress bar on one line of a terminal."""

    def update(self, stage: str, done: int, total: int) -> None: ...

    def clear(self) -> None: ...


class TerminalBar:
    """One line on a terminal, redrawn in place: ``compile [##########..........] 120/240``.

    Redraws at most ten times a second (the last item always), and clears its line when a stage
    completes or :meth:`clear` is called, so normal output is never interleaved with a bar.
    """

    WIDTH = 30
    INTERVAL = 0.1

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.stage: Optional[str] = None
        self.drawn_at = 0.0

    def update(self, stage: str, done: int, total: int) -> None:
        if total <= 0:
            return
        now = time.monotonic()
        if stage == self.stage and done < total and now - self.drawn_at < self.INTERVAL:
            return
        filled = self.WIDTH * min(done, total) // total
        self.stream.write(f"\r\x1b[2K{stage} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}")
        self.stream.flush()
        self.stage, self.drawn_at = stage, now
        if done >= total:
            self.clear()

    def clear(self) -> None:
        if self.stage is not None:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.stage = None


def terminal_bar(stream: TextIO, quiet: bool) -> Optional[TerminalBar]:
    """A bar on ``stream`` when it is a terminal and output is not quiet; else None."""
    isatty = getattr(stream, "isatty", None)
    return TerminalBar(stream) if not quiet and isatty is not None and isatty() else None


class ReporterBase:
    """The reporting policy every entry point shares; a subclass says how a line reaches the user
    (:meth:`show`) and which bar a terminal gets (:meth:`bar`)."""

    #: The kinds of line :meth:`show` is asked to show.
    KINDS: Tuple[str, ...] = ("info", "warning", "detail", "error")

    def __init__(self, *, verbose: bool = False, quiet: bool = False, secrets: Iterable[str] = ()) -> None:
        self.verbose = verbose
        self.quiet = quiet
        self.secrets: Tuple[str, ...] = tuple(secret for secret in secrets if secret)

    # -- what a subclass provides --------------------------------------------------------------

    def show(self, kind: str, text: str) -> None:
        """Show one masked line of ``kind`` (one of :data:`KINDS`)."""
        raise NotImplementedError

    def bar(self) -> Optional[Bar]:
        """The bar progress is drawn on, or None where there is no terminal (or when quiet)."""
        return None

    # -- the policy -----------------------------------------------------------------------------

    def add_secrets(self, secrets: Iterable[str]) -> None:
        self.secrets += tuple(secret for secret in secrets if secret)

    def mask(self, message: str) -> str:
        return mask_credentials(str(message), self.secrets)

    def end_progress(self) -> None:
        """Clear a bar left drawn (a stage that failed), before anything else is shown."""
        bar = self.bar()
        if bar is not None:
            bar.clear()

    def info(self, message: str) -> None:
        if not self.quiet:
            self.end_progress()
            self.show("info", self.mask(message))

    def warning(self, message: str) -> None:
        self.end_progress()
        self.show("warning", self.mask(f"warning: {message}"))

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            self.end_progress()
            self.show("detail", self.mask(message))

    def error(self, message: str) -> None:
        """A failure's one paragraph (always shown)."""
        self.end_progress()
        self.show("error", self.mask(message))

    def shows_progress(self) -> bool:
        return self.bar() is not None

    def progress(self, stage: str, done: int, total: int) -> None:
        bar = self.bar()
        if bar is not None:
            bar.update(stage, done, total)


class LabelledReporter:
    """Another reporter's lines for one of several targets: each step's lines become details under
    the target's name (a build of four targets says one line per target, ``-v`` says them all),
    warnings keep their place, and a bar names its target (``py312-arm64 zip``)."""

    def __init__(self, reporter: Reporter, label: str) -> None:
        self.reporter = reporter
        self.label = label

    def info(self, message: str) -> None:
        self.reporter.detail(f"{self.label}: {message}")

    def warning(self, message: str) -> None:
        self.reporter.warning(f"{self.label}: {message}")

    def detail(self, message: str) -> None:
        self.reporter.detail(f"{self.label}: {message}")

    def progress(self, stage: str, done: int, total: int) -> None:
        self.reporter.progress(f"{self.label} {stage}", done, total)

    def shows_progress(self) -> bool:
        return self.reporter.shows_progress()


class PrintReporter(ReporterBase):
    """The console script's and the Python API's reporter: stdout for lines (``stdout``: another
    stream, when stdout carries a command's result), stderr for warnings."""

    def __init__(self, verbose: bool = False, quiet: bool = False, secrets: Iterable[str] = (),
                 stdout: Optional[TextIO] = None) -> None:
        super().__init__(verbose=verbose, quiet=quiet, secrets=secrets)
        self._bar: Optional[TerminalBar] = None
        self._stream: Optional[TextIO] = None  # the sys.stderr that _bar was decided for
        self._stdout = stdout

    def show(self, kind: str, text: str) -> None:
        print(text, file=sys.stderr if kind in ("warning", "error") else self._stdout or sys.stdout, flush=True)

    def bar(self) -> Optional[Bar]:
        """The bar for the current ``sys.stderr``, decided again only when it is replaced (as pytest does)."""
        if self._stream is not sys.stderr:
            self._stream, self._bar = sys.stderr, terminal_bar(sys.stderr, self.quiet)
        return self._bar
