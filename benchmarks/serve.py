"""Benchmark: how long a contributor waits for ``mkdocs serve``.

Run from the repository root:  .venv/bin/python benchmarks/serve.py [--runs N]

Copies the working tree (without .venv, site/ and caches) to a temporary folder,
starts ``BOOK_FULL=false mkdocs serve`` there on a free port, the preview that
CONTRIBUTING.md gives (``BOOK_FULL=true python benchmarks/serve.py`` measures the
full build instead), and measures

- the time from the start of ``mkdocs serve`` to the first served chapter page;
- for a prose edit (a sentence added to ``docs/<page>.md``) and a snippet edit
  (a comment added inside a section that the page embeds from ``snippets/``),
  the time from saving the file to the served page holding the new text, which
  is when the browser reloads it.

It prints where ``mkdocs serve`` serves the site, each time, and the median of
each kind of edit. The repository itself is never touched; the server stops and
the copy is removed at the end. The target (CONTRIBUTING.md): an edit shows
within 5 s on two cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIP = {".venv", ".ci-venv", "site", ".cache", "test-artifacts", ".lighthouse", "__pycache__"}
SKIP |= {".pytest_cache", ".ruff_cache", ".hypothesis"}
_SERVING = re.compile(r"Serving on (\S+)")
_INCLUDE = re.compile(r'--8<-- "(snippets/[\w/]+\.py):(\w+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float | None:
    """CPU time that process ``pid`` and its finished children used (Linux), else None.

    On a busy machine the waits stretch with the load; the CPU time does not, and on
    an idle machine a rebuild (one process, mostly one thread) takes about that long.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_for(url: str, text: str, start: float, limit: float) -> float:
    """Seconds from ``start`` until the page at ``url`` holds ``text``."""
    while time.perf_counter() - start < limit:
        page = fetch(url)
        if page is not None and text in page:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not show {text!r} within {limit:.0f} s")


class Server:
    """``mkdocs serve`` in ``root``, its log collected line by line."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.lines: list[str] = []
        self.url: str | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{self.port}"],
            cwd=root,
            env={"BOOK_FULL": "false", **os.environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            match = _SERVING.search(line)
            if match:
                self.url = match.group(1)

    def wait_until_serving(self, limit: float) -> str:
        start = time.perf_counter()
        while self.url is None:
            if self.process.poll() is not None or time.perf_counter() - start > limit:
                raise RuntimeError("mkdocs serve did not start:\n" + "\n".join(self.lines))
            time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def snippet_edit_target(root: Path, page: str) -> tuple[Path, str]:
    """The snippets file and the start marker of the first section that ``page`` embeds."""
    text = (root / "docs" / f"{page}.md").read_text(encoding="utf-8")
    match = _INCLUDE.search(text)
    if match is None:
        raise SystemExit(f"docs/{page}.md embeds no snippet section")
    return root / match.group(1), f"# --8<-- [start:{match.group(2)}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", default="tensors", help="the chapter to edit (docs/PAGE.md)")
    parser.add_argument("--runs", type=int, default=3, help="edits of each kind (default 3)")
    parser.add_argument("--limit", type=float, default=600, help="seconds to wait at most")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="serve-benchmark-") as folder:
        root = Path(folder) / "repo"
        shutil.copytree(REPO, root, ignore=lambda _, names: [n for n in names if n in SKIP])
        start = time.perf_counter()
        server = Server(root)
        try:
            base = server.wait_until_serving(args.limit)
            page_url = f"{base.rstrip('/')}/{args.page}.html"
            first = wait_for(page_url, "</html>", start, args.limit)
            pid = server.process.pid
            cpu = cpu_seconds(pid)
            print(f"mkdocs serve serves the site at {base}")
            print(f"first served page ({args.page}.html): {first:.1f} s after starting", end="")
            print(f" ({cpu:.1f} s of CPU)" if cpu is not None else "")

            source = root / "docs" / f"{args.page}.md"
            snippet, marker = snippet_edit_target(root, args.page)
            times: dict[str, list[float]] = {"prose": [], "snippet": []}
            for run in range(1, args.runs + 1):
                time.sleep(1.0)  # let the watcher settle after the previous rebuild
                text = f"Serve benchmark prose edit {run}."
                lines = source.read_text(encoding="utf-8").split("\n")
                lines[1:1] = ["", text]  # a paragraph right under the title
                cpu = cpu_seconds(pid)
                source.write_text("\n".join(lines), encoding="utf-8")
                times["prose"].append(wait_for(page_url, text, time.perf_counter(), args.limit))
                prose_cpu = cpu_seconds(pid)

                time.sleep(1.0)
                text = f"# serve benchmark snippet edit {run}"
                code = snippet.read_text(encoding="utf-8")
                snippet.write_text(code.replace(marker, f"{marker}\n{text}", 1), encoding="utf-8")
                times["snippet"].append(wait_for(page_url, text, time.perf_counter(), args.limit))
                snippet_cpu = cpu_seconds(pid)
                print(
                    f"run {run}: prose edit shown after {times['prose'][-1]:.1f} s, "
                    f"snippet edit after {times['snippet'][-1]:.1f} s",
                    end="",
                )
                if cpu is not None:
                    print(f" (CPU {prose_cpu - cpu:.1f} s and {snippet_cpu - prose_cpu:.1f} s)")
                else:
                    print()
            for kind, values in times.items():
                print(f"{kind} edit: median {statistics.median(values):.1f} s over {len(values)}")
            built = [line for line in server.lines if "Documentation built in" in line]
            if built:
                print("mkdocs:", "; ".join(line.split("INFO")[-1].strip(" -") for line in built))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
