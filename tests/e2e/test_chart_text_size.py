"""Chart text reads on a store manager's phone and on a desktop: in a published month every chart's
smallest text (recorded in its PNG, core.figures) is at least style.READABLE_PX CSS px where the
report shows it — the phone form in a 390 px phone's content, the desktop form in the desktop column
— and a report chart whose desktop form would read smaller on a phone has a phone form the report
shows there (a <picture>). A real browser picks the phone form at 390 px and the desktop one at 1280."""
from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from retention_lib.core import figures, stages
from retention_lib.report.charts import style


class Charts(HTMLParser):
    """Each image of a report: (its data URI's PNG, the phone form's or None), however nbconvert
    writes the <picture> out."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[bytes, bytes | None]] = []
        self._phone: bytes | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "picture":
            self._phone = None
        elif tag == "source" and a.get("media") == "(max-width: 600px)":
            self._phone = _png(a["srcset"])
        elif tag == "img" and a.get("src", "").startswith("data:image/png"):
            self.found.append((_png(a["src"]), self._phone))

    def handle_endtag(self, tag):
        if tag == "picture":
            self._phone = None


def _png(uri: str) -> bytes:
    return base64.b64decode(uri.split(",", 1)[1])


def css_px(png, display_px: float) -> float:
    """The CSS px of a chart's smallest text shown at most `display_px` wide (never enlarged)."""
    pt, dpi, width = figures.read_smallest_text(png)
    assert pt is not None, "the chart's PNG does not record its smallest text"
    return pt * dpi / 72 * min(1.0, display_px / width)


@pytest.fixture(scope="module")
def month(published) -> Path:
    return published[0] / "2025-02"


def test_every_chart_of_the_month_reads_at_the_width_the_report_shows_it(month):
    charts = [a for a in stages.ARTIFACTS.values() if a.audience == stages.REPORT and a.path.endswith(".png")
              and (month / a.path).exists()]
    phones = [a for a in charts if a.key.endswith("_phone")]
    assert len(phones) >= 10   # the report's charts, each with its phone form
    small = {a.path: round(css_px(month / a.path, style.PHONE_CONTENT_PX if a in phones else style.DESKTOP_CONTENT_PX), 1)
             for a in charts}
    assert {p: px for p, px in small.items() if px < style.READABLE_PX} == {}


def test_a_report_chart_too_small_for_a_phone_has_a_phone_form_that_reads(month):
    parser = Charts()
    parser.feed((month / "report.html").read_text(encoding="utf-8"))
    assert len(parser.found) >= 10
    for desktop, phone in parser.found:
        assert css_px(io.BytesIO(desktop), style.DESKTOP_CONTENT_PX) >= style.READABLE_PX
        if css_px(io.BytesIO(desktop), style.PHONE_CONTENT_PX) < style.READABLE_PX:
            assert phone is not None, "a chart too small on a phone has no phone form"
        if phone is not None:
            assert css_px(io.BytesIO(phone), style.PHONE_CONTENT_PX) >= style.READABLE_PX


# A page framing the report at a given width (headless Chromium keeps a window at least 500 px wide,
# so a phone is an iframe); the report's copy reports which image each <picture> shows, and how wide.
FRAME = """<!DOCTYPE html><html><body style="margin:0"><iframe src="report.html" style="border:0;width:{w}px;height:900px">
</iframe><pre id="out"></pre><script>window.addEventListener("message", function (e) {{
document.getElementById("out").textContent = e.data; }});</script></body></html>"""
PROBE = """<script>window.addEventListener("load", function () {
  var shown = Array.prototype.map.call(document.querySelectorAll("picture img"), function (img) {
    return {phone: img.currentSrc !== img.getAttribute("src"), width: img.getBoundingClientRect().width}; });
  parent.postMessage(JSON.stringify(shown), "*"); });</script>"""


def _shown(report: Path, width: int) -> list[dict]:
    exe = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if exe is None:
        pytest.skip("no Chromium on this machine")
    with tempfile.TemporaryDirectory() as tmp:
        body = report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>")
        (Path(tmp) / "report.html").write_text(body, encoding="utf-8")
        (Path(tmp) / "page.html").write_text(FRAME.format(w=width), encoding="utf-8")
        proc = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--allow-file-access-from-files", f"--user-data-dir={tmp}/profile",
                               f"--window-size={max(width, 500) + 20},1100", "--virtual-time-budget=10000",
                               "--dump-dom", (Path(tmp) / "page.html").as_uri()],
                              capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="out">(.*?)</pre>', proc.stdout, re.S)
    assert found and found.group(1).strip(), proc.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def test_a_browser_shows_the_phone_form_on_a_phone_and_the_desktop_form_on_a_desktop(month):
    phone, desktop = _shown(month / "report.html", 390), _shown(month / "report.html", 1280)
    assert phone and all(p["phone"] for p in phone) and not any(p["phone"] for p in desktop)
    assert {round(p["width"]) for p in phone} == {style.PHONE_CONTENT_PX}
    # a wide chart fills the column, whose width the threshold assumes
    assert max(round(p["width"]) for p in desktop) == style.DESKTOP_CONTENT_PX
