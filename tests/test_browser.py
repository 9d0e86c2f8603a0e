"""Every page of the built site in a real browser: headless Chromium driven by Playwright.

Chromium comes from the system (Debian's package; .ci/run installs it), never
from ``playwright install``. Where it is missing the tests skip, except under
CI=true, where a missing browser is a failure. Full-page screenshots land in
``test-artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from mkdocs.config import load_config

from book_build import blocks

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


def open_page(tab, url: str) -> None:
    """Go to a page and wait until the network is idle."""
    tab.goto(url, wait_until="networkidle")


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


# Opens what hides a block (a closed <details>, another tab) and returns the
# text of the expected-output block right under it, if any.
REVEAL_BLOCK = """(block) => {
    for (let node = block; node; node = node.parentElement) {
        if (node.tagName === "DETAILS") node.open = true;
        if (node.classList && node.classList.contains("tabbed-block")) {
            const index = [...node.parentElement.children].indexOf(node);
            const set = node.closest(".tabbed-set");
            set.querySelectorAll(":scope > .tabbed-labels > label")[index].click();
        }
    }
    const next = block.nextElementSibling;
    const output = next && next.classList.contains("la-output");
    // textContent: an output block in a closed solution or another tab is not
    // drawn, and innerText of what is not drawn is empty.
    return output ? next.querySelector("code").textContent : null;
}"""


# The tours: each page is visited once per viewport, and every check that
# reads a page makes its measurement on that one visit; the tests below then
# judge what the tours found. A page load is most of a browser test's time.


class CheckFailed(str):
    """A check that raised during a tour: the test that reads it fails with this."""


def run_check(found: dict, key: str, check, *args, **kwargs) -> None:
    try:
        found[key] = check(*args, **kwargs)
    except Exception as error:  # reported by the test that reads `key`
        found[key] = CheckFailed(f"{type(error).__name__}: {error}")


def findings(tour: dict, key: str):
    """(page, what the check ``key`` found there) for each page it ran on."""
    for name, found in tour.items():
        if key in found:
            if isinstance(found[key], CheckFailed):
                pytest.fail(f"{name}: the {key} check raised {found[key]}")
            yield name, found[key]


def copy_every_program(tab, programs: list) -> dict:
    """Click each Python block's copy button and compare the clipboard with its program."""
    shown = tab.locator("article div.la-program")
    wrong = []
    for k, program in enumerate(programs[: shown.count()]):
        block = shown.nth(k)
        block.evaluate(REVEAL_BLOCK)
        block.scroll_into_view_if_needed()
        block.hover()
        block.locator("button.md-code__button[data-md-type='copy']").click()
        if tab.evaluate("navigator.clipboard.readText()") != program.code:
            wrong.append(program.fence.start + 1)
    return {"shown": shown.count(), "programs": len(programs), "wrong": wrong}


def draw_everything(tab) -> None:
    """Draw every block and image as scrolling to the end and opening every
    solution and tab would: images load lazily, and a tab's blocks are as wide
    as the first tab's, so showing them one under another measures each."""
    tab.add_style_tag(
        content=".tabbed-set > .tabbed-content > .tabbed-block { display: block !important }"
    )
    tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    tab.evaluate("document.querySelectorAll('article img').forEach(i => i.loading = 'eager')")
    all_complete = "() => [...document.querySelectorAll('article img')].every(i => i.complete)"
    tab.wait_for_function(all_complete, timeout=10_000)


def dark_figures(tab) -> list[dict]:
    """Each figure as drawn in the dark scheme: the file shown and how white it looks."""
    from PIL import Image

    from benchmarks.figures import show_scheme

    show_scheme(tab, "slate")
    rows = []
    links = tab.locator("article a.figure-zoom")
    for k in range(links.count()):
        shown = links.nth(k).locator("img:visible")
        shown.first.scroll_into_view_if_needed()
        tab.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=shown.element_handle())
        picture = Image.open(io.BytesIO(shown.screenshot())).convert("L")
        pixels = list(picture.tobytes())  # one byte per pixel in mode "L"
        rows.append(
            {
                "images": shown.count(),
                "src": shown.get_attribute("src"),
                "white": sum(p > 230 for p in pixels) / len(pixels),
                "mean": sum(pixels) / len(pixels),
            }
        )
    return rows


def figure_text(tab, site: Path) -> list[dict]:
    from benchmarks.figures import figure_text_px, show_scheme

    rows = []
    for scheme in ("default", "slate"):
        show_scheme(tab, scheme)
        rows += [{"scheme": scheme, **row} for row in figure_text_px(tab, site)]
    return rows


def page_programs() -> dict[str, list]:
    """The programs of each page's Python blocks, as tests/test_docs.py runs them."""
    config = load_config(str(REPO / "mkdocs.yml"))
    expand = blocks.snippet_expander(config["mdx_configs"]["pymdownx.snippets"])
    return {
        f"{source.stem}.html": blocks.page_programs(source.read_text(encoding="utf-8"), expand)
        for source in sorted((REPO / "docs").glob("*.md"))
    }


