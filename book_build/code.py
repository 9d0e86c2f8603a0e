"""Code blocks as the site shows them: highlighted, setup folded, with the program to copy.

``format_fence`` is a pymdownx.superfences custom fence for every language
(``mkdocs.yml``), so that it sees each block's code with its includes already
expanded, nested in tabs and admonitions too, and writes the block's HTML in one
go: no later pass over the page's markup.

- A ``python`` block folds its declared setup (``blocks.program_of``) behind a
  button; the lines wait in a ``<template>``, outside the page's DOM, until the
  reader opens them (``code-setup.js``). The block's ``data-copy`` holds the whole
  program, which the copy button gives.
- A ``console`` block copies only the commands it shows.
- Each block carries its copy button from the start (``page.js`` runs it).
- Pygments wraps every name, operator, punctuation mark and space in a ``<span>``
  that the theme draws in the plain code colour anyway; those spans are left
  out, since on a code-heavy page they would be most of its elements.
"""

from __future__ import annotations

import functools
import html

from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from book_build.blocks import console_commands, program_of

COPY_BUTTON = (
    '<nav class="md-code__nav"><button type="button" class="md-code__button" '
    'title="Copy to clipboard" aria-label="Copy to clipboard" data-md-type="copy">'
    "</button></nav>"
)
# Pygments' classes for names, operators, punctuation and whitespace: no colour of their own.
_PLAIN = {"", "n", "o", "p", "w"}


@functools.cache  # mkdocs serve converts every page again on each edit
def highlight(code: str, language: str) -> str:
    """``code`` as Pygments' HTML spans, without the spans that carry no colour."""
    try:
        lexer = get_lexer_by_name(language or "text", stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = get_lexer_by_name("text", stripnl=False, ensurenl=False)
    out = []
    for kind, value in lexer.get_tokens(code):
        while kind not in STANDARD_TYPES:
            kind = kind.parent
        text = html.escape(value, quote=False)
        css = STANDARD_TYPES[kind]
        out.append(text if css in _PLAIN else f'<span class="{css}">{text}</span>')
    return "".join(out)


def format_fence(source: str, language: str, class_name: str, options, md, **kwargs) -> str:
    """superfences' custom formatter: the HTML of one fenced block."""
    classes = [c for c in kwargs.get("classes") or [] if c != language]
    copy, folded = None, ""
    if language in ("python", "console"):
        classes.append(f"la-{'program' if language == 'python' else 'console'}")
    if language == "python":
        program = program_of(source)
        copy, shown = program.code, "\n".join(program.shown)
        if program.setup:
            count = sum(1 for line in program.hidden if line.strip())
            lines = highlight("\n".join(program.hidden) + "\n", "python")
            folded = (
                '<button type="button" class="la-setup-toggle" aria-expanded="false">'
                f"{count} setup {'line' if count == 1 else 'lines'} shown above</button>"
                f'<template class="la-setup">{lines}</template>'
            )
    else:
        shown = source.rstrip("\n")
        if language == "console":
            copy = console_commands(shown.split("\n"))
    div_classes = " ".join([f"language-{language or 'text'}", "highlight", *classes])
    data = f' data-copy="{html.escape(copy, quote=True)}"' if copy is not None else ""
    body = folded + highlight(shown + "\n", language)
    return (
        f'<div class="{div_classes}"{data}><pre><span></span>{COPY_BUTTON}'
        f"<code>{body}</code></pre></div>"
    )
