"""What the browser tests share: Debian's Chromium driven by Playwright, and a site served in a thread.

``serving(flask_app)`` runs the Flask app on 127.0.0.1 and a free port (Werkzeug's threaded test
server: waitress is tested on its own in ``test_web.py``) and yields its base URL. ``launch()``
opens headless Chromium with the flags this machine's closed network needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextmanager
def serving(flask_app: Any) -> Iterator[str]:
    """``flask_app`` served on 127.0.0.1 in a thread while the block runs; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@contextmanager
def launch() -> Iterator[Browser]:
    """Headless Chromium for the block."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


__all__ = ["ARGS", "CHROMIUM", "launch", "serving"]
