"""Render LaTeX math to MathML at build time, with a math font.

Browsers draw MathML natively, so no page needs a math script or a request to
another host. ``render_tree`` runs in the book's Markdown extension, on the
elements that ``pymdownx.arithmatex`` (``generic: true``) makes; notebook pages
(``book_build.notebooks``) call ``latex_to_mathml`` on their dollar-delimited math.

latex2mathml's output is corrected where it would typeset worse than TeX:

* function names (``\\log``, ``\\tanh``, ``\\operatorname{Var}``) are upright
  identifiers with TeX's thin space against what they apply to (none before a
  parenthesis), instead of running into their argument ("tanha") or taking an
  unknown operator's wide spaces ("n Var (w)");
* word operators with limits (``\\max_i``) take them below in display math;
* accents (``\\dot``, ``\\hat``, ``\\bar``, ...) are MathML accents: one glyph
  set close above the letter, never stretched;
* a sign (``\\approx -103``), a slash (``r / k``), a bar (``|\\det A|``,
  ``\\|x\\|``) and anything inside a script (``i=1``) get no operator space,
  as in TeX;
* ``\\infty`` and ``\\emptyset`` are symbols, not operators: no operator
  space around them ("-∞ where not", not "-∞  where not");
* escapes inside ``\\text{}`` (``fan\\_in``) lose their backslash;
* inline math, a bracket right before it and the punctuation right after it
  are kept on one line, and display math sits in a box that scrolls sideways
  on a narrow screen (extra.css draws the cue).

The browser needs an OpenType math font (one with a MATH table) to lay the
MathML out: extra.css asks for the reader's own (Cambria Math, STIX Two Math,
...) and falls back to the font the build serves, STIX Two Math (SIL OFL 1.1,
``fonts/``), cut at build time to the characters the book's math uses, with
the size variants and pieces its large operators and delimiters need. Only
pages with math preload it (``overrides/main.html``).

``search_view`` gives the search index the formulas as text.
"""

from __future__ import annotations

import copy
import functools
import html
import io
import re
import shutil
from pathlib import Path
from xml.etree.ElementTree import Element, tostring

from bs4 import BeautifulSoup, Tag
from latex2mathml import commands
from latex2mathml.converter import Converter


class MathError(Exception):
    """A formula that cannot be rendered: the message quotes it."""


REPO = Path(__file__).resolve().parents[1]
FONT_SOURCE = REPO / "fonts" / "STIXTwoMath-Regular.woff2"
FONT_LICENCE = REPO / "fonts" / "OFL.txt"
# Where the served font goes in the site; extra.css's @font-face and the preload
# in overrides/main.html point here.
FONT_SITE_PATH = "assets/fonts/book-math.woff2"

# A token element whose text is a LaTeX command, an escape or an alignment ampersand.
_LEFTOVER = re.compile(
    r"<(mi|mo|mtext)\b[^>]*>(?P<text>[^<]*\\[A-Za-z_%&#${}][^<]*|&amp;|&)</(?:mi|mo|mtext)>"
)
# Escapes that \text{} keeps as they are written (latex2mathml does not undo them).
_TEXT_ESCAPE = re.compile(r"\\([_%&#${}])")

_FUNCTIONS = {name[1:] for name in commands.FUNCTIONS} | {
    "arg", "det", "dim", "gcd", "inf", "lim", "max", "min", "Pr", "sup",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z\s]*")  # \s: \operatorname writes thin spaces too
# Accents drawn above a letter at its own size: dot, double dot, circumflex,
# tilde, macron, caron, breve, acute, grave, arrow.
_ACCENTS = set("\u02d9\u00a8^~\u00af\u02c7\u02d8\u00b4`\u2192")
# The ASCII ^ and ~ are tall signs of their own: the accents are the modifier
# letters (MathML Core's non-combining equivalents).
_ACCENT_FORMS = {"^": "\u02c6", "~": "\u02dc"}
# Elements whose children form a row (MathML's inferred mrow).
_ROWS = {"math", "mrow", "mstyle", "mpadded", "mphantom", "msqrt", "menclose", "mtd"}
_SCRIPTS = {"msub", "msup", "msubsup", "munder", "mover", "munderover"}
_OPENING = set("([{\u27e8|")
_CLOSING = set(")]}|\u2016\u27e9")
THIN_SPACE = "0.1667em"
_BARS = {"|", "\u2016"}
# Ordinary symbols that latex2mathml writes as operators: no browser knows
# them as operators, so each would get an unknown operator's wide spaces.
_SYMBOLS = {"\u221e", "\u2205"}  # infinity, the empty set


