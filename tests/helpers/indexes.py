"""Loopback package indexes over a wheelhouse: a PEP 503 tree served on 127.0.0.1, and one behind basic auth."""

from __future__ import annotations

import base64
import hashlib
import html
import shutil
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, Type

#: The private index's credentials: the Poetry, console-script and robustness tests log in with them.
USERNAME = "layer-bot"
SECRET = "s3cr3t-Pa55word-9731"


def write_simple_index(wheelhouse: Path, root: Path) -> None:
    """A PEP 503 tree: ``simple/<name>/index.html`` with ``#sha256=`` links to the files."""
    by_project: Dict[str, list] = {}
    for path in sorted(wheelhouse.iterdir()):
        stem = path.name.split("-")[0]
        by_project.setdefault(stem.replace("_", "-").lower(), []).append(path)
    simple = root / "simple"
    for project, files in by_project.items():
        page = simple / project
        page.mkdir(parents=True)
        links = []
        for path in files:
            shutil.copy2(path, page / path.name)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            links.append(f'<a href="{html.escape(path.name)}#sha256={digest}">{html.escape(path.name)}</a><br/>')
        page.joinpath("index.html").write_text(f"<!DOCTYPE html><html><body>{''.join(links)}</body></html>")
    simple.joinpath("index.html").write_text(
        "<!DOCTYPE html><html><body>" + "".join(f'<a href="{p}/">{p}</a>' for p in sorted(by_project)) + "</body></html>"
    )


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None


@contextmanager
def serve_index(wheelhouse: Path, root: Path, handler: Type[SimpleHTTPRequestHandler] = QuietHandler) -> Iterator[str]:
    """Serve a PEP 503 tree over ``wheelhouse`` on loopback; yields its ``/simple/`` URL."""
    write_simple_index(wheelhouse, root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


class BasicAuthHandler(QuietHandler):
    """The loopback index, but only for a client that sends the right basic-auth header."""

    expected = "Basic " + base64.b64encode(f"{USERNAME}:{SECRET}".encode()).decode()

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="fixture"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
