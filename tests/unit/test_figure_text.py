"""How a chart's smallest text is measured and recorded in its PNG (core.figures), and how a report
chart is drawn twice, for the desktop column and for a phone (report.charts.style)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from retention_lib.core import figures  # noqa: E402
from retention_lib.report import charts  # noqa: E402
from retention_lib.report.charts import style  # noqa: E402


def test_the_smallest_text_is_the_smallest_one_drawn(tmp_path):
    fig, (ax, hidden) = plt.subplots(1, 2)
    ax.set_title("a title", fontsize=13)
    ax.tick_params(labelsize=9.5)
    ax.text(0.5, 0.5, "", fontsize=2)                  # empty: draws nothing
    ax.text(0.5, 0.5, "not shown", fontsize=3, visible=False)
    hidden.set_title("in a hidden panel", fontsize=4)
    hidden.set_visible(False)
    assert figures.smallest_text_pt(fig) == pytest.approx(9.5)
    figures.save_png(fig, tmp_path / "a.png", dpi=110)
    figures.save_png(fig, tmp_path / "b.png", dpi=110)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()   # no timestamp
    pt, dpi, width = figures.read_smallest_text(tmp_path / "a.png")
    assert pt == pytest.approx(9.5) and dpi == pytest.approx(110)
    assert width == pytest.approx((fig.get_tightbbox().width + 2 * plt.rcParams["savefig.pad_inches"]) * 110, rel=0.03)
    plt.close(fig)


def test_a_figure_without_text_records_none(tmp_path):
    fig = plt.figure(figsize=(1, 1))
    figures.save_png(fig, tmp_path / "blank.png")
    assert figures.read_smallest_text(tmp_path / "blank.png")[0] is None
    plt.close(fig)


def _panels(rect=None):
    style.use_style()
    fig, axes = plt.subplots(2, 2, figsize=(8, 5))
    for i, ax in enumerate(axes.flat):
        ax.plot(range(12), [v * 10 ** i for v in range(12)])
        ax.set(title=f"panel {i}", xlabel="month", ylabel="members")
    fig.suptitle("four panels")
    if rect is not None:
        fig.set_layout_engine("tight", rect=rect)
    return fig


@pytest.mark.parametrize("rect", [None, (0, 0.1, 1, 1)])
def test_a_figure_is_laid_out_as_a_draw_lays_it_out(rect):
    drawn, laid = _panels(rect), _panels(rect)
    for _ in range(2):   # a layout starts from where the last one left the axes
        drawn.draw_without_rendering()
        figures.lay_out(laid)
        assert [ax.get_position().bounds for ax in laid.axes] == [ax.get_position().bounds for ax in drawn.axes]
    plt.close("all")


def test_a_png_is_what_savefig_writes_after_a_draw_measures_its_text(tmp_path):
    record = pd.DataFrame({"for_month": ["2025-01", "2025-02", "2025-03"], "actual_purchases": [10, 12, 11],
                           "predicted_purchases": [9, 13, 12]})
    ours, theirs = charts.track_record_chart(record), charts.track_record_chart(record)
    for n, (a, b) in enumerate([(ours, theirs), (figures.phone_form(ours), figures.phone_form(theirs))]):
        figures.save_png(a, tmp_path / f"ours{n}.png", dpi=110)
        smallest = figures.smallest_text_pt(b)
        b.savefig(tmp_path / f"theirs{n}.png", bbox_inches="tight", dpi=110,
                  metadata={"Software": None, figures.SMALLEST_TEXT: f"{smallest:.2f}"})
        assert (tmp_path / f"ours{n}.png").read_bytes() == (tmp_path / f"theirs{n}.png").read_bytes()
    plt.close("all")


def test_small_text_is_raised_to_what_reads_at_the_width_shown():
    style.use_style()
    fig, ax = plt.subplots(figsize=(11, 3))
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "a note", fontsize=6)
    ax.tick_params(labelsize=7)
    style.readable(fig, style.DESKTOP_CONTENT_PX)
    floor = style.smallest_pt(11 + 2 * plt.rcParams["savefig.pad_inches"], style.DESKTOP_CONTENT_PX)
    assert floor > 7 and figures.smallest_text_pt(fig) >= floor
    plt.close(fig)


def test_a_report_chart_carries_its_phone_form_and_pyplot_holds_the_desktop_one_only():
    plt.close("all")
    record = pd.DataFrame({"for_month": ["2025-01", "2025-02", "2025-03"], "actual_purchases": [10, 12, 11],
                           "predicted_purchases": [9, 13, 12]})
    fig = charts.track_record_chart(record)
    phone = figures.phone_form(fig)
    assert phone is not None and plt.get_fignums() == [fig.number]   # a notebook shows one figure
    assert phone.get_figwidth() == pytest.approx(style.PHONE_WIDTH)
    assert figures.smallest_text_pt(phone) >= style.smallest_pt(style.PHONE_WIDTH, style.PHONE_CONTENT_PX)
    plt.close(fig)


def test_side_by_side_panels_stack_on_a_phone():
    with style.phone_form():
        fig, axes = style.subplots(1, 3, figsize=(11, 3.6), phone_height=3.0,
                                   gridspec_kw={"width_ratios": [2, 1, 1]})
    assert len(axes) == 3 and tuple(fig.get_size_inches()) == pytest.approx((style.PHONE_WIDTH, 9.0))
    tops = [ax.get_position().y0 for ax in axes]
    assert tops == sorted(tops, reverse=True)   # one a row, in order
    plt.close(fig)
    fig, axes = style.subplots(1, 3, figsize=(11, 3.6))
    assert tuple(fig.get_size_inches()) == pytest.approx((11, 3.6))
    plt.close(fig)


def test_a_chinese_month_stays_on_one_line_when_a_title_wraps():
    for width in range(10, 40):
        lines = style.wrap("每月净推荐值（NPS）及95%区间，2024年12月至2025年12月", width).split("\n")
        assert any("2024年12月" in line for line in lines) and any("2025年12月" in line for line in lines), lines


@pytest.mark.parametrize("language", ["en", "zh-CN"])
@pytest.mark.parametrize("width, panels, content", [(style.PHONE_WIDTH, 1, style.PHONE_CONTENT_PX),
                                                    (11, 3, style.DESKTOP_CONTENT_PX)])
def test_month_labels_lie_level_never_overlap_and_name_the_reported_month(language, width, panels, content):
    from retention_lib.report import language as languages

    months = [str(m) for m in pd.period_range("2024-12", "2025-12", freq="M")]
    with languages.speaking(language):
        style.use_style()   # the report's fonts, CJK ones for zh-CN
        fig, axes = plt.subplots(1, panels, figsize=(width, 3), squeeze=False)
        for ax in axes[0]:
            ax.plot(range(len(months)), range(len(months)))
            style.month_ticks(ax, months, fontsize=8)
        style.readable(fig, content)
        fig.draw_without_rendering()
        for ax in axes[0]:
            shown = [t for t in ax.get_xticklabels() if t.get_text()]
            assert len(shown) >= 2 and shown[-1].get_text() == ax.xaxis.get_major_formatter().labels[-1]   # the reported month
            assert all(t.get_rotation() == 0 for t in shown)
            boxes = sorted((t.get_window_extent() for t in shown), key=lambda b: b.x0)
            assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:]))
        plt.close(fig)