def _is_function(element: Element) -> bool:
    """A function name: ``\\log`` (an mi) or ``\\operatorname{Var}``, ``\\max`` (an mo)."""
    text = element.text or ""
    if element.tag == "mi":
        return text in _FUNCTIONS
    return element.tag == "mo" and len(text) > 1 and bool(_WORD.fullmatch(text))


def _function_atom(element: Element) -> bool:
    """A function name, alone or carrying scripts (``\\tanh^2``, ``\\max_i``)."""
    if element.tag in _SCRIPTS and len(element):
        return _function_atom(element[0])
    if element.tag == "mrow" and len(element) == 1:
        return _function_atom(element[0])
    return _is_function(element)


def _opens(element: Element) -> bool:
    """Whether ``element`` starts with an opening parenthesis, bracket or bar."""
    if element.tag == "mo":
        return (element.text or "") in _OPENING
    if element.tag in {"mrow", "mstyle"} and len(element):
        return _opens(element[0])
    return False


def _space() -> Element:
    return Element("mspace", width=THIN_SPACE)


def _fix_row(row: Element) -> None:
    """Space function names in one row as TeX does: a thin space on each side,
    none before an opening parenthesis or next to an operator or a space."""
    children = list(row)
    for i, child in enumerate(children):
        bar = child[0] if child.tag in _SCRIPTS and len(child) else child  # ||x||_2 too
        if bar.tag == "mo" and bar.text in _BARS and bar.get("fence") != "true":
            bar.attrib |= {"lspace": "0", "rspace": "0"}  # |x| and ||x||: ordinary in TeX
        if child.tag != "mo" or child.get("lspace") or child.get("fence"):
            continue
        text = child.text or ""
        after_operator = i == 0 or (
            children[i - 1].tag == "mo" and children[i - 1].text not in _CLOSING
        )
        if text in {"\u2212", "+", "-"} and after_operator:
            # A sign, not an operation: -x, and \approx -103 with no gap after the sign.
            child.attrib |= {"lspace": "0", "rspace": "0"}
        elif text == "/":
            child.attrib |= {"lspace": "0", "rspace": "0"}  # r/k: a slash is no operator in TeX
        elif i == 0 and len(children) > 1 and text not in _OPENING:
            child.set("lspace", "0")  # "every exponent \le 0": nothing on the left to space from
    spaced: list[Element] = []
    for i, child in enumerate(children):
        if _function_atom(child):
            before = spaced[-1] if spaced else None
            if before is not None and before.tag not in {"mo", "mspace"}:
                spaced.append(_space())
            spaced.append(child)
            after = children[i + 1] if i + 1 < len(children) else None
            if after is not None and after.tag not in {"mo", "mspace"} and not _opens(after):
                spaced.append(_space())
        else:
            spaced.append(child)
    if len(spaced) != len(children):
        row[:] = spaced


