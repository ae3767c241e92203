"""How a published report lays out in a real browser at a given width (a phone is 390 px): every
report table's cells against the viewport, whether the page scrolls sideways, and the font sizes of
the text a reader sees. Test-only (tests/e2e/test_phone_layout.py); as a script it prints the
measures, or saves a screenshot to look at:

    python -m tests.layout_check reports/2025-12/report.html --width 390
    python -m tests.layout_check reports/2025-12/report.html --width 390 --screenshot /tmp/phone.png --no-images

Headless Chromium will not make a window narrower than 500 px (`--window-size=390,844` gives an
innerWidth of 500), so the report is laid out in an iframe of the width asked for, inside a page
that is wider: the iframe is the report's viewport (its media queries, its innerWidth). A script
added at the end of the report's copy measures it once it has loaded and posts the measures to the
page, which writes them into its DOM for `--dump-dom`. No scrollbar takes room in the copy (a
phone's scrollbars overlay the page).
"""
from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MIN_WINDOW = 500   # headless Chromium's narrowest window

MEASURE = r"""
<style>html { scrollbar-width: none; } ::-webkit-scrollbar { display: none; }</style>
<script>
window.addEventListener("load", function () {
  var W = window.innerWidth, root = document.documentElement;
  function rect(el) { var r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top + window.scrollY, width: r.width, height: r.height}; }
  function shown(el) { return el.getClientRects().length > 0; }
  var tables = [];
  document.querySelectorAll("table.report-table").forEach(function (t) {
    var head = t.querySelector("thead th:not(:first-child)");
    var cells = [];
    t.querySelectorAll("td").forEach(function (c) {
      if (!shown(c)) return;
      var label = getComputedStyle(c, "::before");
      cells.push(Object.assign(rect(c), {text: c.textContent.slice(0, 60), first: c.cellIndex === 0,
        font: parseFloat(getComputedStyle(c).fontSize),
        label: label.content && label.content !== "none" && label.display !== "none" ? parseFloat(label.fontSize) : null}));
    });
    tables.push({rect: rect(t), display: getComputedStyle(t).display,
                 header_shown: !!head && shown(head) && head.getBoundingClientRect().height > 0,
                 title: (t.querySelector("th") || {}).textContent, cells: cells});
  });
  // every element that holds visible text of its own
  var fonts = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var own = Array.prototype.some.call(el.childNodes, function (n) {
      return n.nodeType === 3 && n.textContent.trim(); });
    if (!own || !shown(el) || ["SCRIPT", "STYLE"].indexOf(el.tagName) >= 0) return;
    var r = el.getBoundingClientRect();
    fonts.push({tag: el.tagName.toLowerCase(), cls: el.className || "", text: el.textContent.trim().slice(0, 60),
                font: parseFloat(getComputedStyle(el).fontSize), left: r.left, right: r.right});
  });
  // the glossary: each term and its meaning
  var glossary = Array.prototype.map.call(document.querySelectorAll("dl.glossary dd"), function (dd) {
    return {dt: rect(dd.previousElementSibling), dd: rect(dd)}; });
  parent.postMessage(JSON.stringify({innerWidth: W, clientWidth: root.clientWidth, scrollWidth: root.scrollWidth,
                                     scrollHeight: root.scrollHeight, tables: tables, text: fonts,
                                     glossary: glossary}), "*");
});
</script>
"""

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>body {{ margin: 0; }}
iframe {{ border: 0; display: block; width: {width}px; height: {height}px; }}</style></head><body>
<iframe src="{src}"></iframe><pre id="measures"></pre>
<script>window.addEventListener("message", function (e) {{
  document.getElementById("measures").textContent = e.data; }});</script></body></html>"""


def browser() -> str | None:
    """The Chromium (or Chrome) on this machine, or None."""
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def _chromium(args: list[str], timeout: int) -> subprocess.CompletedProcess:
    exe = browser()
    if exe is None:
        raise FileNotFoundError(f"no browser found (looked for {', '.join(BROWSERS)})")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--allow-file-access-from-files", f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)


def _stage(report: Path, folder: Path, width: int, height: int, images: bool = True) -> Path:
    """The report's copy with the measuring script, and the page that frames it at `width`."""
    body = Path(report).read_text(encoding="utf-8")
    if not images:   # tables and text only: a short page to look at
        body = re.sub(r'src="data:image/[^"]*"', 'src=""', body)
    marker = body.rfind("</body>")
    body = body[:marker] + MEASURE + body[marker:] if marker >= 0 else body + MEASURE
    (folder / "report.html").write_text(body, encoding="utf-8")
    page = folder / "page.html"
    page.write_text(PAGE.format(width=width, height=height, src="report.html"), encoding="utf-8")
    return page


