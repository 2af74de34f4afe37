"""Headless Chromium, driven over its DevTools protocol on a pipe (``--remote-debugging-pipe``).

No driver and no WebSocket library: Chromium reads commands from its file descriptor 3 and writes
answers and events to 4, each a JSON object ended by a NUL byte. Enough of the protocol to open a
page, wait for it to load, evaluate an expression in it and take a screenshot. The browser is
Debian's ``chromium`` (``.ci/run`` installs it); :func:`require_browser` finds it or says how to.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

#: The names a Chromium goes by on PATH, in the order tried.
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: The window the pages are laid out in (and the screenshots' size).
WIDTH, HEIGHT = 1280, 1000


def find_browser() -> Optional[str]:
    return next((found for found in map(shutil.which, BROWSERS) if found), None)


def require_browser() -> str:
    """The Chromium to drive. Without one the test fails under CI (``CI`` set, as in ``.ci/run``, which
    installs it) and is skipped elsewhere, each time saying how to install it."""
    found = find_browser()
    if found:
        return found
    message = (f"no Chromium on PATH (looked for {', '.join(BROWSERS)}): the report's browser test needs one. "
               "Install Debian's: `apt-get install -y chromium` (.ci/run does).")
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


_TRAMPOLINE = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
               "os.close(int(sys.argv[1])); os.close(int(sys.argv[2])); os.execv(sys.argv[3], sys.argv[3:])")


def _above_4(fd: int) -> int:
    """``fd`` moved to a number of 10 or more (closing the original)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium with a fresh profile; use it as a context manager."""

    def __init__(self, executable: str, profile: Path, timeout: float = 60.0, width: int = WIDTH) -> None:
        self.executable, self.profile, self.timeout, self.width = executable, profile, timeout, width
        self._next_id = 0
        self._buffer = b""
        self._events: List[Dict[str, Any]] = []

    def __enter__(self) -> "Browser":
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        # The child's ends go to 10 and up, then a Python trampoline moves them to 3 and 4, where Chromium
        # looks for them, and execs it (no preexec_fn: the test process runs threads, the loopback indexes).
        commands_read, answers_write = (_above_4(commands_read), _above_4(answers_write))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(commands_read), str(answers_write), self.executable, "--headless",
             "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
             f"--window-size={self.width},{HEIGHT}", f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(commands_read, answers_write),
        )
        os.close(commands_read)
        os.close(answers_write)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._send("Browser.close")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._commands)
            os.close(self._answers)

    def _send(self, method: str, params: Optional[Dict[str, Any]] = None, session: Optional[str] = None) -> int:
        self._next_id += 1
        message: Dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, deadline: float) -> Dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer within {self.timeout} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise ConnectionError(f"Chromium closed its pipe (exit code {self.process.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, session: Optional[str] = None) -> Dict[str, Any]:
        """Send a command and return its result (events that arrive meanwhile are kept for :meth:`wait_for`)."""
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, event: str, session: str) -> Dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for index, message in enumerate(self._events):
                if message.get("method") == event and message.get("sessionId") == session:
                    return self._events.pop(index)
            self._events.append(self._receive(deadline))

    def open(self, url: str) -> str:
        """A new page showing ``url``, loaded (its ``load`` event fired); its session id."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}, session)
        self.call("Page.enable", session=session)
        self.call("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values only)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page (the whole page, not only the window, when ``full_page``)."""
        params: Dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.evaluate(session, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", params, session)["data"]))
        return path
