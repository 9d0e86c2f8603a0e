"""What the browser tests share: the system's Chromium, the built site served on
127.0.0.1, and a tab that records every problem a page has.

Chromium comes from the system (Debian's package; .ci/run installs it), never
from ``playwright install``. tests/conftest.py makes the ``browser``,
``server`` and ``page`` fixtures of these.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

CANDIDATES = [os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", "/usr/bin/chromium-browser"]
CANDIDATES += ["/usr/bin/google-chrome"]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return next((c for c in CANDIDATES if c and shutil.which(c)), None)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per request would drown the output
        pass


def serve(handler_class, directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 on a free port; return the server and its address."""
    handler = functools.partial(handler_class, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def watch_problems(tab, server: str, missing: str = "") -> None:
    """Collect in ``tab.problems`` every console error, failed request, error
    response and request to a host other than ``server``. ``missing`` names a
    page expected to answer 404: its own status (which the browser also logs
    as a console error) is no problem."""
    tab.problems = []
    host = urlparse(server).netloc

    def expected(url: str) -> bool:
        return bool(missing) and url.endswith(missing)

    def on_console(message):
        if message.type == "error" and not expected(message.location.get("url", "")):
            tab.problems.append(f"console: {message.text}")

    def on_response(response):
        if response.status >= 400 and not expected(response.url):
            tab.problems.append(f"{response.status}: {response.url}")

    def on_request(request):
        url = urlparse(request.url)
        if url.scheme in ("http", "https") and url.netloc != host:
            tab.problems.append(f"other host: {request.url}")

    tab.on("console", on_console)
    tab.on("requestfailed", lambda r: tab.problems.append(f"failed: {r.url} {r.failure}"))
    tab.on("response", on_response)
    tab.on("request", on_request)


def open_page(tab, url: str) -> None:
    """Go to a page and wait until the network is idle."""
    tab.goto(url, wait_until="networkidle")