def measure(report: Path, width: int = 390, height: int = 844, timeout: int = 60, images: bool = True) -> dict:
    """The report's layout at `width` CSS px: innerWidth, scrollWidth, every report table (its cells'
    rectangles and font sizes, whether its header row shows) and every visible text's font size."""
    with tempfile.TemporaryDirectory() as tmp:
        page = _stage(report, Path(tmp), width, height, images)
        proc = _chromium([f"--window-size={max(width, MIN_WINDOW) + 20},{height + 200}",
                          "--virtual-time-budget=10000", "--dump-dom", page.as_uri()], timeout)
    found = re.search(r'<pre id="measures">(.*?)</pre>', proc.stdout, re.DOTALL)
    if proc.returncode != 0 or not found or not found.group(1).strip():
        raise RuntimeError(f"the browser measured nothing (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(html.unescape(found.group(1)))


def screenshot(report: Path, target: Path, width: int = 390, height: int | None = None, images: bool = True,
               timeout: int = 120) -> Path:
    """A picture of the whole report at `width` (its full height, measured first, unless given)."""
    if height is None:
        with tempfile.TemporaryDirectory() as tmp:
            page = _stage(report, Path(tmp), width, 844, images)
            proc = _chromium([f"--window-size={max(width, MIN_WINDOW) + 20},1000", "--virtual-time-budget=10000",
                              "--dump-dom", page.as_uri()], timeout)
        found = re.search(r'<pre id="measures">(.*?)</pre>', proc.stdout, re.DOTALL)
        height = json.loads(html.unescape(found.group(1)))["scrollHeight"]
    with tempfile.TemporaryDirectory() as tmp:
        page = _stage(report, Path(tmp), width, height, images)
        _chromium([f"--window-size={max(width, MIN_WINDOW)},{height}", "--virtual-time-budget=10000",
                   f"--screenshot={Path(target).resolve()}", page.as_uri()], timeout)
    return Path(target)


def problems(m: dict, min_font: float = 12) -> list[str]:
    """What does not fit the screen in the measures: the page scrolling sideways, a text past the
    viewport's edges (inside an output that scrolls on its own, say), a table cell past them, table
    text (its labels included) under `min_font` px."""
    width, found = m["innerWidth"], []
    if m["scrollWidth"] > width:
        found.append(f"the page scrolls sideways: {m['scrollWidth']} px wide in a {width} px viewport")
    for t in m["text"]:
        if t["right"] > width + 0.5 or t["left"] < -0.5:
            found.append(f"<{t['tag']}> {t['text'][:40]!r} spans {t['left']:.0f}–{t['right']:.0f} px")
    for i, t in enumerate(m["tables"]):
        for c in t["cells"]:
            if c["right"] > width + 0.5 or c["left"] < -0.5:
                found.append(f"table {i} ({t['title']}): cell {c['text']!r} spans {c['left']:.0f}–{c['right']:.0f} px")
            small = [f for f in (c["font"], c["label"]) if f is not None and f < min_font]
            if small:
                found.append(f"table {i} ({t['title']}): cell {c['text']!r} in {min(small)} px type")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--width", type=int, default=390)
    parser.add_argument("--screenshot", type=Path, help="save a picture of the whole report here")
    parser.add_argument("--no-images", action="store_true", help="leave the charts out of the picture")
    args = parser.parse_args(argv)
    if args.screenshot:
        print(screenshot(args.report, args.screenshot, args.width, images=not args.no_images))
        return 0
    m = measure(args.report, args.width)
    print(f"innerWidth {m['innerWidth']}, clientWidth {m['clientWidth']}, scrollWidth {m['scrollWidth']}, "
          f"{len(m['tables'])} tables")
    small = sorted({(t["font"], t["tag"], t["cls"], t["text"][:30]) for t in m["text"] if t["font"] < 12})
    for f in small:
        print("small type:", *f)
    found = problems(m)
    print(*found[:40], sep="\n")
    print(f"{len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
