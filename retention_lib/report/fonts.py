"""The chart fonts: the bundled CJK font registered with matplotlib, and missing glyphs made errors.

The package ships `fonts/NotoSansSC-Subset.otf` (Noto Sans CJK SC cut to GB2312, ASCII, Latin-1
and CJK punctuation; OFL, see fonts/OFL.txt; made by tools/build_cjk_font.py), so Chinese store
names and categories draw on a machine with no system CJK font and whatever font cache it has.
Latin text keeps DejaVu Sans; a character DejaVu lacks falls back to the bundled font, then to
a system CJK font when one is installed (rare characters outside GB2312). A glyph that none of
them has is an error, not an empty box in a published chart.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

from matplotlib import font_manager

BUNDLED = Path(__file__).parent / "fonts" / "NotoSansSC-Subset.otf"
BUNDLED_FAMILY = "Noto Sans SC Subset"
# Latin first (its digits and letters), then the bundled CJK font, then system CJK fonts.
FAMILIES = ["DejaVu Sans", BUNDLED_FAMILY, "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei"]
MISSING_GLYPH = r"Glyph \d+ .* missing from font"


def register() -> list[str]:
    """Add the bundled font to matplotlib's font list (idempotent) and make a missing glyph an
    error; returns the font family list charts use (rcParams['font.family'])."""
    if not any(f.fname == str(BUNDLED) for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(BUNDLED))
    warnings.filterwarnings("error", message=MISSING_GLYPH, category=UserWarning)
    # One weight is bundled: bold CJK text (titles) is drawn in the regular face, which matplotlib
    # would log on every chart ("Failed to find font weight bold") into the executed notebooks.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [family for family in FAMILIES if family in installed]
