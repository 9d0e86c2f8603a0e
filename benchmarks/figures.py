"""Benchmark: the smallest figure text a reader sees, in CSS px, on every page.

Run from the repository root on a built site:

    .venv/bin/mkdocs build -q -d /tmp/site
    .venv/bin/python benchmarks/figures.py /tmp/site

Opens every page of the site in headless Chromium (the system's, as the browser
tests do) at 1280 px and at 390 px wide, and for every figure image shown
computes the size of its smallest text: the smallest font size in the SVG file
times the scale the image is drawn at (its rendered width over the width of its
viewBox). tests/test_browser.py asserts the same numbers are at least 9 px.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import shutil
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIDTHS = (1280, 390)
SCHEMES = ("default", "slate")


def _hook():
    from book_build import figures

    return figures


# Every figure image in the article that is drawn (not hidden by the theme),
# with its rendered width; all of them are first made to load, as scrolling
# would, and those in collapsed blocks (solutions) shown, as a click would.
SHOWN_FIGURES = r"""async () => {
    document.querySelectorAll("article details").forEach(d => d.open = true);
    const images = [...document.querySelectorAll("article img")]
        .filter(i => /figures\/[^#]*\.svg(#|$)/.test(i.getAttribute("src") || ""));
    images.forEach(i => i.loading = "eager");
    await Promise.all(images.filter(i => i.offsetWidth > 0 && !i.complete)
        .map(i => new Promise(done => { i.onload = i.onerror = done; })));
    return images.filter(i => i.offsetWidth > 0).map(i => ({
        src: new URL(i.getAttribute("src"), location.href).pathname,
        width: i.getBoundingClientRect().width,
    }));
}"""


def show_scheme(tab, scheme: str) -> None:
    """Switch the page to the theme's ``default`` (light) or ``slate`` (dark) scheme,
    with the header's toggle, as a reader does."""
    current = "document.body.getAttribute('data-md-color-scheme')"
    tab.wait_for_function(f"{current} !== null")
    if tab.evaluate(current) != scheme:
        tab.locator("label.md-header__button[for^='__palette']:visible").first.click()
    tab.wait_for_function(f"{current} === '{scheme}'")


def figure_text_px(tab, site: Path) -> list[dict]:
    """The smallest text of each figure shown on the open page, in CSS px."""
    hook = _hook()
    rows = []
    for image in tab.evaluate(SHOWN_FIGURES):
        svg = (site / image["src"].lstrip("/")).read_text(encoding="utf-8")
        rows.append(
            {
                "figure": Path(image["src"]).name,
                "width": round(image["width"], 1),
                "px": hook.smallest_text_px(svg, image["width"]),
            }
        )
    return rows


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def measure(site: Path, widths=WIDTHS, schemes=SCHEMES) -> list[dict]:
    """One row per page, width, scheme and figure shown."""
    pages = sorted(p.name for p in site.glob("*.html") if "figures/" in p.read_text("utf-8"))
    rows = []
    with chromium_on(site) as (browser, base):
        for width in widths:
            context = browser.new_context(viewport={"width": width, "height": 900})
            tab = context.new_page()
            for name in pages:
                tab.goto(f"{base}/{name}", wait_until="networkidle")
                for scheme in schemes:
                    show_scheme(tab, scheme)
                    for row in figure_text_px(tab, site):
                        rows.append({"page": name, "viewport": width, "scheme": scheme, **row})
            context.close()
    return rows


@contextlib.contextmanager
def chromium_on(site: Path):
    """The system's headless Chromium and the address of ``site`` served on 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    candidates = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
    chromium = next(p for p in candidates if shutil.which(p))
    httpd, base = serve(site)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            yield browser, base
            browser.close()
    finally:
        httpd.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built site (mkdocs build -d SITE)")
    parser.add_argument("--all", action="store_true", help="print every figure, not only totals")
    args = parser.parse_args()
    rows = measure(args.site)
    for width in WIDTHS:
        shown = [r for r in rows if r["viewport"] == width]
        if not shown:
            print(f"{width} px: no figure shown")
            continue
        small = min(shown, key=lambda r: r["px"])
        print(
            f"{width} px: smallest figure text {small['px']:.1f} CSS px "
            f"({small['figure']} on {small['page']}, drawn {small['width']:.0f} px wide); "
            f"{len({(r['page'], r['figure']) for r in shown})} figure images"
        )
    if args.all:
        for r in sorted(rows, key=lambda r: (r["viewport"], r["px"])):
            if r["page"] == "print_page.html":
                continue
            print(f"{r['viewport']:>5} {r['scheme']:<8} {r['px']:5.1f} px  {r['figure']}")


if __name__ == "__main__":
    main()
