"""The published report on a store manager's phone (390 px, in WeChat or a mail app) and on a desktop,
measured in a real browser (headless Chromium, tests/layout_check.py): on the phone every report table
reads as cards, no cell off screen, nothing scrolling sideways, no table text under 12 px; on a desktop
the tables stay tables."""
import pytest

from tests import layout_check

pytestmark = pytest.mark.skipif(
    layout_check.browser() is None,
    reason=f"no browser to lay the report out in (none of {', '.join(layout_check.BROWSERS)} on PATH)")


@pytest.fixture(scope="module")
def report(published):
    reports, _ = published
    return reports / "2025-02" / "report.html"


def test_on_a_phone_every_table_reads_as_cards_within_the_screen(report):
    m = layout_check.measure(report, width=390)
    assert m["innerWidth"] == 390   # the report's own viewport, not headless Chromium's 500 px minimum window
    assert len(m["tables"]) >= 5
    assert layout_check.problems(m, min_font=12) == []
    for t in m["tables"]:
        # no header row: each value carries its column's header as a label, the row's name is the title
        assert not t["header_shown"], t["title"]
        assert all((c["label"] is None) == c["first"] for c in t["cells"]), t["title"]
        assert all(c["label"] < c["font"] for c in t["cells"] if not c["first"]), t["title"]
    # the glossary's meanings sit under their terms, across the screen
    assert m["glossary"]
    for g in m["glossary"]:
        assert g["dd"]["top"] >= g["dt"]["top"] + g["dt"]["height"] - 1
        assert g["dd"]["width"] > 0.8 * m["innerWidth"]


def test_on_a_desktop_every_table_is_a_table_with_its_header_row(report):
    m = layout_check.measure(report, width=1280)
    assert m["innerWidth"] == 1280
    assert m["tables"] and layout_check.problems(m) == []
    for t in m["tables"]:
        assert t["display"] == "table" and t["header_shown"], t["title"]
        assert all(c["label"] is None for c in t["cells"]), t["title"]
