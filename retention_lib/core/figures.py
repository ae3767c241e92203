"""A chart as PNG files: the same drawing gives the same bytes, and each file records the size of its
smallest text, so a test can tell how large that text reads at a given display width.

A report chart may carry a phone form beside its desktop form (report.charts.style draws both);
`Run.write` writes the desktop form under the artifact's own path and the phone form under the
path stages.phone_key names.
"""
from __future__ import annotations

from matplotlib.backends.backend_agg import RendererAgg
from PIL import Image

SMALLEST_TEXT = "Smallest text (pt)"   # the PNG text chunk that records it
_PHONE = "phone_form"                  # the attribute of a desktop figure that holds its phone form


def with_phone_form(desktop, phone):
    """`desktop` (the figure a notebook shows) carrying `phone` (written beside it, never shown)."""
    setattr(desktop, _PHONE, phone)
    return desktop


def phone_form(figure):
    """The phone form a figure carries, or None."""
    return getattr(figure, _PHONE, None)


class _TextSizes(RendererAgg):
    """A renderer that notes the size of every non-empty text drawn and draws nothing."""

    def __init__(self, figure):
        super().__init__(int(figure.bbox.width), int(figure.bbox.height), figure.dpi)
        self.sizes: list[float] = []

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if s.strip():
            self.sizes.append(float(prop.get_size_in_points()))

    def draw_tex(self, gc, x, y, s, prop, angle, *, mtext=None):
        self.draw_text(gc, x, y, s, prop, angle)


def smallest_text_pt(figure) -> float | None:
    """The size in points of the smallest text the figure draws (hidden artists and empty labels
    draw nothing, so they do not count); None when it draws no text."""
    renderer = _TextSizes(figure)
    figure.draw(renderer)
    return min(renderer.sizes, default=None)


def save_png(figure, path, **options) -> None:
    """The figure as a PNG cropped to what it draws, with its smallest text recorded and no
    timestamp (the same data gives the same bytes)."""
    smallest = smallest_text_pt(figure)
    metadata = {"Software": None} | ({} if smallest is None else {SMALLEST_TEXT: f"{smallest:.2f}"})
    figure.savefig(path, bbox_inches="tight", metadata=metadata, **options)


def read_smallest_text(path) -> tuple[float | None, float, int]:
    """(smallest text in pt or None, dots per inch, width in pixels) of a PNG save_png wrote (a path or
    a file); PNG keeps dots per metre, so the dots per inch are rounded to whole."""
    with Image.open(path) as image:
        recorded = image.text.get(SMALLEST_TEXT)
        return (None if recorded is None else float(recorded), float(round(image.info["dpi"][0])), image.width)
