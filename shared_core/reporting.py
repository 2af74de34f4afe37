"""How the pipeline talks to the user: adapters plug in Poetry's IO, Hatch's display or print.

Long stages report progress as ``(stage, done, total)``: ``download`` and ``install`` (from the
installer's own counts), ``compile`` and ``zip``. A reporter draws a bar only on a terminal and
never when quiet; :meth:`Reporter.shows_progress` tells the steps whether to ask the installer
for its counts at all (uv then runs on a pseudo-terminal, the only way it reports them).
"""

from __future__ import annotations

import sys
import time
from typing import Optional, Protocol, TextIO


def count_of(count: int, noun: str) -> str:
    """``1 pin``, ``12 pins``: the messages read right for one too."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


class Reporter(Protocol):
    def info(self, message: str) -> None:
        """A normal progress line (suppressed by --quiet)."""

    def warning(self, message: str) -> None:
        """Something the user should act on or know; always shown."""

    def detail(self, message: str) -> None:
        """Shown only with --verbose: pinned lists, every excluded distribution."""

    def progress(self, stage: str, done: int, total: int) -> None:
        """``done`` of ``total`` items of ``stage``; adapters may draw a bar, the default prints nothing."""

    def shows_progress(self) -> bool:
        """True when :meth:`progress` draws something (a terminal, not quiet)."""


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


class PrintReporter:
    """The console script's and the Python API's reporter."""

    def __init__(self, verbose: bool = False, quiet: bool = False) -> None:
        self.verbose = verbose
        self.quiet = quiet
        self._bar: Optional[TerminalBar] = None
        self._stream: Optional[TextIO] = None  # the sys.stderr that _bar was decided for

    def _clear_bar(self) -> None:
        if self._bar is not None:
            self._bar.clear()

    def end_progress(self) -> None:
        """Clear a bar left drawn by a stage that failed, before the error is printed."""
        self._clear_bar()

    def info(self, message: str) -> None:
        if not self.quiet:
            self._clear_bar()
            print(message, flush=True)

    def warning(self, message: str) -> None:
        self._clear_bar()
        print(f"warning: {message}", file=sys.stderr, flush=True)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            self._clear_bar()
            print(message, flush=True)

    def _bar_for_stderr(self) -> Optional[TerminalBar]:
        """The bar for the current ``sys.stderr``, decided again only when it is replaced (as pytest does)."""
        if self._stream is not sys.stderr:
            self._stream, self._bar = sys.stderr, terminal_bar(sys.stderr, self.quiet)
        return self._bar

    def shows_progress(self) -> bool:
        return self._bar_for_stderr() is not None

    def progress(self, stage: str, done: int, total: int) -> None:
        bar = self._bar_for_stderr()
        if bar is not None:
            bar.update(stage, done, total)