TEXT_FACTS = """() => {
    const article = document.querySelector("article") || document.body;
    const without = selector => {
        const copy = article.cloneNode(true);
        copy.querySelectorAll(selector).forEach(e => e.remove());
        return copy.innerText;
    };
    const stray = article.querySelector(":is(h1, h2, h3, h4, h5, h6, a, code, pre) abbr");
    return {
        prose: without("pre, code, math, script, style"),
        prose_outside_links: without("a, pre, code, math, script, style"),
        text: article.innerText,
        math: [...article.querySelectorAll("math")].some(m => m.getBoundingClientRect().height > 0),
        stray_tooltip: stray && stray.parentElement.outerHTML.slice(0, 120),
        tooltips: article.querySelectorAll("abbr[title]").length,
        abbr: article.querySelectorAll("abbr").length,
        citations: [...article.querySelectorAll("a[href*='references.html#']")]
            .map(a => a.getAttribute("href").split("#")[1]),
        reference_ids: [...article.querySelectorAll("li[id]")].map(li => li.id),
        tabs: [...article.querySelectorAll(".tabbed-labels")]
            .map(s => [...s.querySelectorAll("label")].map(l => l.innerText.trim())),
    };
}"""


def tour(browser, server: str, site: Path, width: int, height: int, visit) -> dict:
    """Open every page once at ``width`` and run ``visit(tab, name, found)`` on it."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    context.add_init_script(RECORD_SHIFTS)
    tab = context.new_page()
    watch_problems(tab, server)
    found_by_page = {}
    for name in nav_pages(site):
        tab.problems.clear()
        found = found_by_page[name] = {}
        run_check(found, "load", open_page, tab, f"{server}/{name}")
        tab.wait_for_timeout(300)  # a layout shift is reported after the frame that made it
        run_check(found, "shifts", tab.evaluate, "window.laShifts")
        visit(tab, name, found)
        found["problems"] = list(tab.problems)
        tab.evaluate("localStorage.clear()")  # no scheme or tab chosen here reaches the next
    context.close()
    return found_by_page


@pytest.fixture(scope="module")
def wide_tour(browser, server, built_site) -> dict:
    """Every page at 1280 px: what it shows, its copy buttons, block widths,
    images and a screenshot, then its figures in both schemes."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    programs = page_programs()
    site = built_site.site
    with_figures = figure_pages(site)

    def visit(tab, name: str, found: dict) -> None:
        run_check(found, "text", tab.evaluate, TEXT_FACTS)
        if programs.get(name):
            run_check(found, "copies", copy_every_program, tab, programs[name])
        run_check(found, "drawn", draw_everything, tab)
        if name != "print_page.html":
            run_check(found, "widths", tab.evaluate, BLOCK_WIDTHS)
        run_check(found, "images", tab.evaluate, IMAGES)
        shot = SCREENSHOTS / f"{Path(name).stem}.png"
        run_check(found, "screenshot", tab.screenshot, path=str(shot), full_page=True)
        if name in with_figures:
            run_check(found, "figure_text", figure_text, tab, site)
            run_check(found, "dark_figures", dark_figures, tab)

    return tour(browser, server, site, 1280, 900, visit)


@pytest.fixture(scope="module")
def phone_tour(browser, server, built_site) -> dict:
    """Every page at 390 px: layout shifts, off-screen code, math, figure text."""
    site = built_site.site
    with_figures = figure_pages(site)

    def visit(tab, name: str, found: dict) -> None:
        if name != "print_page.html" and "<math" in (site / name).read_text(encoding="utf-8"):
            tab.evaluate("document.fonts.ready.then(() => true)")
            run_check(found, "math_fits", tab.evaluate, DISPLAY_MATH_FITS)
        if name in with_figures:
            run_check(found, "figure_text", figure_text, tab, site)

    return tour(browser, server, site, 390, 844, visit)


IMAGES = """() => [...document.querySelectorAll("article img")].map(i => ({
    src: i.getAttribute("src"), alt: i.alt, loaded: i.complete && i.naturalWidth > 0}))"""


def test_every_page_loads_cleanly_renders_math_and_images(wide_tour, built_site):
    assert "tensors.html" in wide_tour and "lab-strides.html" in wide_tour
    for name, problems in findings(wide_tour, "problems"):
        assert problems == [], f"{name}: {problems}"
    list(findings(wide_tour, "load"))  # a page that did not load fails here
    for name, text in findings(wide_tour, "text"):
        for delimiter in ("\\(", "\\[", "$$"):
            assert delimiter not in text["prose"], f"{name}: raw math {delimiter!r} on the page"
        if "<math" in (built_site.site / name).read_text(encoding="utf-8"):
            assert text["math"], f"{name}: math not laid out"
    for name, images in findings(wide_tour, "images"):
        for image in images:
            assert image["loaded"], f"{name}: image {image['src']} did not load"
            assert image["alt"].strip(), f"{name}: image {image['src']} has no alt text"
    shots = [name for name, _ in findings(wide_tour, "screenshot")]
    print(f"\nscreenshots of {len(shots)} pages in {SCREENSHOTS}")


def test_every_python_block_copies_exactly_the_program_the_docs_test_runs(wide_tour):
    """The copy button of every Python block of every page puts on the clipboard,
    byte for byte, the program that tests/test_docs.py runs and checks."""
    copied = 0
    for name, copies in findings(wide_tour, "copies"):
        assert copies["shown"] == copies["programs"], f"{name}: blocks on the page"
        assert copies["wrong"] == [], f"{name}: the copies of the blocks at lines {copies['wrong']}"
        copied += copies["programs"]
    assert copied >= 80


def test_every_code_and_output_block_fits_its_box_at_1280_px(wide_tour):
    wide, measured = [], 0
    for name, widths in findings(wide_tour, "widths"):
        for block in widths:
            assert block["drawn"], f"{name}: a block not drawn: {block['line'][:60]}"
            measured += 1
            if block["overflow"] > 0:
                wide.append(f"{name}: {block['line'][:60]}... ({block['overflow']} px too wide)")
    assert measured > 300  # every block of every page, the other tabs' too
    assert not wide, "\n".join(wide)


