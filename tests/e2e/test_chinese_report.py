"""A Chinese store's month, published in zh-CN: the report a manager reads is Chinese apart from a
short allow-list, its charts draw (a missing glyph fails the run), and the email's subject names the
month and the store in Chinese."""
import re
import textwrap
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser

import nbformat
import openpyxl
import pytest

from tests.conftest import SMALL_STORE, retention_cli
from tests.unit.test_notebook_text import english_in

# Words a Chinese report keeps in Latin letters: the scores' and segments' names managers know, the
# model names (defined in the glossary).
ALLOWED = {"NPS", "CSAT", "CLV", "RFM", "VIP", "BG", "NBD", "MBG", "Pareto"}


class _Visible(HTMLParser):
    """The text a reader sees: no style, script or tag attributes (images are data URIs)."""

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("style", "script", "title")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("style", "script", "title")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


FILE_NAME = re.compile(r"(?:[\w-]+/)*[\w-]+\.(?:json|csv|xlsx|html|parquet|ipynb|png|log)\b")


def visible_text(html: str) -> str:
    """The visible text, without the file names it points the consultant to (rejects.csv)."""
    parser = _Visible()
    parser.feed(html)
    return FILE_NAME.sub(" ", " ".join(parser.parts))


@pytest.fixture(scope="module")
def chinese_month(tmp_path_factory):
    root = tmp_path_factory.mktemp("zh")
    tables = "\n".join(f"  {t}: {{path: store/{t}.parquet}}"
                       for t in ("transactions", "customers", "surveys", "complaints", "campaigns"))
    config = root / "zh.yml"
    config.write_text(textwrap.dedent(f"""\
        name: 测试社区超市
        source: demo
        simulated: true
        source_options: {{seed: {SMALL_STORE['seed']}, n_customers: {SMALL_STORE['n_customers']},
                          months: {SMALL_STORE['months']}, data_language: zh-CN}}
        currency: CNY
        report: {{language: zh-CN}}
        tables:
        """) + tables + "\n", encoding="utf-8")
    reports = root / "reports"
    proc = retention_cli("run", "--config", str(config), "--reports-dir", str(reports))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return reports / "2025-02"


def test_the_report_is_chinese_apart_from_the_allow_list(chinese_month):
    html = (chinese_month / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in html
    seen = visible_text(html)
    assert "关键发现" in seen and "术语说明" in seen
    latin = sorted(set(re.findall(r"[A-Za-z]{2,}", seen)) - ALLOWED)
    assert latin == []


def test_the_email_subject_names_the_month_and_the_store_in_chinese(chinese_month):
    [eml] = (chinese_month / "outbox").glob("*.eml")
    msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert msg["Subject"].startswith("【") and "2025年2月" in msg["Subject"] and "测试社区超市" in msg["Subject"]
    body = msg.get_body(preferencelist=("html",)).get_content()
    [attachment] = [p.get_filename() for p in msg.iter_attachments() if p.get_filename().endswith(".html")]
    assert attachment == "zh-2025-02-report.html"          # ASCII by design: it travels through mail systems
    seen = visible_text(body)
    assert sorted(set(re.findall(r"[A-Za-z]{2,}", seen)) - ALLOWED) == []


def test_every_chart_says_what_it_shows_in_chinese(chinese_month):
    """Each image's alt text is its catalogue message (what a screen reader reads, what a mail app shows
    when it blocks images), in the report's language, never nbconvert's placeholder."""
    html = (chinese_month / "report.html").read_text(encoding="utf-8")
    images = re.findall(r"<img\b[^>]*>", html)
    assert len(images) >= 5
    for tag in images:
        alt = re.search(r'\balt="([^"]*)"', tag)
        assert alt and "No description" not in alt[1] and re.search(r"[\u4e00-\u9fff]{4}", alt[1]), tag[:200]
        assert "2025年2月" in alt[1]   # the month it is about


def test_the_action_files_speak_chinese(chinese_month):
    """What store staff open: Chinese headers, labels and yes/no, numbers rounded (no float beyond two
    decimals, dates without a time), and a workbook with a frozen bold header and fitted widths."""
    for name in ("retain", "winback", "welcome", "holiday_greetings"):
        rows = (chinese_month / "actions" / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()
        assert rows[0].startswith('"序号","会员编号","姓名","电话","归属门店"') or name == "holiday_greetings", name
        assert not re.search(r"[A-Za-z]{2,}", rows[0]), rows[0]
        body = "\n".join(rows[1:])
        assert not re.search(r"\b(True|False|nan|NaT|core|key|at_risk|lapsed|dormant)\b", body), name
        assert not re.search(r"\d\.\d{3,}|\d{2}:\d{2}:\d{2}", body), name
        ws = openpyxl.load_workbook(chinese_month / "actions" / f"{name}.xlsx").active
        assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1]) and re.search(r"[\u4e00-\u9fff]", ws.title)
        assert all(ws.column_dimensions[c.column_letter].width >= 2 * len(c.value) for c in ws[1]), name
    retain = openpyxl.load_workbook(chinese_month / "actions" / "retain.xlsx").active
    row = {c.value: cell for c, cell in zip(retain[1], retain[2])}
    assert row["价值分层"].value in ("核心客户", "重点客户", "可发展客户", "偶尔光顾客户")
    assert isinstance(row["仍在光顾的概率（%）"].value, int) and row["最近到店"].number_format == "yyyy-mm-dd"
    assert row["本月新增预警"].value in ("是", "否")


def test_the_executed_notebooks_speak_chinese(chinese_month):
    """The series as a consultant opens it: markdown cells and text outputs without a run of three English words
    outside code, names and identifiers (tests/unit/test_notebook_text.english_prose); DataFrame headers that are
    the data's own keys are single identifiers and pass."""
    books = sorted(chinese_month.glob("[0-9][0-9]_*.ipynb"))
    assert len(books) == 8
    found = {book.name: english_in(nbformat.read(book, as_version=4)) for book in books}
    assert {name: runs for name, runs in found.items() if runs} == {}
    assert nbformat.read(books[1], as_version=4).cells[0].source.startswith("# 02 · 月度会员指标看板")
