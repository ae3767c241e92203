"""The notebooks' words in the reader's language.

Each markdown cell of notebooks/NN_*.ipynb names its catalogue key in its metadata (`"text": "nb.02.definitions"`,
English in catalogue/notebooks.py, other languages in the gettext catalogues). The .ipynb holds the English
rendering (tools/notebook_text.py --write writes it, a test keeps it so); `localise` puts every keyed cell in the
active language: the monthly run does so before papermill executes a notebook, `make lab LANGUAGE=…` for the copies
a consultant opens in JupyterLab (`write_copies`).
"""
from __future__ import annotations

import html
from pathlib import Path

import nbformat

from retention_lib.core.run import Run
from retention_lib.report import language, text

KEY = "text"   # the markdown cell's metadata field that names its catalogue key


def key_of(cell) -> str | None:
    return cell.metadata.get(KEY) if cell.cell_type == "markdown" else None


def localise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`nb` (changed in place) with every keyed markdown cell in the active language."""
    for cell in nb.cells:
        key = key_of(cell)
        if key:
            cell.source = text.say(key)
    return nb


def in_language(book: Path, tag: str) -> nbformat.NotebookNode:
    """The notebook at `book` with its prose in language `tag` (the active language is left as it was)."""
    before = language.active()
    language.use(tag)
    try:
        return localise(nbformat.read(book, as_version=4))
    finally:
        language.use(before)


def write_copies(books: list[Path], tag: str, folder: Path) -> list[Path]:
    """Copies of `books` in `folder` with their prose in language `tag`, for JupyterLab."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for book in books:
        nbformat.write(in_language(book, tag), folder / book.name)
        written.append(folder / book.name)
    return written


def title(run: Run, then: str | None = None) -> str:
    """A notebook's first line: the source and the month (client text escaped), then `then`. A lab copy of a
    published month (data/prepare) says where it writes."""
    line = text.say("notebook.title", name=html.escape(run.config.name), month=run.month)
    more = [text.say("notebook.lab_copy", lab=str(run.run_dir))] if run.lab_copy else []
    for sentence in more + ([then] if then else []):
        line = text.say("notebook.title.then", title=line, then=sentence)
    return line
