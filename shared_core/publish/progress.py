"""An upload progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import Optional, TextIO

from ..pack.size_report import human_size

#: Smaller uploads finish before a bar is worth drawing (boto3's multipart threshold).
PROGRESS_MIN_BYTES = 8 * 1024 * 1024


class TerminalProgress:
    """``progress(done, total)`` for :meth:`LayerApi.upload`: one redrawn line, cleared at the end."""

    width = 30

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self._shown = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        line = (f"\rupload [{'#' * filled}{'.' * (self.width - filled)}] {100 * done // total:3d}% "
                f"{human_size(done)} of {human_size(total)}")
        self._shown = max(self._shown, len(line) - 1)  # without the leading \r
        self.stream.write(line)
        if done >= total:
            self.stream.write("\r" + " " * self._shown + "\r")
        self.stream.flush()