def _fix(element: Element) -> None:
    """Correct latex2mathml's tree in place (see the module's docstring)."""
    tag = element.tag
    if tag == "mo" and element.text in _SYMBOLS:
        element.tag = "mi"
    if tag in _SCRIPTS and len(element) and element[0].tag == "mo" and _is_function(element[0]):
        # \max_i, \operatorname*{argmax}_i: limits below in display math, as
        # scripts inline; no operator spacing of its own (_fix_row spaces it).
        element.tag = {"msub": "munder", "msup": "mover", "msubsup": "munderover"}.get(tag, tag)
        element[0].attrib = {"movablelimits": "true", "lspace": "0", "rspace": "0"}
    if tag in _SCRIPTS:
        # TeX sets no space around = or - in a script: i=1, not i = 1.
        for script in element[1:]:
            if script.tag == "mo":
                continue  # an accent, or a prime
            for operator in script.iter("mo"):
                if "lspace" not in operator.attrib:
                    operator.attrib |= {"lspace": "0", "rspace": "0"}
    for child in element:
        _fix(child)
    if tag == "mtext" and element.text:
        element.text = _TEXT_ESCAPE.sub(r"\1", element.text)
    if tag == "mover" and len(element) == 2 and element[1].tag == "mo":
        accent = element[1]
        wide = element.get("accent") != "true" and accent.get("stretchy") != "false"
        wide = wide and accent.text in {"^", "~"}
        if (accent.text or "") in _ACCENTS and not wide:  # \widehat stretches
            element.set("accent", "true")
            accent.set("stretchy", "false")
            accent.text = _ACCENT_FORMS.get(accent.text, accent.text)
    if tag in _ROWS:
        _fix_row(element)


def _name_functions(element: Element) -> None:
    """``\\operatorname{Var}`` and ``\\det`` as ``<mi>``, an upright name (a word in
    an mi is never italic) with no operator spacing: _fix_row has spaced it. A
    word operator that carries limits (``\\max_i``) stays an operator."""
    for index, child in enumerate(element):
        _name_functions(child)
        carries_limits = element.tag in _SCRIPTS and index == 0
        if child.tag == "mo" and _is_function(child) and not carries_limits:
            child.tag, child.attrib = "mi", {}


@functools.cache
def _render(source: str, display: bool) -> Element:
    """The MathML tree of one formula (copy it before changing it)."""
    converter = Converter(display="block" if display else "inline")
    try:
        tree = converter.convert_to_element(source)
    except Exception as error:  # latex2mathml raises many exception types
        raise MathError(f"cannot render math {source!r}: {error}") from error
    for element in tree.iter():  # latex2mathml writes symbols as entities: plain text here
        element.text = html.unescape(element.text) if element.text else element.text
    _fix(tree)
    _name_functions(tree)
    # latex2mathml passes a command it does not know through as text, and an
    # alignment "&" as a symbol; either would show raw LaTeX to the reader.
    leftover = _LEFTOVER.search(tostring(tree, encoding="unicode"))
    if leftover:
        raise MathError(f"unsupported LaTeX {leftover['text']!r} in {source!r}")
    return tree


def latex_to_mathml(latex: str, display: bool) -> str:
    """The MathML of one LaTeX formula, as markup."""
    return tostring(_render(latex.strip(), display), encoding="unicode")


def latex_to_text(latex: str, display: bool) -> str:
    """One LaTeX formula as HTML text (with sub and sup), for the search index."""
    return re.sub(r"\s+", " ", search_text(_render(latex.strip(), display))).strip()


# --- the formula as text --------------------------------------------------------

# Operators written with a space on each side, as in running text.
_SPACED = set("=<>+\u00d7\u2248\u2260\u2264\u2265\u2261\u2192\u2190\u21a6\u2208\u2209")
_SPACED |= set("\u2282\u2286\u221d\u223c\u2299\u2297\u2218\u2212\u21d2\u21d4")
# Accents (dot, diaeresis, circumflex, tilde, macron, caron, breve, acute,
# grave, arrow) as the combining characters that follow their letter: x\u0302.
_COMBINING = dict(
    zip(
        "\u02d9\u00a8\u02c6\u02dc\u00af\u02c7\u02d8\u00b4\u0060\u2192",
        "\u0307\u0308\u0302\u0303\u0304\u030c\u0306\u0301\u0300\u20d7",
        strict=True,
    )
)


def _token(element: Element) -> str:
    return element.text or ""


def _grouped(text: str) -> str:
    """``text`` in parentheses where it is more than one term (for a/b, √x)."""
    plain = re.sub(r"<[^>]+>", "", text).strip()
    return text if re.fullmatch(r"[\w.∂]+", plain) else f"({text})"


