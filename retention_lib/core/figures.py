"""A chart as PNG files: the same drawing gives the same bytes, and each file records the size of its
smallest text, so a test can tell how large that text reads at a given display width.

A report chart may carry a phone form beside its desktop form (report.charts.style draws both);
`Run.write` writes the desktop form under the artifact's own path and the phone form under the
path stages.phone_key names.
"""
from __future__ import annotations

import contextlib
import functools

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.image import imsave
from matplotlib.layout_engine import TightLayoutEngine
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


class _TightOnce(TightLayoutEngine):
    """matplotlib's tight layout measuring each axes once a layout: it measures them all twice (the
    second time to fit its first answer into the rect) and nothing moves in between."""

    def execute(self, fig):
        for ax in fig.axes:
            ax.get_tightbbox = functools.cache(ax.get_tightbbox)   # for this layout only
        try:
            super().execute(fig)
        finally:
            for ax in fig.axes:
                del ax.get_tightbbox


def lay_out(figure) -> None:
    """The figure laid out as drawing it would, without drawing it; a tight layout engine becomes
    _TightOnce for good (the same layouts, the figure's later draws included)."""
    engine = figure.get_layout_engine()
    if type(engine) is TightLayoutEngine:
        engine = _TightOnce(**engine.get())
        figure.set_layout_engine(engine)
    if figure.axes and engine is not None:
        with contextlib.suppress(ValueError):   # as a draw: a layout that cannot be made is not made
            engine.execute(figure)


class _TextSizes(RendererAgg):
    """An Agg renderer that notes the size of every non-empty text it draws."""

    def __init__(self, width, height, dpi):
        super().__init__(width, height, dpi)
        self.sizes: list[float] = []

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if s.strip():
            self.sizes.append(float(prop.get_size_in_points()))
        super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)

    def draw_tex(self, gc, x, y, s, prop, angle, *, mtext=None):
        if s.strip():
            self.sizes.append(float(prop.get_size_in_points()))
        super().draw_tex(gc, x, y, s, prop, angle, mtext=mtext)


def smallest_text_pt(figure) -> float | None:
    """The size in points of the smallest text the figure draws (hidden artists and empty labels
    draw nothing, so they do not count); None when it draws no text."""
    renderer = _TextSizes(int(figure.bbox.width), int(figure.bbox.height), figure.dpi)
    figure.draw(renderer)
    return min(renderer.sizes, default=None)


class _PngCanvas(FigureCanvasAgg):
    """An Agg canvas whose PNG records the smallest text of the one draw that writes it."""

    def print_png(self, filename_or_obj, *, metadata=None, pil_kwargs=None, **_):   # _: savefig set them on the figure
        renderer = _TextSizes(*self.get_width_height(physical=True), self.figure.dpi)
        self.figure.draw(renderer)
        smallest = min(renderer.sizes, default=None)
        noted = {} if smallest is None else {SMALLEST_TEXT: f"{smallest:.2f}"}
        imsave(filename_or_obj, renderer.buffer_rgba(), format="png", origin="upper", dpi=self.figure.dpi,
               metadata={**(metadata or {}), **noted}, pil_kwargs=pil_kwargs)


def save_png(figure, path, **options) -> None:
    """The figure as a PNG cropped to what it draws, with its smallest text recorded and no
    timestamp (the same data gives the same bytes): the bytes savefig(bbox_inches="tight") wrote after
    a draw that found the smallest text, from one draw instead of three (the layouts those draws made
    are made without drawing, the text is measured as the PNG is drawn)."""
    dpi = options.pop("dpi", None) or mpl.rcParams["savefig.dpi"]
    dpi = figure.dpi if dpi == "figure" else dpi
    lay_out(figure)   # as shown first: each layout starts from where the last one left the axes
    canvas, shown = figure.canvas, figure.dpi
    png = _PngCanvas(figure)   # the figure's canvas until it is written
    try:
        figure.dpi = dpi
        try:
            lay_out(figure)
            box = figure.get_tightbbox(png.get_renderer()).padded(mpl.rcParams["savefig.pad_inches"])
        finally:
            figure.dpi = shown
        engine = figure.get_layout_engine()
        with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):   # None: none
            figure.set_layout_engine(None)   # with an engine, even a placeholder, savefig lays out and draws once more
            try:
                figure.savefig(path, bbox_inches=box, dpi=dpi, metadata={"Software": None}, **options)
            finally:
                figure.set_layout_engine(engine)
    finally:
        figure.set_canvas(canvas)


def read_smallest_text(path) -> tuple[float | None, float, int]:
    """(smallest text in pt or None, dots per inch, width in pixels) of a PNG save_png wrote (a path or
    a file); PNG keeps dots per metre, so the dots per inch are rounded to whole."""
    with Image.open(path) as image:
        recorded = image.text.get(SMALLEST_TEXT)
        return (None if recorded is None else float(recorded), float(round(image.info["dpi"][0])), image.width)
