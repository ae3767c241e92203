"""A Chinese store's month, published in zh-CN: the report a manager reads is Chinese apart from a
short allow-list, its charts draw (a missing glyph fails the run), and the email's subject names the
month and the store in Chinese."""
import re
import textwrap
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser

import pytest

from tests.conftest import SMALL_STORE, retention_cli

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
