"""Build the bundled CJK chart font once: Noto Sans CJK SC Regular (SIL Open Font License) cut down
with fontTools to GB2312, ASCII, Latin-1, CJK punctuation and full-width forms.

    python tools/build_cjk_font.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

(Debian's fonts-noto-cjk). The result, retention_lib/report/fonts/NotoSansSC-Subset.otf, is
committed with the licence beside it; this script is how it was made, not a build step.
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

TARGET = Path(__file__).resolve().parents[1] / "retention_lib" / "report" / "fonts" / "NotoSansSC-Subset.otf"


def characters() -> str:
    """Every character of GB2312, plus the Latin and punctuation a report prints."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    chars |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF00, 0xFFF0)}
    chars |= set("–—‘’“”•…‰′″※€¥￥←↑→↓≈≠≤≥×÷−·")
    for code in range(0x80, 0x10000):
        ch = chr(code)
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        chars.add(ch)
    return "".join(sorted(chars))


def main(source: str) -> None:
    collection = TTCollection(source)
    [face] = [f for f in collection.fonts if "Noto Sans CJK SC" in f["name"].getDebugName(1)]
    options = subset.Options()
    options.layout_features = ["kern", "liga", "locl", "palt", "halt"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(face)
    face["name"].setName("Noto Sans SC Subset", 1, 3, 1, 0x409)   # the family matplotlib will know it by
    face["name"].setName("Noto Sans SC Subset", 4, 3, 1, 0x409)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    face.save(TARGET)
    print(f"{TARGET}: {TARGET.stat().st_size / 1e6:.1f} MB, {len(characters()):,} characters")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