def search_text(element: Element) -> str:
    """A formula as one line of HTML text: ``e<sup>x<sub>i</sub></sup> / ∑<sub>j</sub> ...``."""
    tag = element.tag
    parts = [search_text(child) for child in element]
    for i, child in enumerate(element):
        # A sign, not an operation (first, or after an operator): -m, not - m.
        before = element[i - 1] if i else None
        after_operator = before is None or (before.tag == "mo" and _token(before) not in _CLOSING)
        if child.tag == "mo" and _token(child) in {"+", "\u2212"} and after_operator:
            parts[i] = parts[i].strip()
    if tag in {"mi", "mn", "mtext", "ms"}:
        return html.escape(_token(element), quote=False)
    if tag == "mo":
        text = html.escape(_token(element), quote=False)
        plain = _token(element)
        if plain in _SPACED:
            return f" {text} "
        return f"{text} " if plain in {",", ";"} else text
    if tag == "mspace":
        return " " if element.get("linebreak") is None else "; "
    if tag == "mphantom":
        return ""
    if tag in {"msub", "munder"} and len(parts) == 2:
        return f"{parts[0]}<sub>{parts[1].strip()}</sub>"
    if tag in {"msup", "mover"} and len(parts) == 2:
        if element.get("accent") == "true" and _token(element[1]) in _COMBINING:
            return f"{parts[0]}{_COMBINING[_token(element[1])]}"
        return f"{parts[0]}<sup>{parts[1].strip()}</sup>"
    if tag in {"msubsup", "munderover"} and len(parts) == 3:
        return f"{parts[0]}<sub>{parts[1].strip()}</sub><sup>{parts[2].strip()}</sup>"
    if tag == "mfrac" and len(parts) == 2:
        return f"{_grouped(parts[0].strip())}/{_grouped(parts[1].strip())}"
    if tag == "msqrt":
        return f"√{_grouped(''.join(parts).strip())}"
    if tag == "mroot" and len(parts) == 2:
        return f"<sup>{parts[1]}</sup>√{_grouped(parts[0].strip())}"
    if tag == "mtr":
        return " ".join(p.strip() for p in parts)
    if tag == "mtable":
        return "; ".join(p.strip() for p in parts)
    return "".join(parts)


# --- pages -----------------------------------------------------------------------

# What stays on an inline formula's line after it: punctuation, a possessive, a
# suffix (notebooks.py keeps the same on a notebook page).
TRAILING = re.compile(r"(?:[.,;:!?)\]]|\u2019s|'s|-[a-z]+)+")


def render_tree(root: Element) -> None:
    """Replace arithmatex's generic elements in a Python-Markdown tree with MathML.

    A display formula sits in a ``div.math-display`` (with the wrapper's other
    classes), a box that scrolls sideways where it is wider than the column. An
    inline formula keeps the bracket before it and the punctuation after it on
    its line, in a ``span.math-nowrap``."""
    for parent in list(root.iter()):
        for child in list(parent):
            classes = child.get("class", "").split()
            if child.tag not in ("span", "div") or "arithmatex" not in classes:
                continue
            source = child.text or ""
            display = child.tag == "div"
            math = copy.deepcopy(_render(source.strip()[2:-2].strip(), display))
            if display:
                kept = [name for name in classes if name != "arithmatex"]
                child.set("class", " ".join(["math-display", *kept]))
                child.text = None
                child.append(math)
                continue
            index = list(parent).index(child)
            before = parent[index - 1] if index else None
            text_before = (before.tail if before is not None else parent.text) or ""
            trailing = TRAILING.match(child.tail or "")
            opening = text_before[-1:] if text_before[-1:] in ("(", "[") else ""
            if not (opening or trailing):
                math.tail = child.tail
                parent.insert(index, math)
                parent.remove(child)
                continue
            if opening:
                if before is not None:
                    before.tail = text_before[:-1]
                else:
                    parent.text = text_before[:-1]
            child.attrib = {"class": "math-nowrap"}
            child.text = opening or None
            child.append(math)
            if trailing:
                math.tail = trailing[0]
                child.tail = child.tail[trailing.end() :]


