"""Every page of the built site in Chromium, visited once at 1280 px and once at
390 px: each visit makes every check that reads a page, and the tests judge
what the visits found (tests/test_browser.py tries what a reader does).

Where Chromium is missing the tests skip, except under CI=true, where a missing
browser is a failure. Screenshots for a person to look at are
benchmarks/screenshots.py's work, not the tests'.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from book_build import blocks

from chromium import open_page, watch_problems
from conftest import REPO, expand

# Two tests choose their tour by name (request.getfixturevalue): naming the
# fixtures here puts every test of the module in the site and browser layers.
pytestmark = pytest.mark.usefixtures("browser", "built_site")


def nav_pages(site: Path) -> list[str]:
    return sorted(p.name for p in site.glob("*.html") if p.name != "404.html")


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


# Clicks every copy button of the page in turn, in one evaluation (a round trip
# per button would take most of the tour), and returns what each put on the
# clipboard. The clipboard is cleared first, so a button that copies nothing
# reads as "".
COPY_EVERY_BLOCK = """async () => {
    const copies = [];
    for (const block of document.querySelectorAll("article div.la-program")) {
        await navigator.clipboard.writeText("");
        block.querySelector("button.md-code__button[data-md-type='copy']").click();
        let text = "";
        for (let wait = 0; wait < 100 && text === ""; wait++) {
            await new Promise((done) => setTimeout(done, 5));
            text = await navigator.clipboard.readText();
        }
        copies.push(text);
    }
    return copies;
}"""


def copy_every_program(tab, programs: list) -> dict:
    """Copy each Python block and compare the clipboard with its program: the
    first block with a real pointer (hover, then click, as a reader does), all
    of them by a click event in the page."""
    first = tab.locator("article div.la-program").first
    first.evaluate(REVEAL_BLOCK)
    first.scroll_into_view_if_needed()
    first.hover()
    first.locator("button.md-code__button[data-md-type='copy']").click()
    pointer_copy = tab.evaluate("navigator.clipboard.readText()")
    copies = tab.evaluate(COPY_EVERY_BLOCK)
    wrong = [p.fence.start + 1 for p, text in zip(programs, copies, strict=False) if text != p.code]
    if programs and pointer_copy != programs[0].code:
        wrong.insert(0, f"{programs[0].fence.start + 1} (pointer click)")
    return {"shown": len(copies), "programs": len(programs), "wrong": wrong}


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
    and images, then its figures in both schemes."""
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


def figure_pages(site: Path) -> list[str]:
    return [
        n
        for n in nav_pages(site)
        if n != "print_page.html" and 'src="figures/' in (site / n).read_text(encoding="utf-8")
    ]


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
