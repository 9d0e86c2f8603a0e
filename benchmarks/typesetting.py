"""Measure how the built site typesets its math (issue 16, point 1).

Run from the repository root, on a site built with ``mkdocs build``:

    .venv/bin/python benchmarks/typesetting.py --site /tmp/site [--browser]

Without ``--site`` it builds the site into a temporary folder first. It prints:

* LaTeX left in the search index (``search/search_index.json``): formula
  wrappers ``\\(``, ``\\[``, ``$$`` and LaTeX commands such as ``\\frac`` or
  ``_\\text``, counted one by one, and the index entries that hold a code
  block (the theme's preview of such an entry can be all code);
* LaTeX left in the text of the pages (formulas included), outside code;
* the served math font's size, and each page's weight without figures (HTML,
  CSS, JavaScript and math font, as sent: gzip compressed but the font);

and with ``--browser`` (headless Chromium from the system, as the tests use it),
on every page with math, at 390 px and at 1280 px: display formulas wider than
their column, and whether the page itself scrolls sideways; on
numerical-stability.html, the height of a display-mode sum against the text's
font size and the font that draws the math.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import html
import http.server
import json
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# LaTeX as a reader would see it raw: a math wrapper, or a command (\frac, \operatorname).
LATEX = re.compile(r"\\[()\[\]]|\$\$|\\[A-Za-z]{2,}|\\_|_\\text|\^\\")
# One formula in arithmatex's wrappers, as the search index held them.
FORMULA = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|\$\$.*?\$\$", re.S)
CODE_BLOCK = re.compile(r"<(pre|code|script|style)\b.*?</\1>", re.S | re.I)


def latex_fragments(text: str) -> list[str]:
    """Every piece of raw LaTeX in ``text``."""
    return LATEX.findall(text)


def search_index(site: Path) -> list[dict]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


@functools.cache
def page_html(page: Path) -> str:
    """A built page's HTML."""
    return page.read_text(encoding="utf-8")


def static_report(site: Path) -> dict:
    docs = search_index(site)
    index_latex = sum(len(latex_fragments(d["title"] + " " + d["text"])) for d in docs)
    formulas = sum(len(FORMULA.findall(d["title"] + " " + d["text"])) for d in docs)
    code_previews = sum("<pre" in d["text"] for d in docs)
    pages = {}
    for page in sorted(site.glob("*.html")):
        prose = CODE_BLOCK.sub("", page_html(page))
        prose = re.sub(r"<[^>]+>", " ", prose)
        found = latex_fragments(html.unescape(prose))
        if found:
            pages[page.name] = len(found)
    font = site / "assets" / "fonts" / "book-math.woff2"
    return {
        "search index entries": len(docs),
        "LaTeX formulas in the search index": formulas,
        "LaTeX fragments in the search index": index_latex,
        "search entries holding a code block": code_previews,
        "LaTeX fragments in the pages' text": sum(pages.values()),
        "pages with LaTeX in their text": pages,
        "math font (bytes)": font.stat().st_size if font.is_file() else None,
        "page weight without figures, gzip (KB)": page_weights(site),
    }


def page_weights(site: Path) -> dict[str, float]:
    """Bytes sent for each page with its stylesheets, scripts and math font, gzip
    compressed as GitHub Pages sends them (the woff2 font is compressed already)."""
    weights = {}
    for page in sorted(site.glob("*.html")):
        if page.name in {"404.html", "print_page.html"}:
            continue
        text = page.read_text(encoding="utf-8")
        total = len(gzip.compress(text.encode()))
        assets = re.findall(r'<(?:link|script)\b[^>]*(?:href|src)="([^"]+\.(?:css|js))"', text)
        assets += re.findall(r'<link\b[^>]*href="([^"]+\.woff2)"', text)
        for asset in set(assets):
            path = (page.parent / asset.split("?")[0]).resolve()
            if path.is_file():
                data = path.read_bytes()
                total += len(data if asset.endswith(".woff2") else gzip.compress(data))
        weights[page.name] = round(total / 1024, 1)
    return weights


BROWSER_CHECK = """() => {
    const column = document.querySelector("article");
    const wide = [...document.querySelectorAll("math[display=block]")].filter(m => {
        const box = m.parentElement.classList.contains("math-display") ? m.parentElement : m;
        return m.scrollWidth > box.clientWidth + 1 || m.getBoundingClientRect().right >
            column.getBoundingClientRect().right + 1;
    }).map(m => m.textContent.slice(0, 40));
    const page = document.scrollingElement.scrollWidth > window.innerWidth + 1;
    return {wide, pageScrolls: page};
}"""

SUM_HEIGHT = """() => {
    const sum = [...document.querySelectorAll(
        "math[display=block] munderover > mo, math[display=block] munder > mo"
    )].find(o => o.textContent === "\\u2211");
    if (!sum) return null;
    const size = parseFloat(getComputedStyle(sum.closest("p, div, li") || document.body).fontSize);
    return sum.getBoundingClientRect().height / size;
}"""


def browser_report(site: Path) -> dict:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    pages = [p.name for p in sorted(site.glob("*.html")) if "<math" in p.read_text("utf-8")]
    report: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        for width in (390, 1280):
            context = browser.new_context(viewport={"width": width, "height": 844})
            tab = context.new_page()
            wide, scrolls = {}, []
            for name in pages:
                tab.goto(f"{base}/{name}", wait_until="networkidle")
                tab.evaluate("document.fonts.ready.then(() => true)")
                found = tab.evaluate(BROWSER_CHECK)
                if found["wide"]:
                    wide[name] = found["wide"]
                if found["pageScrolls"]:
                    scrolls.append(name)
            report[f"display formulas wider than the column at {width} px"] = wide
            report[f"pages that scroll sideways at {width} px"] = scrolls
            context.close()
        tab = browser.new_page()
        tab.goto(f"{base}/numerical-stability.html", wait_until="networkidle")
        tab.evaluate("document.fonts.ready.then(() => true)")
        report["display sum height / text size"] = tab.evaluate(SUM_HEIGHT)
        session = tab.context.new_cdp_session(tab)
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument")["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": "math mi"})
        fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
        report["font drawing the math"] = [f["familyName"] for f in fonts["fonts"]]
        browser.close()
    httpd.shutdown()
    return report


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site
        if site is None:
            site = Path(scratch) / "site"
            command = [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(site)]
            subprocess.run(command, cwd=REPO, check=True)
        report = static_report(site)
        if args.browser:
            report |= browser_report(site)
    for key, value in report.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
