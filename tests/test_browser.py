"""Every page of the built site in a real browser: headless Chromium driven by Playwright.

Chromium comes from the system (Debian's package; .ci/run installs it), never
from ``playwright install``. Where it is missing the tests skip, except under
CI=true, where a missing browser is a failure. Full-page screenshots land in
``test-artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import REPO

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
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


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing; .ci/run installs it with apt")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per request would drown the output
        pass


@pytest.fixture(scope="module")
def server(built_site):
    """The built site on 127.0.0.1, on a free port, for the duration of the module."""
    httpd, base = serve(QuietHandler, built_site.site)
    yield base
    httpd.shutdown()


def serve(handler_class, directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 on a free port; return the server and its address."""
    handler = functools.partial(handler_class, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


class PagesHandler(QuietHandler):
    """GitHub Pages in miniature: a missing address is answered with the site's
    404.html and status 404."""

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / site_path() / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def site_path() -> str:
    """The path of mkdocs.yml's site_url, where the site is published."""
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    match = re.search(r"^site_url:\s*(\S+)", config, re.M)
    assert match, "mkdocs.yml has no site_url"
    return urlparse(match.group(1)).path.strip("/")


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


def nav_pages(site: Path) -> list[str]:
    return sorted(p.name for p in site.glob("*.html") if p.name != "404.html")


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    tab = context.new_page()
    watch_problems(tab, server)
    yield tab
    context.close()


PROSE_TEXT = """() => {
    const root = document.querySelector("article") || document.body;
    const copy = root.cloneNode(true);
    copy.querySelectorAll("pre, code, math, script, style").forEach(e => e.remove());
    return copy.innerText;
}"""


def test_every_page_loads_cleanly_renders_math_and_images(page, server, built_site):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = nav_pages(built_site.site)
    assert "tensors.html" in pages and "lab-strides.html" in pages
    report = []
    for name in pages:
        page.problems.clear()
        page.goto(f"{server}/{name}", wait_until="networkidle")
        assert page.problems == [], f"{name}: {page.problems}"
        prose = page.evaluate(PROSE_TEXT)
        for delimiter in ("\\(", "\\[", "$$"):
            assert delimiter not in prose, f"{name}: raw math {delimiter!r} on the page"
        source = (built_site.site / name).read_text(encoding="utf-8")
        if "<math" in source:
            assert page.locator("math").count() > 0
            box = page.locator("math").first.bounding_box()
            assert box is None or box["height"] > 0  # laid out as math, not hidden
        # A reader sees each code block, figure (loading="lazy") and chapter of
        # the print page drawn as it comes into view. Show them all, as
        # scrolling to the end would, before looking at the images.
        page.add_style_tag(
            content="pre > code, section.print-page { content-visibility: visible !important; }"
        )
        page.evaluate("document.querySelectorAll('article img').forEach(i => i.loading = 'eager')")
        all_complete = "() => [...document.querySelectorAll('article img')].every(i => i.complete)"
        page.wait_for_function(all_complete, timeout=10_000)
        images = page.evaluate(
            """() => [...document.querySelectorAll("article img")].map(i => ({
                src: i.getAttribute("src"), alt: i.alt,
                loaded: i.complete && i.naturalWidth > 0}))"""
        )
        for image in images:
            assert image["loaded"], f"{name}: image {image['src']} did not load"
            assert image["alt"].strip(), f"{name}: image {image['src']} has no alt text"
        assert page.problems == [], f"{name}: {page.problems}"
        page.screenshot(path=str(SCREENSHOTS / f"{Path(name).stem}.png"), full_page=True)
        report.append(name)
    print(f"\nscreenshots of {len(report)} pages in {SCREENSHOTS}")


def test_code_blocks_have_a_working_copy_button(page, server, built_site):
    for name in nav_pages(built_site.site):
        if name == "print_page.html":
            continue  # the one-page version carries the same blocks without the buttons' script
        page.goto(f"{server}/{name}", wait_until="networkidle")
        blocks = page.locator("div.highlight pre")
        if blocks.count() == 0:
            continue
        first = page.locator("div.highlight").first
        first.hover()
        button = first.locator("button.md-code__button[data-md-type='copy']")
        assert button.count() == 1, f"{name}: no copy button"
        button.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        expected = first.locator("code").inner_text()
        assert copied.strip() == expected.strip(), f"{name}: the copy button copied something else"
        # Blocks get their button as they come into view (the theme's content.lazy).
        last = page.locator("article > div.highlight").last  # not one folded away
        last.scroll_into_view_if_needed()
        last.hover()
        from playwright.sync_api import expect

        expect(last.locator("button.md-code__button[data-md-type='copy']")).to_have_count(1)


OFF_SCREEN_CODE = """() => {
    const blocks = [...document.querySelectorAll("pre > code")];
    const reserved = blocks.map(c => c.getBoundingClientRect().height);
    const skipped = blocks.filter(c => !c.checkVisibility({contentVisibilityAuto: true})).length;
    blocks.forEach(c => c.style.contentVisibility = "visible");
    const drawn = blocks.map(c => c.getBoundingClientRect().height);
    return {skipped, errors: reserved.map((h, i) => Math.abs(h - drawn[i]))};
}"""


@pytest.mark.parametrize("width", [412, 1280])
def test_off_screen_code_is_skipped_but_keeps_its_height(browser, server, built_site, width):
    """extra.css lets the browser skip code blocks out of view, and reserves the
    height of their line count: the page must not jump when they are drawn."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    tab = context.new_page()
    skipped = 0
    for name in nav_pages(built_site.site):
        tab.goto(f"{server}/{name}", wait_until="networkidle")
        found = tab.evaluate(OFF_SCREEN_CODE)
        skipped += found["skipped"]
        errors = found["errors"]
        assert max(errors, default=0) <= 4, f"{name}: reserved heights off by {errors}"
    context.close()
    assert skipped > 50  # the long chapters have many blocks below the fold


def test_a_figure_below_the_fold_loads_when_scrolled_to(page, server):
    from playwright.sync_api import expect

    page.goto(f"{server}/autodiff.html", wait_until="networkidle")
    figure = page.locator("article img[src$='autodiff-jacobian-cost.svg']")
    assert figure.get_attribute("loading") == "lazy"
    assert figure.evaluate("i => i.complete") is False  # not fetched while far below
    figure.scroll_into_view_if_needed()
    expect(figure).to_have_js_property("complete", True)
    assert figure.evaluate("i => i.naturalWidth") > 0


def test_palette_toggle_switches_and_persists(page, server):
    page.goto(f"{server}/tensors.html", wait_until="networkidle")
    body = page.locator("body")
    before = body.get_attribute("data-md-color-scheme")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    after = body.get_attribute("data-md-color-scheme")
    assert {before, after} == {"default", "slate"}
    page.goto(f"{server}/einsum.html", wait_until="networkidle")
    assert body.get_attribute("data-md-color-scheme") == after  # remembered across pages
    page.reload(wait_until="networkidle")
    assert body.get_attribute("data-md-color-scheme") == after


def search(page, query: str) -> list[str]:
    """Type ``query`` into the search box and return the result links."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("input.md-search__input")
    box.click()  # on a wide window the search box sits in the header
    # The index loads in the background; a query typed before it is ready is
    # not rerun, so type again until results appear (up to about 20 s).
    for _ in range(10):
        box.fill("")
        page.keyboard.type(query, delay=20)
        try:
            page.wait_for_selector(".md-search-result__item", timeout=2000)
            break
        except PlaywrightTimeout:
            continue
    return page.locator(".md-search-result__item a").evaluate_all("els => els.map(e => e.href)")


def test_search_finds_the_chapters(page, server):
    index_requests = []
    page.on("request", lambda r: "search_index" in r.url and index_requests.append(r.url))
    page.goto(f"{server}/index.html", wait_until="networkidle")
    # partials/search-index-on-demand.html holds the index back until search is used.
    assert index_requests == [], "the search index loaded before anyone searched"
    assert any("einsum.html" in href for href in search(page, "einsum"))
    assert len(index_requests) == 1
    page.goto(f"{server}/index.html", wait_until="networkidle")
    assert any("tensors.html" in href for href in search(page, "broadcasting"))


@pytest.mark.parametrize("how", ["address", "shortcut"])
def test_search_without_a_click_loads_the_index_and_shows_results(page, server, how):
    if how == "address":
        page.goto(f"{server}/index.html?q=broadcasting", wait_until="networkidle")
    else:
        page.goto(f"{server}/index.html", wait_until="networkidle")
        page.keyboard.press("/")
        page.keyboard.type("broadcasting", delay=20)
    page.wait_for_selector(".md-search-result__item", timeout=20_000)
    links = page.locator(".md-search-result__item a").evaluate_all("els => els.map(e => e.href)")
    assert any("tensors.html" in href for href in links)


def test_search_terms_in_the_address_are_highlighted(page, server):
    page.goto(f"{server}/tensors.html?h=broadcasting", wait_until="networkidle")
    marks = page.locator("article mark[data-md-highlight]")
    marks.first.wait_for(timeout=20_000)
    assert marks.first.inner_text().lower() == "broadcasting"


def test_site_works_from_a_folder_on_disk_with_search(browser, built_site):
    context = browser.new_context()
    tab = context.new_page()
    tab.goto((built_site.site / "index.html").as_uri(), wait_until="load")
    tab.locator("article a[href='tensors.html']").first.click()
    tab.wait_for_load_state("load")
    assert tab.url.endswith("tensors.html")
    assert tab.locator("math").count() > 0
    assert any("tensors.html" in href for href in search(tab, "broadcasting"))
    context.close()


@pytest.mark.parametrize("missing", ["no-such-page.html", "a/b/no-such-page.html"])
def test_the_404_page_works_where_it_is_published(browser, built_site, tmp_path, missing):
    """Published under site_url's path, the 404 page answers for any missing
    address, however deep, so its links are absolute; they must all resolve."""
    prefix = site_path()
    root = tmp_path / "root"
    (root / prefix).parent.mkdir(parents=True, exist_ok=True)
    (root / prefix).symlink_to(built_site.site, target_is_directory=True)
    httpd, address = serve(PagesHandler, root)
    base = f"{address}/{prefix}"
    context = browser.new_context()
    tab = context.new_page()
    watch_problems(tab, base, missing=missing)
    try:
        response = tab.goto(f"{base}/{missing}", wait_until="networkidle")
        assert response.status == 404
        assert tab.problems == []
        assert "404" in tab.locator("article").inner_text()
        position = tab.evaluate("getComputedStyle(document.querySelector('header')).position")
        assert position == "sticky"  # the theme's stylesheet loaded
        tab.locator("header a.md-logo").click()
        tab.wait_for_load_state("load")
        assert tab.url.rstrip("/") in (base, f"{base}/index.html")
    finally:
        context.close()
        httpd.shutdown()