# mkdocs serve rebuilds every page on each edit: a page that did not change is not parsed again.
@functools.lru_cache(maxsize=64)
def search_view(page_html: str) -> str:
    """The page as the search index should read it: formulas as text, no code blocks.

    The theme's search skips an element marked ``data-search-exclude`` (a code
    block, its output, a console session), so that its previews show the prose
    around a match instead of a whole block of code. Code in a sentence stays."""
    soup = BeautifulSoup(page_html, "html.parser")
    for math in soup.find_all("math"):
        text = re.sub(r"\s+", " ", search_text(_as_element(math))).strip()
        if math.get("display") == "block":  # a paragraph of its own in the preview
            text = f"<p>{text}</p>"
        math.replace_with(BeautifulSoup(text, "html.parser"))  # the text holds sub and sup
    for pre in soup.find_all("pre"):
        pre["data-search-exclude"] = "code"
    return str(soup)


def _as_element(tag: Tag) -> Element:
    """A parsed ``<math>`` as the element tree that ``search_text`` reads."""
    element = Element(tag.name)
    element.attrib = {key: value for key, value in tag.attrs.items() if isinstance(value, str)}
    for child in tag.children:
        if isinstance(child, Tag):
            element.append(_as_element(child))
        elif not len(element):
            element.text = (element.text or "") + child
    return element


# --- the font ----------------------------------------------------------------------

_MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.DOTALL)


def math_characters(pages: list[str]) -> set[str]:
    """Every character the math of ``pages`` (HTML) can draw.

    The browser draws a one-letter identifier in its mathematical italic form
    (x as U+1D465), so each Latin and Greek letter brings that form along."""
    found: set[str] = set()
    for page_html in pages:
        for math in _MATH_ELEMENT.findall(page_html):
            found |= set(html.unescape(re.sub(r"<[^>]+>", "", math)))
    italic = {_math_italic(c) for c in found}
    # A square root draws U+221A, which is not in the text.
    return (found | italic | {" ", "\u221a"}) - {None, "\n", "\t"}


def _math_italic(char: str) -> str | None:
    if "a" <= char <= "z":
        return "\u210e" if char == "h" else chr(0x1D44E + ord(char) - ord("a"))
    if "A" <= char <= "Z":
        return chr(0x1D434 + ord(char) - ord("A"))
    if char in "\u0131\u0237":  # dotless i and j
        return chr(0x1D6A4 + "\u0131\u0237".index(char))
    italic_greek = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡϴΣΤΥΦΧΨΩ∇αβγδεζηθικλμνξοπρςστυφχψω∂ϵϑϰϕϱϖ"
    if char in italic_greek:
        return chr(0x1D6E2 + italic_greek.index(char))
    return None


def subset_font(characters: set[str], target: Path) -> None:
    """Write the math font cut to ``characters`` as woff2, keeping its MATH table
    and the glyphs it points to (larger sizes of each operator and delimiter,
    the pieces that build the tallest ones, script-size forms)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_font_subset(frozenset(characters)))


# Cutting the font takes seconds (woff2 decompresses every glyph): mkdocs serve
# keeps this module between rebuilds, and an edit seldom brings a new character.
@functools.lru_cache(maxsize=4)
def _font_subset(characters: frozenset[str]) -> bytes:
    from fontTools import subset  # the build's dependencies; the tests import this hook

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.drop_tables = [t for t in options.drop_tables if t != "MATH"]
    options.name_IDs = ["*"]  # copyright and licence lines, as the OFL asks
    options.notdef_outline = True
    options.hinting = False  # browsers ignore TrueType hinting of a web font on most systems
    font = subset.load_font(str(FONT_SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in characters))
    subsetter.subset(font)
    woff2 = io.BytesIO()
    subset.save_font(font, woff2, options)
    return woff2.getvalue()


def write_font(site: Path) -> None:
    """Cut the math font to what the built site's math uses, with its licence beside it."""
    pages = [p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html"))]
    target = site / FONT_SITE_PATH
    subset_font(math_characters(pages), target)
    shutil.copyfile(FONT_LICENCE, target.parent / "OFL.txt")
