"""The notebooks' prose from the message catalogue.

    python tools/notebook_text.py                 # check: exit 1 unless every markdown cell is its English
    python tools/notebook_text.py --write         # rewrite notebooks/NN_*.ipynb's markdown from the catalogue
    python tools/notebook_text.py --language zh-CN --output notebooks/zh-CN [NOTEBOOK ...]   # copies for the lab

Every markdown cell of a notebook names its catalogue key in its metadata ("text": "nb.02.definitions"); its
English is in retention_lib/report/catalogue/notebooks.py, its other languages in the gettext catalogues
(tools/sync_zh_catalogue.py). Edit the wording there, never in the .ipynb, then run --write. A new markdown cell
needs a key in its metadata and its English in the catalogue. `make lab LANGUAGE=zh-CN` writes the copies.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from retention_lib.core.paths import NOTEBOOKS_DIR  # noqa: E402
from retention_lib.report import language, notebook_text, text  # noqa: E402
from retention_lib.report.catalogue import notebooks as catalogue  # noqa: E402


CELL_KEYS = "nb."   # the catalogue's keys of markdown cells (its notebook.* keys are words of code cells)


def books(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def english(book: Path) -> str:
    """The notebook's file as it should be: every keyed markdown cell the catalogue's English."""
    language.use(language.DEFAULT)
    return nbformat.writes(notebook_text.localise(nbformat.read(book, as_version=4))) + "\n"


def problems(paths: list[Path], every_key: bool = True) -> list[str]:
    """Markdown cells without a key, keys used twice or unknown, cells that differ from their English,
    and (`every_key`) cell keys of the catalogue (nb.*) no cell uses."""
    found, used = [], {}
    for book in paths:
        for n, cell in enumerate(nbformat.read(book, as_version=4).cells):
            key = notebook_text.key_of(cell)
            where = f"{book.name}, cell {n}"
            if cell.cell_type == "markdown" and not key:
                found.append(f"{where}: a markdown cell without a catalogue key (metadata {notebook_text.KEY!r})")
            elif key and key not in catalogue.MESSAGES:
                found.append(f"{where}: {key!r} is not in retention_lib/report/catalogue/notebooks.py")
            elif key:
                if key in used:
                    found.append(f"{where}: {key!r} is used by {used[key]} too")
                used[key] = where
                if cell.source != text.say(key):
                    found.append(f"{where}: differs from the catalogue's English of {key!r} (run --write)")
    if every_key:
        cells = {k for k in catalogue.MESSAGES if k.startswith(CELL_KEYS)}
        found += [f"{key}: no notebook cell uses it" for key in sorted(cells - set(used))]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the notebooks' markdown from the catalogue")
    parser.add_argument("--language", help="write copies with the prose in this language (with --output)")
    parser.add_argument("--output", type=Path, help="folder for the copies")
    parser.add_argument("notebook", nargs="*", type=Path, help="notebooks to copy (default: all of notebooks/)")
    args = parser.parse_args(argv)
    paths = args.notebook or books()
    if args.language or args.output:
        if not (args.language and args.output):
            parser.error("--language and --output go together")
        if args.language not in language.LANGUAGES:
            parser.error(f"--language must be one of {', '.join(language.LANGUAGES)}, got {args.language!r}")
        for path in notebook_text.write_copies(paths, args.language, args.output):
            print(path)
        return 0
    language.use(language.DEFAULT)
    if args.write:
        for book in paths:
            new = english(book)
            if new != book.read_text(encoding="utf-8"):
                book.write_text(new, encoding="utf-8")
                print(f"rewrote {book}")
    found = problems(paths, every_key=not args.notebook)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
