"""What a reader does on the built site, tried in Chromium: search, the light and
dark schemes, figures, setup lines, the print page, the 404 page, contrast,
and the site opened from a folder on disk.

Where Chromium is missing the tests skip, except under CI=true, where a missing
browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from chromium import CHROMIUM_FLAGS, QuietHandler, chromium_path, open_page, serve, watch_problems
from conftest import REPO


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


def test_a_figure_below_the_fold_loads_when_scrolled_to(page, server):
    from playwright.sync_api import expect

    page.goto(f"{server}/initialization.html", wait_until="networkidle")
    figure = page.locator("article img[src$='initialization-orthogonal.svg#only-light']")
    assert figure.get_attribute("loading") == "lazy"
    assert figure.evaluate("i => i.complete") is False  # not fetched while far below
    figure.scroll_into_view_if_needed()
    expect(figure).to_have_js_property("complete", True)
    assert figure.evaluate("i => i.naturalWidth") > 0


def test_a_figure_opens_its_file_full_size_from_the_keyboard(page, server):
    page.goto(f"{server}/tensors.html", wait_until="networkidle")
    link = page.locator("article a.figure-zoom").first
    link.scroll_into_view_if_needed()
    link.focus()
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    assert navigation.value.url.endswith("/figures/tensors-broadcasting.svg")
    assert navigation.value.header_value("content-type") == "image/svg+xml"


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
    # overrides/main.html picks the scheme before the first paint.
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
        tab.goto(f"{base}/{missing}", wait_until="networkidle")
        tab.locator("article a", has_text="home page").click()  # it lists every chapter
        tab.wait_for_load_state("load")
        assert tab.url == f"{base}/index.html"
    finally:
        context.close()


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
            # The colours a reader sees once the theme's transitions end, read at once.
            tab.add_style_tag(content="* { transition: none !important }")
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


def test_the_glossary_has_one_row_per_term_and_at_least_40(page, server):
    page.goto(f"{server}/glossary.html", wait_until="networkidle")
    terms = page.locator("article table tbody tr td:first-child").all_inner_texts()
    assert len(terms) >= 40
    keys = [t.lower().removesuffix("s") for t in terms]
    assert len(set(keys)) == len(keys), "a term with two rows (a plural, a capital)"


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
