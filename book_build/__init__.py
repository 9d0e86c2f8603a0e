"""The build of the book: plain functions over Markdown, HTML and files, and one MkDocs adapter.

- ``blocks``    the one fence parser; each python block as the program a reader copies,
                with its declared setup lines; notebook cells from programs; the
                include expander with mkdocs.yml's options
- ``code``      a code block's HTML (a pymdownx.superfences custom fence)
- ``markdown``  the Python-Markdown extension: pins, the glossary table, output labels,
                the math, tooltips in running text, equation numbers, the figures
- ``mathml``    LaTeX to MathML, formulas as search text, the math font's subset
- ``figures``   docs/figures/*.py drawn to light and dark SVG, cached by content
- ``notebooks`` each chapter as a notebook; notebook pages in the book's markup
- ``pages``     pinned versions, the glossary table, the print page
- ``mkdocs_hook`` the adapter: which event runs what, in order

``python -m book_build figures|notebooks|font`` runs the steps over files.
"""