@pytest.mark.parametrize("viewport", ["wide", "phone"])
def test_pages_do_not_shift_as_they_load(request, viewport):
    """Nothing on the first screen moves once drawn (Lighthouse's cumulative
    layout shift)."""
    checked, shifted = 0, []
    for name, shifts in findings(request.getfixturevalue(f"{viewport}_tour"), "shifts"):
        total = sum(shift["value"] for shift in shifts)
        if total > 0.01:
            shifted.append(f"{name}: {total:.3f} from {[s['moved'] for s in shifts]}")
        checked += 1
    assert checked >= 15 and not shifted, "\n".join(shifted)


@pytest.mark.parametrize("viewport", ["wide", "phone"])
def test_figure_text_is_at_least_9_px(request, viewport):
    """The smallest text of every figure, as drawn: the SVG's smallest font size
    times the scale of the image (benchmarks/figures.py prints the same)."""
    measured = [
        (name, row)
        for name, rows in findings(request.getfixturevalue(f"{viewport}_tour"), "figure_text")
        for row in rows
    ]
    assert len(measured) >= 2 * 12
    small = [(n, r["scheme"], r["figure"], round(r["px"], 2)) for n, r in measured if r["px"] < 9]
    assert small == []


def test_figures_follow_the_dark_theme(wide_tour):
    """In the dark scheme every figure shows its dark file, and no white box."""
    checked = 0
    for name, figures in findings(wide_tour, "dark_figures"):
        for k, figure in enumerate(figures, start=1):
            assert figure["images"] == 1, f"{name}: figure {k} shows {figure['images']} images"
            assert figure["src"].endswith("-dark.svg#only-dark"), f"{name}: figure {k}"
            white, mean = figure["white"], figure["mean"]
            assert white < 0.08 and mean < 100, f"{name}: figure {k}: {white:.0%} white"
            checked += 1
    assert checked >= 12


def test_math_fits_a_phone_and_keeps_its_punctuation(phone_tour):
    """At 390 px no formula widens the page: one wider than the column scrolls in
    its own box (extra.css shades the side where more of it lies), and inline
    math never leaves the punctuation after it alone at the start of a line."""
    checked = 0
    for name, found in findings(phone_tour, "math_fits"):
        assert found == {"page": True, "unmarked": [], "split": []}, f"{name}: {found}"
        checked += 1
    assert checked >= 6


def test_no_page_mentions_an_outline(wide_tour):
    for name, text in findings(wide_tour, "text"):
        assert not re.search(r"\boutline\b", text["text"], re.I), f"{name} mentions an outline"


def test_numpy_is_the_first_tab_on_the_site(wide_tour):
    for name, text in findings(wide_tour, "text"):
        for labels in text["tabs"]:
            if "NumPy" in labels and "PyTorch" in labels:
                assert labels.index("NumPy") < labels.index("PyTorch"), f"{name}: {labels}"


def test_setup_lines_hide_behind_a_button_that_the_keyboard_opens(page, server):
    page.goto(f"{server}/einsum.html", wait_until="networkidle")
    button = page.locator("article .la-setup-toggle").first
    button.scroll_into_view_if_needed()
    assert button.get_attribute("aria-expanded") == "false"
    # Until first shown, the lines wait in a <template>, outside the page's DOM.
    held = button.evaluate("b => b.nextElementSibling.content.textContent")
    assert button.evaluate("b => b.nextElementSibling.tagName") == "TEMPLATE"
    # Its accessible name says what it holds.
    assert re.fullmatch(r"\d+ setup lines? shown above", button.inner_text().strip())
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    setup = button.locator("xpath=following-sibling::*[1]")
    assert setup.evaluate("s => s.tagName + '.' + s.className") == "SPAN.la-setup"
    assert setup.is_visible() and setup.text_content() == held
    count = int(button.inner_text().split()[0])
    assert count == sum(1 for line in held.split("\n") if line.strip())
    page.keyboard.press("Space")
    assert not setup.is_visible()
    page.keyboard.press("Enter")
    assert setup.is_visible()


BLOCK_WIDTHS = """() => [...document.querySelectorAll("article pre > code")]
    .map(code => ({
        drawn: code.checkVisibility({contentVisibilityAuto: true}),
        overflow: code.scrollWidth - code.clientWidth,
        line: code.innerText.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), ""),
    }))"""


# Every layout shift as the page loads, with what moved. Shifts flagged as
# following input count too: Lighthouse counts them when no real input came,
# as in a page load, and Chromium flags those of a page's first half second.
RECORD_SHIFTS = """
window.laShifts = [];
new PerformanceObserver(list => {
    for (const shift of list.getEntries()) {
        const moved = shift.sources.map(s => s.node && s.node.nodeName + " " +
            (s.node.textContent || "").trim().slice(0, 40));
        window.laShifts.push({value: shift.value, moved});
    }
}).observe({type: "layout-shift", buffered: true});
"""


def test_a_figure_below_the_fold_loads_when_scrolled_to(page, server):
    from playwright.sync_api import expect

    page.goto(f"{server}/initialization.html", wait_until="networkidle")
    figure = page.locator("article img[src$='initialization-orthogonal.svg#only-light']")
    assert figure.get_attribute("loading") == "lazy"
    assert figure.evaluate("i => i.complete") is False  # not fetched while far below
    figure.scroll_into_view_if_needed()
    expect(figure).to_have_js_property("complete", True)
    assert figure.evaluate("i => i.naturalWidth") > 0


