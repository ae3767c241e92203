"""The notebooks' prose has one source, the message catalogue: every markdown cell of notebooks/NN_*.ipynb names
its key and is the catalogue's English, tools/notebook_text.py --write changes nothing on them, and the zh-CN
rendering of every cell is Chinese (English prose: `english_prose`, also used on the executed notebooks)."""
from __future__ import annotations

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from retention_lib.report import language, notebook_text
from retention_lib.report.catalogue import MESSAGES

ROOT = Path(__file__).resolve().parents[2]

# What a reader does not read as prose: code spans, HTML code and tags, URLs, file paths, identifiers
# (run_dir, kpis_monthly) and command-line flags.
_NOT_PROSE = re.compile(r"`[^`]*`|<code>.*?</code>|<[^>]+>|https?://\S+|(?:[\w.-]+/)+[\w.-]*"
                        r"|\b[\w-]+\.(?:json|csv|xlsx|html|parquet|ipynb|png|log|py|yml)\b|\b\w*_\w*\b|--[\w-]+", re.S)
# Three Latin words in a row, apart only by spaces and light punctuation: "rows after the month". A model name
# with a slash (BG/NBD) is one word; a single abbreviation (NPS, CLV) or name is not a run.
_RUN = re.compile(r"(?<![\w/])[A-Za-z][\w'’/-]*(?:[ \t,;:()&]+[A-Za-z][\w'’/-]*){2,}")


def english_prose(text: str) -> list[str]:
    """The runs of three or more English words in a text a reader sees, code and names aside."""
    return _RUN.findall(_NOT_PROSE.sub(" ", text))


class _Nodes(HTMLParser):
    """An HTML output's text nodes one by one (a table's cells are not one sentence), styles and code aside."""

    def __init__(self):
        super().__init__()
        self.hidden, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("style", "script", "code")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("style", "script", "code")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def shown_texts(nb) -> list[tuple[str, str]]:
    """(where, text) of what a notebook shows: its markdown cells and its code cells' text outputs (an HTML
    output node by node; a plain output only without a rich one, and not an object's repr such as <Figure …>)."""
    found = []
    for n, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found.append((f"cell {n} (markdown)", cell.source))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if output.output_type == "stream":
                found.append((f"cell {n} (stream)", output.text))
            elif "text/html" in data:
                parser = _Nodes()
                parser.feed(data["text/html"])
                found += [(f"cell {n} (html)", part) for part in parser.parts]
            elif "text/markdown" in data:
                found.append((f"cell {n} (markdown output)", data["text/markdown"]))
            elif "text/plain" in data and not re.fullmatch(r"<[\w.]+[^>]*>", data["text/plain"].strip()):
                found.append((f"cell {n} (text)", data["text/plain"]))
    return found


def english_in(nb) -> list[str]:
    return [f"{where}: {run!r}" for where, shown in shown_texts(nb) for run in english_prose(shown)]


def _tool():
    spec = importlib.util.spec_from_file_location("notebook_text_tool", ROOT / "tools" / "notebook_text.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.fixture(autouse=True)
def _english():
    yield
    language.use(language.DEFAULT)


def test_the_rule_finds_english_prose_and_passes_code_names_and_abbreviations():
    assert english_prose("rows after the month (not used)") == ["rows after the month (not used"]
    assert english_prose("Churn model: BG/NBD, chosen by backtest") != []
    clean = ("流失模型：`BG/NBD`（`Fader, Hardie & Lee 2005`）；MBG/CNBD-k 由回测选出，见 `actions/`、"
             "artifacts/early_warning.csv 和 retention_lib/data/quality.py，NPS 与 CSAT，p < 0.05，store_table_top，"
             "<b>留住名单</b> https://example.com/a b")
    assert english_prose(clean) == []


def test_every_markdown_cell_has_its_key_and_is_the_catalogues_english():
    tool = _tool()
    assert tool.books() and tool.problems(tool.books()) == []


def test_rewriting_the_notebooks_from_the_catalogue_changes_nothing_and_is_idempotent(tmp_path):
    tool = _tool()
    for book in tool.books():
        written = tool.english(book)
        assert written == book.read_text(encoding="utf-8"), f"{book.name}: run tools/notebook_text.py --write"
        again = tmp_path / book.name
        again.write_text(written, encoding="utf-8")
        assert tool.english(again) == written


def test_a_markdown_cell_follows_its_catalogue_entry_and_keeps_its_braces(tmp_path, monkeypatch):
    monkeypatch.setitem(MESSAGES, "nb.test.braces", "## Sets\n\nA set is written `{{a, b}}`; *x* and **y** stay.")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("old wording", metadata={"text": "nb.test.braces"}),
                                         nbformat.v4.new_markdown_cell("a cell without a key stays as it is")])
    notebook_text.localise(nb)
    assert nb.cells[0].source == "## Sets\n\nA set is written `{a, b}`; *x* and **y** stay."
    assert nb.cells[1].source == "a cell without a key stays as it is"


def test_in_chinese_every_notebook_cell_is_chinese_with_the_same_marks():
    tool = _tool()
    for book in tool.books():
        english, chinese = nbformat.read(book, as_version=4), notebook_text.in_language(book, "zh-CN")
        assert language.active() == language.DEFAULT   # the copy does not change the reader's language
        for en, zh in zip(english.cells, chinese.cells):
            if en.cell_type != "markdown":
                assert zh.source == en.source
                continue
            assert re.search(r"[\u4e00-\u9fff]", zh.source), f"{book.name}: {zh.source[:60]!r}"
            for mark in ("**", "`", "\n\n", "\n- "):
                assert zh.source.count(mark) == en.source.count(mark), f"{book.name} {en.metadata['text']}: {mark!r}"
            assert re.match(r"#* ?", zh.source)[0] == re.match(r"#* ?", en.source)[0]   # the same heading level
        assert english_in(chinese) == []


def test_the_lab_copies_are_written_in_the_language_asked_for(tmp_path):
    tool = _tool()
    assert tool.main(["--language", "zh-CN", "--output", str(tmp_path), str(tool.books()[1])]) == 0
    [copy] = tmp_path.glob("*.ipynb")
    assert nbformat.read(copy, as_version=4).cells[0].source.startswith("# 02 · 月度会员指标看板")
