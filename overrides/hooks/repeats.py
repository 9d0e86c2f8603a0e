"""MkDocs hook: fold away code blocks that repeat an implementation shown earlier on the page.

Every code block runs on its own, so a block that uses, say, the einsum of
``snippets/einsum.py`` embeds the whole implementation again. On the site a
reader needs to see it once. This hook leaves the first block that embeds a
given section open and wraps each later block whose embeds were all shown
before in a collapsed ``??? example`` box; the output below it stays visible.
The Markdown source, the tests and the notebooks are untouched. Besides
reading better, it keeps long pages fast: the browser lays out folded code
only when it is opened.
"""

from __future__ import annotations

import re

_OPEN = re.compile(r"^(?P<indent> *)```python\s*$")
_INCLUDE = re.compile(r'--8<-- "([^"]+)"')


def fold_repeats(text: str) -> str:
    """Wrap every python block whose includes all appeared in earlier blocks."""
    lines = text.split("\n")
    out, shown = [], set()
    k = 0
    while k < len(lines):
        opener = _OPEN.match(lines[k])
        if opener is None:
            out.append(lines[k])
            k += 1
            continue
        indent = opener["indent"]
        end = k + 1
        while end < len(lines) and not lines[end].startswith(indent + "```"):
            end += 1
        block = lines[k : end + 1]
        includes = set(_INCLUDE.findall("\n".join(block)))
        if includes and includes <= shown:
            modules = ", ".join(sorted({name.split(":")[0] for name in includes}))
            title = f"The code (it repeats {modules} from above, to run on its own)"
            out += [f'{indent}??? example "{title}"', ""]
            out += [indent + "    " + line[len(indent) :] if line.strip() else "" for line in block]
        else:
            out += block
        shown |= includes
        k = end + 1
    return "\n".join(out)


def on_page_markdown(text: str, page, config, files) -> str:
    """MkDocs event: fold the repeated implementations of the page."""
    return fold_repeats(text)