def figure_pages(site: Path) -> list[str]:
    return [
        n
        for n in nav_pages(site)
        if n != "print_page.html" and 'src="figures/' in (site / n).read_text(encoding="utf-8")
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_figure_opens_full_size_from_the_keyboard_and_closes(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 844})
    tab = context.new_page()
    watch_problems(tab, server)
    tab.goto(f"{server}/tensors.html", wait_until="networkidle")
    link = tab.locator("article a.figure-zoom").first
    link.scroll_into_view_if_needed()
    inline = link.locator("img:visible").bounding_box()["width"]
    link.focus()
    tab.keyboard.press("Enter")
    dialog = tab.locator("dialog.figure-dialog[open]")
    dialog.wait_for(timeout=5000)
    assert tab.url.endswith("tensors.html")  # no navigation away from the page
    big = dialog.locator("img")
    tab.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=big.element_handle())
    assert big.get_attribute("src").endswith("tensors-broadcasting.svg")
    assert big.bounding_box()["width"] > inline * 1.3  # larger than in the column
    tab.keyboard.press("Escape")
    assert tab.locator("dialog.figure-dialog[open]").count() == 0
    assert tab.evaluate("document.activeElement.classList.contains('figure-zoom')")
    assert tab.problems == []
    context.close()


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


def test_a_first_visit_follows_the_systems_dark_scheme(browser, server):
    # overrides/partials/palette.html picks the scheme before the first paint.
    context = browser.new_context(color_scheme="dark")
    tab = context.new_page()
    tab.goto(f"{server}/tensors.html", wait_until="networkidle")
    assert tab.locator("body").get_attribute("data-md-color-scheme") == "slate"
    toggle = tab.locator("label.md-header__button[for^='__palette']:visible")
    assert toggle.count() == 1 and toggle.get_attribute("title") == "Switch to light mode"
    context.close()


CHOSEN_TABS = """sets => sets.map(set => {
    const input = set.querySelector("input:checked");
    return set.querySelector(`label[for="${input.id}"]`).textContent.trim();
})"""


def test_the_page_works_before_the_theme_bundle_loads(page, server):
    """Tabs, contents, back to top and page keys, with the theme's bundle not loaded."""
    page.goto(f"{server}/tensors.html", wait_until="networkidle")
    html = page.locator("html")
    # Choosing PyTorch in one tab set chooses it in every set, and is remembered.
    sets = page.locator("article .tabbed-set")
    assert sets.count() >= 2
    sets.first.locator(".tabbed-labels > label", has_text="PyTorch").click()
    assert sets.evaluate_all(CHOSEN_TABS) == ["PyTorch"] * sets.count()
    page.reload(wait_until="networkidle")
    assert sets.evaluate_all(CHOSEN_TABS) == ["PyTorch"] * sets.count()
    sets.first.locator(".tabbed-labels > label", has_text="NumPy").click()
    # The contents mark the section being read.
    heading = page.locator("article h2[id]").last
    heading.evaluate("h => window.scrollTo(0, h.getBoundingClientRect().top + scrollY - 100)")
    active = page.locator(".md-sidebar--secondary a.md-nav__link--active")
    active.first.wait_for()
    assert active.count() == 1 and active.get_attribute("href").endswith(
        "#" + heading.get_attribute("id")
    )
    # Back to top shows while scrolling up, and goes there.
    top = page.locator("[data-md-component=top]")
    assert top.evaluate("button => button.hidden")  # the theme fades it: hidden, not display
    page.mouse.wheel(0, -200)
    page.wait_for_function("!document.querySelector('[data-md-component=top]').hidden")
    top.click()
    page.wait_for_function("scrollY === 0")
    # "n" turns the page.
    page.keyboard.press("n")
    page.wait_for_url("**/linear-maps.html")  # the next page in the nav
    assert "no-js" in html.get_attribute("class")  # the theme's bundle never loaded
    assert page.problems == []


def test_the_page_keeps_working_after_search_loads_the_theme_bundle(page, server):
    page.goto(f"{server}/tensors.html", wait_until="networkidle")
    assert any("einsum.html" in href for href in search(page, "einsum"))
    page.keyboard.press("Escape")
    # The bundle, loaded after the page, leaves the content to page.js and the
    # theme's CSS for pages without its script: tabs marked and linked, sidebars drawn.
    assert "no-js" in page.locator("html").get_attribute("class")
    sets = page.locator("article .tabbed-set")
    sets.first.locator(".tabbed-labels > label", has_text="PyTorch").click()
    assert sets.evaluate_all(CHOSEN_TABS) == ["PyTorch"] * sets.count()
    underline = sets.first.locator(".tabbed-labels > label", has_text="PyTorch").evaluate(
        "label => getComputedStyle(label).borderBottomColor"
    )
    assert underline not in ("rgba(0, 0, 0, 0)", "transparent")
    for sidebar in (".md-sidebar--primary", ".md-sidebar--secondary"):
        assert page.locator(sidebar).bounding_box()["height"] > 200, sidebar
    assert page.problems == []


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


THEME_BUNDLE = re.compile(r"/assets/javascripts/bundle\.[0-9a-f]+\.min\.js$")


