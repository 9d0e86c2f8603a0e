"""MkDocs hook: render LaTeX math to MathML at build time.

Browsers draw MathML natively, so no page needs a math script, a web font or a
request to another host. Pages reach this hook with the math that
``pymdownx.arithmatex`` (``generic: true``) wrapped as ``\\(...\\)`` and
``\\[...\\]``; notebook_html.py gives notebook pages the same wrappers.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

# arithmatex's generic output: the delimiters stay inside the wrapper element.
_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r"(?:\\\((?P<inline>.+?)\\\)|\\\[(?P<display>.+?)\\\])\s*</(?P=tag)>",
    re.DOTALL,
)
# A token element whose text is a LaTeX command or an alignment ampersand.
_LEFTOVER = re.compile(r"<m[io]>(\\[A-Za-z]+|&amp;|&)</m[io]>")


def latex_to_mathml(latex: str, display: bool) -> str:
    """Return the MathML element for one LaTeX formula (HTML entities decoded)."""
    source = html.unescape(latex).strip()
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many exception types
        raise PluginError(f"cannot render math {source!r}: {error}") from error
    # latex2mathml passes a command it does not know through as text, and an
    # alignment "&" as a symbol; either would show raw LaTeX to the reader.
    leftover = _LEFTOVER.search(mathml)
    if leftover:
        raise PluginError(f"unsupported LaTeX {leftover[1]!r} in {source!r}")
    return mathml


def render_arithmatex(page_html: str) -> str:
    """Replace arithmatex's generic math wrappers with MathML."""

    def replace(match: re.Match[str]) -> str:
        if match["display"] is not None:
            return latex_to_mathml(match["display"], display=True)
        return latex_to_mathml(match["inline"], display=False)

    return _ARITHMATEX.sub(replace, page_html)


def on_post_page(output: str, page, config) -> str:
    """MkDocs event: turn the finished page's LaTeX into MathML.

    This runs on the final HTML rather than on each page's content so that the
    one-page print version, which the print-site plugin assembles from the
    pages' contents, is rendered too.
    """
    return render_arithmatex(output)


@event_priority(-100)  # after the print-site plugin has written its page
def on_post_build(config) -> None:
    """MkDocs event: render the one-page print version, which print-site writes last."""
    page = Path(config["site_dir"]) / "print_page.html"
    if page.is_file():
        page.write_text(
            on_post_page(page.read_text(encoding="utf-8"), None, config), encoding="utf-8"
        )
