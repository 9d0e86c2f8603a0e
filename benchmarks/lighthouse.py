"""Measure every page of the built site with Lighthouse 12.2.3 in headless Chromium.

Run from the repository root (needs Node.js with npm, and Chromium):

    .venv/bin/python benchmarks/lighthouse.py [--runs 3] [--scheme dark] [--site DIR]
        [--metrics] [--chrome PATH] [PAGE.html ...]

It builds the site strictly into a temporary folder, serves it on 127.0.0.1
under the path of ``site_url`` (``/book/``), compressed with gzip, with
keep-alive and cache headers, as GitHub Pages serves it, installs Lighthouse
into benchmarks/.lighthouse (once; git ignores it), runs it on every page, the
404 page included (Lighthouse's default mobile emulation and simulated
throttling), and prints the four category scores and the bytes transferred, in
all and without figures. A performance score moves by a few hundredths from
one run to the next (Lighthouse's documentation advises the median of several),
so each page is measured ``--runs`` times and the table shows the median of
each score, with every run's performance score beside it. The floors:
performance 0.95, accessibility 1.0, best practices 1.0, SEO 0.95, and a
chapter under 400 KB without its figures. The exit status is 1 when a page
misses one.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
TOOL = REPO / "benchmarks" / ".lighthouse"
VERSION = "12.2.3"
FLOORS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0, "seo": 0.95}
MAX_KB_WITHOUT_FIGURES = 400
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)


def lighthouse_binary() -> Path:
    binary = TOOL / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        TOOL.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(TOOL), "--save-exact", f"lighthouse@{VERSION}"],
            check=True,
        )
    return binary


def site_path() -> str:
    """The path part of mkdocs.yml's site_url, where GitHub Pages serves the site."""
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    match = re.search(r"^site_url:\s*(\S+)", config, re.M)
    return urlsplit(match.group(1) if match else "").path.strip("/")


def build(site: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """A static server that behaves like a production one (GitHub Pages, nginx):
    text compressed with gzip when the browser accepts it, and cache headers."""

    # Keep-alive, as every production server does: with HTTP/1.0 each request
    # would open a new connection, and Lighthouse would charge it a handshake.
    protocol_version = "HTTP/1.1"
    COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".ipynb")

    def log_message(self, *args) -> None:  # one line per request would drown the report
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts_gzip and path.suffix in self.COMPRESSIBLE and path.is_file()):
            super().do_GET()
            return
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(StaticHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


# The metrics the performance score is made of (Lighthouse 12), printed with each
# run so that a low score says which of them fell.
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}


def measure(binary: Path, url: str, chrome: str, out: Path, scheme: str = "light") -> dict:
    # prefers-color-scheme: dark, which the theme follows when the reader has not chosen.
    flags = CHROME_FLAGS + (" --force-dark-mode" if scheme == "dark" else "")
    subprocess.run(
        [
            str(binary),
            url,
            "--output=json",
            f"--output-path={out}",
            f"--chrome-flags={flags}",
            "--only-categories=performance,accessibility,best-practices,seo",
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": chrome},
        check=True,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    requests = report["audits"]["network-requests"]["details"]["items"]
    total = sum(r.get("transferSize", 0) for r in requests)
    figures = sum(r.get("transferSize", 0) for r in requests if r.get("resourceType") == "Image")
    scores = {k: report["categories"][k]["score"] for k in FLOORS}
    failed = []
    for audit in report["audits"].values():
        if audit.get("score") == 0:
            items = (audit.get("details") or {}).get("items") or []
            where = [str((i.get("node") or {}).get("selector", "")) for i in items[:3]]
            where = [w for w in where if w]
            failed.append(audit["id"] + (f" ({'; '.join(where)})" if where else ""))
    metrics = {
        short: report["audits"][key].get("displayValue", "n/a") for key, short in METRICS.items()
    }
    return {
        "scores": scores,
        "kb": total / 1000,
        "kb_without_figures": (total - figures) / 1000,
        "failed_audits": failed,
        "metrics": metrics,
    }


def median_result(runs: list[dict]) -> dict:
    """Median of each score and size over several runs of one page; a score that
    Lighthouse could not compute in some run counts as missing."""
    scores = {}
    for key in FLOORS:
        values = [r["scores"][key] for r in runs]
        scores[key] = None if None in values else statistics.median(values)
    failed = sorted({audit for r in runs for audit in r["failed_audits"]})
    return {
        "scores": scores,
        "kb": statistics.median(r["kb"] for r in runs),
        "kb_without_figures": statistics.median(r["kb_without_figures"] for r in runs),
        "failed_audits": failed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    parser.add_argument("--runs", type=int, default=3, help="runs per page (median reported)")
    parser.add_argument(
        "--scheme",
        choices=["light", "dark"],
        default="light",
        help="the colour scheme the browser prefers (the theme follows it)",
    )
    parser.add_argument(
        "--site", type=Path, help="a site already built with mkdocs build (default: build one)"
    )
    parser.add_argument("--metrics", action="store_true", help="print each run's metrics")
    parser.add_argument("pages", nargs="*", help="pages to measure (default: all)")
    args = parser.parse_args()
    binary = lighthouse_binary()
    with tempfile.TemporaryDirectory() as tmp:
        root, published_at = Path(tmp) / "root", site_path()
        site = root / published_at
        if args.site:
            site.parent.mkdir(parents=True, exist_ok=True)
            site.symlink_to(args.site.resolve())
        else:
            build(site)
        httpd, base = serve(root)
        base = f"{base}/{published_at}".rstrip("/")
        pages = args.pages or sorted(p.name for p in site.glob("*.html"))
        print(
            f"{'page':28s} {'perf':>5s} {'a11y':>5s} {'best':>5s} {'seo':>5s} {'KB':>8s} "
            f"{'KB w/o fig':>10s}  {'perf by run':{6 * args.runs}s} verdict"
        )
        misses = 0
        for name in pages:
            runs = [
                measure(
                    binary, f"{base}/{name}", args.chrome, Path(tmp) / f"{name}.json", args.scheme
                )
                for _ in range(args.runs)
            ]
            result = median_result(runs)
            s = result["scores"]
            problems = [k for k, floor in FLOORS.items() if s[k] is None or s[k] < floor]
            chapter = name not in ("print_page.html",)
            if chapter and result["kb_without_figures"] > MAX_KB_WITHOUT_FIGURES:
                problems.append("size")
            misses += bool(problems)
            verdict = "ok" if not problems else "below floor: " + ", ".join(problems)
            cells = " ".join(f"{s[k]:5.2f}" if s[k] is not None else "  n/a" for k in FLOORS)
            by_run = " ".join(f"{r['scores']['performance'] or 0:5.2f}" for r in runs)
            print(
                f"{name:28s} {cells} {result['kb']:8.0f} "
                f"{result['kb_without_figures']:10.0f}  {by_run} {verdict}"
            )
            if args.metrics:
                for run in runs:
                    print(f"{'':28s} " + "  ".join(f"{k} {v}" for k, v in run["metrics"].items()))
            if problems and result["failed_audits"]:
                print(f"{'':28s} failed audits: {', '.join(result['failed_audits'])}")
        httpd.shutdown()
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