def test_search_finds_the_chapters(page, server):
    bundle_requests, index_requests = [], []
    page.on("request", lambda r: THEME_BUNDLE.search(r.url) and bundle_requests.append(r.url))
    page.on("request", lambda r: "search_index" in r.url and index_requests.append(r.url))
    page.goto(f"{server}/index.html", wait_until="networkidle")
    # The theme's bundle, and with it the index, loads when search is first used
    # (assets/javascripts/page.js).
    assert bundle_requests == [], "the theme's bundle loaded before anyone searched"
    assert index_requests == [], "the search index loaded before anyone searched"
    assert any("einsum.html" in href for href in search(page, "einsum"))
    assert len(bundle_requests) == 1 and len(index_requests) == 1
    page.goto(f"{server}/index.html", wait_until="networkidle")
    assert any("tensors.html" in href for href in search(page, "broadcasting"))
    # The suggestion completes a word, never a word and its punctuation.
    search(page, "stable softma")
    suggestion = page.locator(".md-search__suggest")
    page.wait_for_function("document.querySelector('.md-search__suggest').textContent !== ''")
    assert suggestion.text_content().strip() == "stable softmax"


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


def test_the_print_page_holds_the_whole_book_and_its_contents_lead_to_a_chapter(
    page, server, built_site
):
    from playwright.sync_api import expect

    html = (built_site.site / "print_page.html").read_text(encoding="utf-8")
    open_page(page, f"{server}/print_page.html")
    assert page.problems == []
    chapters = re.findall(r'<section class="print-page"[^>]* id="([^"]+)"', html)
    assert len(chapters) >= 12
    for chapter in chapters:
        assert page.locator(f"section.print-page[id='{chapter}']").count() == 1, chapter
    for tag in ("math", "img", "table", "pre"):
        assert page.locator(f"#print-site-page {tag}").count() == html.count(f"<{tag}"), tag
    page.locator(".md-sidebar--secondary a[href='#low-rank']").click()
    active = page.locator(".md-sidebar--secondary a.md-nav__link--active")
    expect(active).to_have_attribute("href", "#low-rank")
    top = page.evaluate("document.getElementById('low-rank').getBoundingClientRect().top")
    assert 0 <= top <= 100, f"the chapter is {top} px from the top of the window"


def test_the_print_page_works_from_disk_and_goes_to_the_chapter_in_its_address(browser, built_site):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto((built_site.site / "print_page.html").as_uri() + "#diagnostics", wait_until="load")
    assert tab.locator("section.print-page[id='references']").count() == 1
    top = tab.evaluate("document.getElementById('diagnostics').getBoundingClientRect().top")
    assert 0 <= top <= 100, f"the chapter is {top} px from the top of the window"
    assert errors == []
    context.close()


# A fontconfig that hides every math font of the machine from the browser: the
# page must then bring its own.
NO_MATH_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <cachedir>{cache}</cachedir>
  <selectfont><rejectfont>
    <glob>*Math*</glob><glob>*math*</glob>{families}
  </rejectfont></selectfont>
