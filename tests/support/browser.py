"""Headless Chromium for the browser tests: Debian's `chromium`, driven by Playwright (no browser is
downloaded: `executable_path` points at the system's). Missing, it fails the test with the install line."""

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

INSTALL_LINE = "apt-get update && apt-get install -y chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
"""Where the browser tests leave their screenshots (docs/screenshots/ holds the README's copies)."""


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found is not None:
            return found
    pytest.fail(f"The browser tests need Debian's chromium: {INSTALL_LINE} (as root)", pytrace=False)


@contextmanager
def foreign_site(pages: dict[str, str]) -> Iterator[int]:
    """Another site on a free loopback port serving `pages` (path to HTML); yields the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
