"""overrides/hooks/repeats.py: later blocks that repeat an implementation are folded."""

from __future__ import annotations

from conftest import load_hook

repeats = load_hook("repeats")

PAGE = """# Page

```python
--8<-- "snippets/a.py:one"
print(1)
```

<!--pytest-codeblocks:expected-output-->

```text
1
```

=== "Tab"

    ```python
    --8<-- "snippets/a.py:one"
    print(2)
    ```

```python
--8<-- "snippets/a.py:one"
--8<-- "snippets/a.py:two"
```

```python
print("no include")
```
"""


def test_only_blocks_whose_includes_were_all_shown_are_folded():
    out = repeats.fold_repeats(PAGE).split("\n")
    folded = [k for k, line in enumerate(out) if line.strip().startswith("??? example")]
    assert len(folded) == 1  # the tab's block: 'one' was shown; the third adds 'two'
    assert out[folded[0]].startswith('    ??? example "The code (it repeats snippets/a.py')
    assert out[folded[0] + 2] == "        ```python"
    assert out[folded[0] + 4] == "        print(2)"
    # The first block, its output, the third and the include-free block are untouched.
    assert out[2:5] == ["```python", '--8<-- "snippets/a.py:one"', "print(1)"]
    assert "<!--pytest-codeblocks:expected-output-->" in out
    assert 'print("no include")' in out


def test_built_pages_fold_repeats_and_keep_the_first_listing(built_site):
    page = (built_site.site / "autodiff.html").read_text(encoding="utf-8")
    assert page.count('<details class="example">') >= 3
    first_listing = page.index('<span class="nc">Tensor</span>')
    assert first_listing < page.index("it repeats snippets/reverse_mode.py")