</fontconfig>
"""
LOCAL_MATH_FONTS = ["Cambria Math", "STIX Two Math", "Latin Modern Math", "Libertinus Math"]


def platform_fonts(tab, selector: str) -> list[dict]:
    """The fonts (and glyph counts) that draw the text of the first ``selector``."""
    session = tab.context.new_cdp_session(tab)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"nothing matches {selector}"
    return session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


MATH_BOXES = """() => {
    const box = e => e.getBoundingClientRect();
    const text = parseFloat(getComputedStyle(document.querySelector("article p")).fontSize);
    const sum = [...document.querySelectorAll(".math-display munder > mo")]
        .find(o => o.textContent === "\\u2211");
    const hat = [...document.querySelectorAll("mover[accent=true]")]
        .find(m => m.lastElementChild.textContent === "\\u02c6");
    return {
        text,
        sum: sum && {height: box(sum).height, bottom: box(sum).bottom,
                     limitTop: box(sum.nextElementSibling).top},
        hat: hat && {accent: box(hat.lastElementChild), base: box(hat.firstElementChild)},
    };
}"""


def test_math_is_typeset_with_the_books_math_font(browser, server, tmp_path):
    """On a machine with no math font, the page brings its own (STIX Two Math,
    cut to the book's formulas), and with it a display sum grows and takes its
    limits below, and a hat is one small glyph over its letter."""
    families = "".join(
        f'<pattern><patelt name="family"><string>{f}</string></patelt></pattern>'
        for f in LOCAL_MATH_FONTS
    )
    config = tmp_path / "fonts.conf"
    config.write_text(NO_MATH_FONTS.format(cache=tmp_path / "cache", families=families))
    bare = browser.browser_type.launch(
        executable_path=chromium_path(),
        args=CHROMIUM_FLAGS,
        env={**os.environ, "FONTCONFIG_FILE": str(config)},
    )
    try:
        tab = bare.new_page(viewport={"width": 1280, "height": 900})
        watch_problems(tab, server)
        for name in ("numerical-stability.html", "normalization.html"):
            open_page(tab, f"{server}/{name}")
            tab.evaluate("document.fonts.ready.then(() => true)")
            faces = tab.evaluate(
                "[...document.fonts].filter(f => f.family.replaceAll('\"', '') === 'Book Math')"
                ".map(f => f.status)"
            )
            assert faces == ["loaded"], f"{name}: the book's math font did not load"
            fonts = platform_fonts(tab, "article math mi")
            assert [(f["familyName"], f["isCustomFont"]) for f in fonts] == [
                ("STIX Two Math", True)
            ]
            boxes = tab.evaluate(MATH_BOXES)
            if boxes["sum"]:
                # A display-size sum: taller than a line of text (a text-size one
                # is about 1.1 em), with its limit below it, not beside it.
                assert boxes["sum"]["height"] > 1.4 * boxes["text"], boxes
                assert boxes["sum"]["limitTop"] >= boxes["sum"]["bottom"] - 2, boxes
            if boxes["hat"]:
                accent, base = boxes["hat"]["accent"], boxes["hat"]["base"]
                assert accent["height"] < 0.5 * boxes["text"], boxes  # not a tall caret
                assert accent["bottom"] <= base["top"] + 0.3 * boxes["text"], boxes
                centre = accent["left"] + accent["width"] / 2
                assert base["left"] <= centre <= base["right"], boxes
                drawn = platform_fonts(tab, "mover[accent=true] > mo")
                assert sum(f["glyphCount"] for f in drawn) == 1  # one glyph, not an assembly
        assert tab.evaluate(MATH_BOXES)["hat"], "normalization.html has no hat to measure"
        assert tab.problems == []
    finally:
        bare.close()


DISPLAY_MATH_FITS = """() => {
    const page = document.scrollingElement.scrollWidth <= window.innerWidth;
    const unmarked = [...document.querySelectorAll("math[display=block]")].filter(m => {
        const box = m.closest(".math-display");
        const wide = m.getBoundingClientRect().width > (box || m).clientWidth + 1;
        return wide && !(box && getComputedStyle(box).overflowX === "auto");
    }).map(m => m.textContent.slice(0, 30));
    const split = [...document.querySelectorAll(".math-nowrap")]
        .filter(s => s.getClientRects().length > 1).map(s => s.textContent.slice(0, 30));
    return {page, unmarked, split};
}"""


@pytest.fixture(scope="module")
def published(built_site, tmp_path_factory):
    """The built site as GitHub Pages publishes it: under site_url's path, with
    its 404 page for any missing address. Yields the site's address."""
    prefix = site_path()
    root = tmp_path_factory.mktemp("published")
    (root / prefix).parent.mkdir(parents=True, exist_ok=True)
    (root / prefix).symlink_to(built_site.site, target_is_directory=True)
    httpd, address = serve(PagesHandler, root)
    yield f"{address}/{prefix}"
    httpd.shutdown()


@pytest.mark.parametrize("missing", ["no-such-page.html", "a/b/no-such-page.html"])
def test_the_404_page_works_where_it_is_published(browser, published, missing):
    """Published under site_url's path, the 404 page answers for any missing
    address, however deep, so its links are absolute; they must all resolve."""
    base = published
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


# "Vaswani et al. 2017", "Glorot and Bengio (2010)"; not a date ("November 2026").
MONTH = (
    "(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\b"
)
CITATION = re.compile(
    rf"\b(?!{MONTH})[A-Z][a-z]+(?: et al\.| and [A-Z][a-z]+)?,? \(?(?:19|20)\d\d\)?"
)


def chapter_pages(site: Path) -> list[str]:
    """The pages that get a notebook: the chapters (notebooks.py)."""
    return sorted(p.stem + ".html" for p in (site / "notebooks").glob("*.ipynb"))


def test_every_reference_has_an_id_and_a_doi_arxiv_or_publisher_link(page, server):
    page.goto(f"{server}/references.html", wait_until="networkidle")
    entries = page.locator("article h2:is(#books, #papers) + ul > li").evaluate_all(
        """items => items.map(li => ({id: li.id, text: li.innerText,
            links: [...li.querySelectorAll("a[href^='https://']")].map(a => a.href)}))"""
    )
    assert len(entries) >= 15
    for entry in entries:
        assert re.fullmatch(r"[a-z]+-(19|20)\d\d", entry["id"]), entry["text"][:60]
        assert entry["links"], f"no DOI, arXiv or publisher link: {entry['text'][:60]}"
    links = [link for entry in entries for link in entry["links"]]
    assert sum("doi.org/10." in link or "arxiv.org/abs/" in link for link in links) >= 14


def test_every_citation_links_to_its_reference(wide_tour, page, server):
    ids = set(wide_tour["references.html"]["text"]["reference_ids"])
    cited = set()
    for name, text in findings(wide_tour, "text"):
        if name in ("references.html", "print_page.html"):
            continue
        unlinked = CITATION.findall(text["prose_outside_links"])
        assert unlinked == [], f"{name}: citations without a link: {unlinked}"
        for reference in text["citations"]:
            assert reference in ids, f"{name}: #{reference} names no reference"
            cited.add(reference)
    assert len(cited) >= 9  # the chapters cite nine papers in their text
    page.goto(f"{server}/einsum.html", wait_until="networkidle")
    page.locator("article a[href$='references.html#vaswani-2017']").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("references.html#vaswani-2017")
    target = page.locator("li:target")
    assert target.count() == 1 and "Attention is all you need" in target.inner_text()


def test_the_home_page_offers_bibtex_to_cite_the_book(page, server):
    page.goto(f"{server}/index.html", wait_until="networkidle")
    assert page.locator("article h2#cite-this-book").count() == 1
    block = page.locator("article h2#cite-this-book ~ div.highlight").first
    assert block.locator("code .nc").first.text_content() == "@misc"  # BibTeX
    block.scroll_into_view_if_needed()
    block.hover()
    block.locator("button.md-code__button[data-md-type='copy']").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip().startswith("@misc{") and copied.strip().endswith("}")
    assert "title  = {Linear Algebra for Deep Learning}" in copied
    assert "https://linear-algebra-for-deep-learning.github.io/book/" in copied


def test_an_equation_the_text_refers_to_is_numbered(page, server):
    page.goto(f"{server}/normalization.html", wait_until="networkidle")
    equation = page.locator("article .equation#eq-batchnorm-backward")
    equation.scroll_into_view_if_needed()
    assert equation.locator(".equation__number").text_content() == "(1)"
    assert equation.locator("math").count() == 1
    math_box = equation.locator("math").bounding_box()
    number_box = equation.locator(".equation__number").bounding_box()
    assert number_box["x"] >= math_box["x"] + math_box["width"] - 1  # at the right
    reference = page.locator("article a[href$='#eq-batchnorm-backward']")
    assert reference.count() >= 1 and reference.first.inner_text() == "(1)"


def test_the_lab_page_has_the_notebook_bar(page, server):
    page.goto(f"{server}/lab-strides.html", wait_until="networkidle")
    bar = page.locator("article h1 + p")
    buttons = bar.locator("a.md-button")
    assert buttons.all_inner_texts() == ["Download as a notebook", "Open in Colab", "Notation"]
    download = buttons.nth(0)
    assert download.get_attribute("download") is not None
    response = page.request.get(download.evaluate("a => a.href"))
    assert response.ok and '"cells"' in response.text()  # the notebook itself
    colab = buttons.nth(1).get_attribute("href")
    assert colab == (
        "https://colab.research.google.com/github/linear-algebra-for-deep-learning/book"
        "/blob/main/docs/lab-strides.ipynb"
    )
    buttons.nth(2).click()
    page.wait_for_load_state("load")
    assert page.url.endswith("notation.html")


CONTRAST = """element => {
    const parse = c => {
        const [r, g, b, a = 1] = c.match(/[\\d.]+/g).map(Number);
        return [r, g, b, a];
    };
    // Composite the backgrounds from the element up to the first opaque one.
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
        const layer = parse(getComputedStyle(node).backgroundColor);
        if (layer[3] > 0) layers.push(layer);
        if (layer[3] >= 1) break;
    }
    let bg = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
        bg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
    }
    const [r, g, b, a] = parse(getComputedStyle(element).color);
    const fg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
    const luminance = ([r, g, b]) => {
        const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_buttons_have_a_contrast_of_at_least_4_5(browser, server, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    tab = context.new_page()
    checked = 0
    try:
        for name in ("tensors.html", "lab-strides.html", "index.html"):
            open_page(tab, f"{server}/{name}")
            expected = "slate" if scheme == "dark" else "default"
            assert tab.locator("body").get_attribute("data-md-color-scheme") == expected
            buttons = tab.locator("article :is(.md-button, .la-setup-toggle)").all()
            checked += len(buttons)
            for button in buttons:
                if not button.is_visible():  # in a tab not selected
                    continue
                for state in ("at rest", "hovered"):
                    if state == "at rest":
                        tab.mouse.move(0, 0)
                    else:
                        button.scroll_into_view_if_needed()
                        button.hover()
                    tab.wait_for_timeout(300)  # the theme's colour transitions
                    ratio = button.evaluate(CONTRAST)
                    what = f"{name} ({scheme}): {button.inner_text()!r} {state}"
                    assert ratio >= 4.5, f"{what} at {ratio:.2f}:1"
    finally:
        context.close()
    assert checked >= 5  # the chapter bar's three, and setup buttons


TOKEN_CONTRASTS = f"""() => {{
    const contrast = {CONTRAST};
    const lowest = {{}};
    const tokens = "article pre code span[class], article a:not(.headerlink), article a code,"
        + " article :not(pre) > code";
    for (const token of document.querySelectorAll(tokens)) {{
        if (!token.textContent.trim()) continue;
        const ratio = contrast(token);
        const key = token.closest("pre") ? token.className : token.parentElement.tagName
            + " > " + token.tagName;
        if (!(key in lowest) || ratio < lowest[key]) lowest[key] = ratio;
    }}
    return lowest;
}}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_and_link_colours_have_a_contrast_of_at_least_4_5(browser, server, scheme):
    # Lighthouse found the theme's dark-mode numbers and built-ins at 4.45:1, and
    # code inside links at 4.13:1.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    tab = context.new_page()
    try:
        lowest: dict[str, float] = {}
        pages = ("tensors.html", "autodiff.html", "einsum.html", "lab-strides.html")
        for name in (*pages, "references.html", "index.html"):
            open_page(tab, f"{server}/{name}")
            for token, ratio in tab.evaluate(TOKEN_CONTRASTS).items():
                lowest[token] = min(ratio, lowest.get(token, ratio))
        assert len(lowest) >= 10  # numbers, strings, keywords, built-ins, comments, ...
        low = {token: round(ratio, 2) for token, ratio in lowest.items() if ratio < 4.5}
        assert not low, f"{scheme}: colours under 4.5:1: {low}"
    finally:
        context.close()


def test_tooltips_only_in_running_text_and_in_every_chapter(wide_tour, page, server, built_site):
    chapters = chapter_pages(built_site.site)
    assert len(chapters) >= 7
    for name, text in findings(wide_tour, "text"):
        assert text["stray_tooltip"] is None, f"{name}: a tooltip in {text['stray_tooltip']}"
        if name in chapters:
            assert text["tooltips"] > 0, f"{name}: no tooltip"
        if name in ("references.html", "glossary.html"):  # names and titles; meanings beside
            assert text["abbr"] == 0, name
    page.goto(f"{server}/autodiff.html", wait_until="networkidle")
    term = page.locator("article p abbr", has_text="JVP").first
    term.scroll_into_view_if_needed()
    term.hover()  # assets/javascripts/page.js shows the definition under the term
    tip = page.locator(".la-tooltip[role=tooltip]")
    tip.filter(has_text="Jacobian-vector").wait_for()
    assert term.get_attribute("aria-describedby") == tip.get_attribute("id")
    assert term.get_attribute("title") is None  # or the browser's own tooltip shows too
    below = tip.bounding_box()["y"] - term.bounding_box()["y"] - term.bounding_box()["height"]
    assert 0 <= below < 20, "the tooltip is not under its term"
    page.keyboard.press("Escape")
    assert not tip.is_visible()


def test_the_glossary_has_one_row_per_term_and_at_least_40(page, server):
    page.goto(f"{server}/glossary.html", wait_until="networkidle")
    terms = page.locator("article table tbody tr td:first-child").all_inner_texts()
    assert len(terms) >= 40
    keys = [t.lower().removesuffix("s") for t in terms]
    assert len(set(keys)) == len(keys), "a term with two rows (a plural, a capital)"


def test_the_404_page_links_home_offers_search_and_lists_the_pages(browser, published):
    base = published
    context = browser.new_context()
    tab = context.new_page()
    try:
        response = tab.goto(f"{base}/some/deep/missing.html", wait_until="networkidle")
        assert response.status == 404
        links = tab.locator("article a[href]")
        hrefs = links.evaluate_all("links => links.map(a => a.href)")
        assert len(hrefs) >= 10  # home, and every page of the book
        for href in hrefs:
            assert tab.request.get(href).ok, href
        tab.locator("article a.md-button", has_text="home page").click()
        tab.wait_for_load_state("load")
        assert tab.url == f"{base}/index.html"
        tab.goto(f"{base}/some/deep/missing.html", wait_until="networkidle")
        tab.locator("article form[role=search] input[name=q]").fill("broadcasting")
        tab.locator("article form[role=search] button[type=submit]").click()
        tab.wait_for_selector(".md-search-result__item", timeout=20_000)
        results = tab.locator(".md-search-result__item a").evaluate_all(
            "els => els.map(e => e.href)"
        )
        assert any("tensors.html" in href for href in results)
    finally:
        context.close()


def tab_sets(markdown: str) -> list[list[str]]:
    """The labels of each content-tab set (``=== "Label"``) of a Markdown page, in order."""
    sets: list[list[str]] = []
    open_indent = None
    for line in markdown.splitlines():
        header = re.match(r'^( *)=== "([^"]+)"', line)
        indent = len(line) - len(line.lstrip(" "))
        if header:
            if open_indent != len(header[1]):
                sets.append([])
            sets[-1].append(header[2])
            open_indent = len(header[1])
        elif line.strip() and open_indent is not None and indent <= open_indent:
            open_indent = None  # text at the tabs' level ends the set
    return sets


def test_tab_sets_are_read_from_markdown():
    text = '=== "A"\n\n    a\n\n=== "B"\n\n    b\n\ntext\n\n=== "C"\n    c\n'
    assert tab_sets(text) == [["A", "B"], ["C"]]


def test_numpy_comes_before_pytorch_in_every_tab_set():
    checked = 0
    for page in sorted((REPO / "docs").rglob("*.md")):
        for labels in tab_sets(page.read_text(encoding="utf-8")):
            if "NumPy" in labels and "PyTorch" in labels:
                checked += 1
                assert labels.index("NumPy") < labels.index("PyTorch"), f"{page.name}: {labels}"
    assert checked >= 3


def theme_internals() -> list[tuple[str, str]]:
    """The theme internals that page.js lists as relied upon: (kind, what)."""
    source = (REPO / "docs" / "assets" / "javascripts" / "page.js").read_text(encoding="utf-8")
    return [tuple(m.split(" ", 1)) for m in re.findall(r"^//   theme: (.+)$", source, re.M)]


def test_every_theme_internal_that_page_js_relies_on_is_there(page, server):
    internals = theme_internals()
    assert len(internals) >= 10
    page.goto(f"{server}/tensors.html", wait_until="load")
    for kind, what in internals:
        if kind == "function":
            assert page.evaluate(f"typeof {what}") == "function", what
        elif kind == "element":
            assert page.locator(what).count() >= 1, what
        else:
            # The theme's bundle: page.js is handed it last, after the polyfills.
            held = json.loads(page.locator("script[data-theme]").get_attribute("data-theme"))
            assert re.search(r"assets/javascripts/bundle\.[0-9a-f]+\.min\.js$", held[-1]), held


def test_on_a_phone_a_jump_to_a_heading_keeps_it_clear_and_the_drawer_closes(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(f"{server}/low-rank.html", wait_until="load")
    headings = tab.eval_on_selector_all("article h2[id]", "hs => hs.map(h => h.id)")
    assert len(headings) >= 5
    # A fresh load of a late heading's address: the page settles around it, and the
    # back-to-top pill, which shows only when the reader scrolls up, stays away.
    tab.goto(f"{server}/low-rank.html#{headings[-2]}", wait_until="load")
    tab.wait_for_timeout(1500)
    assert tab.locator("[data-md-component=top]").get_attribute("hidden") is not None
    # The heading of the page has scrolled away: the header shows the page's title.
    active = "document.querySelector('[data-md-component=header-title]').classList"
    assert tab.evaluate(f"{active}.contains('md-header__title--active')")
    # The drawer: open, then a tap on one of its entries closes it.
    tab.evaluate("document.getElementById('__drawer').checked = true")
    tab.evaluate("document.querySelector(\".md-sidebar--primary a[href^='#']\").click()")
    assert tab.evaluate("document.getElementById('__drawer').checked") is False
    context.close()
