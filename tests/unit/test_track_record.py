"""The model's track record from the first published month: a month the ledger has no forecast for is
scored on the forecast reconstructed from the data to the previous month's end, labelled so wherever it
is shown and never written to the ledger; when none can be reconstructed the report says why."""
import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import churn, ledger
from retention_lib.core.messages import Message
from retention_lib.data import engine
from retention_lib.data.prepare import open_run
from retention_lib.models import btyd
from retention_lib.report import actions_display as shown
from retention_lib.report import charts
from retention_lib.report.findings import key_findings
from retention_lib.report.text import say

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def run(small_config, reports):
    """January 2025 of the small simulated store (data from 2024-01), its ledger empty."""
    return open_run(small_config, "2025-01", reports / "2025-01")


@pytest.fixture(scope="module")
def december(small_config, tmp_path_factory):
    """December's own run, cut at December's end: what a published December would have forecast from."""
    return open_run(small_config, "2024-12", tmp_path_factory.mktemp("december") / "2024-12")


@pytest.fixture(scope="module")
def baskets(run):
    return engine.run_table(run, "baskets")


@pytest.fixture(scope="module")
def model(run):
    """The month's model: BG/NBD fitted at January's end."""
    return btyd.fit(churn.month_summary(run), "bgnbd")


def _january_purchase_days(run, customers) -> pd.Series:
    """Each member's purchase days in January, straight from the run's baskets."""
    b = engine.run_table(run, "baskets").to_pandas()
    jan = b[b["is_member"] & b["is_purchase"] & (b["timestamp"].dt.strftime("%Y-%m") == "2025-01")]
    return jan.assign(day=jan["timestamp"].dt.normalize()).drop_duplicates(["customer_id", "day"]).groupby(
        "customer_id").size().reindex(customers, fill_value=0)


@pytest.mark.parametrize("kind, k", [("bgnbd", None), ("bgcnbd", 2)])
def test_the_reconstructed_forecast_is_the_one_a_fit_at_the_previous_months_end_makes(run, december, baskets, kind, k):
    regular = kind == "bgcnbd"
    month_model = btyd.fit(churn.month_summary(run, log_gaps=regular), kind, k=k)
    made = ledger.reconstructed(run, baskets, month_model, churn.month_summary)
    # independently: December's run fits the same kind and k on its own data and forecasts January
    before = churn.month_summary(december, log_gaps=regular)
    expected = ledger.forecasts(december, btyd.fit(before, kind, k=k), before)
    assert (made["made_in"].unique().tolist(), made["for_month"].unique().tolist()) == (["2024-12"], ["2025-01"])
    assert made["customer_id"].tolist() == expected["customer_id"].tolist() and len(made) > 250
    for column in ("expected_purchases", "p_alive", "p_any_purchase"):
        np.testing.assert_allclose(made[column], expected[column], rtol=0, atol=1e-9)
    assert made["reconstructed"].all()


def test_a_month_without_a_published_forecast_scores_the_reconstructed_one_and_leaves_the_ledger_alone(
        run, baskets, model):
    book = ledger.ledger_for(run)
    track = ledger.month_track_record(run, baskets, model, churn.month_summary)
    assert track.note is None
    [row] = track.record.to_dict("records")
    assert (row["for_month"], row["made_in"], row["reconstructed"]) == ("2025-01", "2024-12", True)
    made = ledger.reconstructed(run, baskets, model, churn.month_summary)
    actual = _january_purchase_days(run, made["customer_id"])
    assert row["actual_purchases"] == actual.sum() and row["members"] == len(made)
    assert row["predicted_purchases"] == pytest.approx(made["expected_purchases"].sum(), abs=1e-9)
    # the simulated members buy as BG/NBD says: the forecast a month ahead is close to what they did
    assert row["predicted_purchases"] == pytest.approx(row["actual_purchases"], rel=0.15)
    assert row["predicted_active"] == pytest.approx(row["actual_active"], rel=0.15)
    assert not book.exists()   # the ledger holds only forecasts that were made
    again = ledger.month_track_record(run, baskets, model, churn.month_summary)
    pd.testing.assert_frame_equal(again.record, track.record, check_exact=True)


def test_a_published_forecast_for_the_month_takes_precedence(run, baskets, model, reports):
    made = ledger.reconstructed(run, baskets, model, churn.month_summary).drop(columns="reconstructed")
    book = ledger.ledger_for(run)
    earlier = made.assign(made_in="2024-11", for_month="2024-12", expected_purchases=1.0)
    forecast = reports / "forecast.parquet"
    earlier.to_parquet(forecast)
    ledger.record(forecast, book)
    stored = book.read_bytes()
    # December was published, November's forecast is in the ledger; January's is reconstructed beside it
    track = ledger.month_track_record(run, baskets, model, churn.month_summary)
    assert track.record[["for_month", "made_in", "reconstructed"]].values.tolist() == [
        ["2024-12", "2024-11", False], ["2025-01", "2024-12", True]]
    assert track.record["predicted_purchases"].iloc[0] == len(earlier) and book.read_bytes() == stored
    # a published forecast for January replaces the reconstruction
    made.assign(expected_purchases=0.5).to_parquet(forecast)
    ledger.record(forecast, book)
    track = ledger.month_track_record(run, baskets, model, churn.month_summary)
    assert track.record["reconstructed"].tolist() == [False, False] and track.note is None
    assert track.record["predicted_purchases"].iloc[1] == 0.5 * len(made)
    book.unlink()


def test_without_a_model_a_history_or_a_usable_fit_nothing_is_reconstructed_and_the_note_says_why(
        small_config, tmp_path, run, baskets, model):
    track = ledger.month_track_record(run, baskets, None, churn.month_summary)
    assert track.record.empty and track.note.key == "track_record.cannot.no_model"
    assert "judged by the lapse rule, not by a model" in say(track.note)

    march = open_run(small_config, "2024-03", tmp_path / "2024-03")   # two months of data before March
    track = ledger.month_track_record(march, engine.run_table(march, "baskets"), model, churn.month_summary)
    assert track.record.empty and track.note.key == "track_record.cannot.short_history"
    assert "the data starts in 2024-01, 2 months before 2024-03, and a forecast made at the end of 2024-02 needs " \
           "at least 3 months of history. A longer extract" in say(track.note)

    def nobody_left(run, end, log_gaps):   # every member bought on the last day: no one to learn leaving from
        before = churn.month_summary(run, end, log_gaps=log_gaps)
        return before.assign(recency=before["T"].where(before["frequency"] > 0, 0.0))
    track = ledger.month_track_record(run, baskets, model, nobody_left)
    assert track.record.empty and track.note.key == "track_record.cannot.unusable"
    assert say(track.note).startswith("A forecast for 2025-01 cannot be reconstructed from the data, because the "
                                      "BG/NBD model cannot be used on the data to the end of 2024-12: BG/NBD finds no "
                                      "sign of members leaving yet")
    assert not ledger.ledger_for(run).exists()
    # with earlier months in the ledger, they are still scored beside the note
    earlier = ledger.reconstructed(run, baskets, model, churn.month_summary).drop(columns="reconstructed").assign(
        made_in="2024-11", for_month="2024-12")
    earlier.to_parquet(tmp_path / "f.parquet")
    ledger.record(tmp_path / "f.parquet", ledger.ledger_for(run))
    track = ledger.month_track_record(run, baskets, None, churn.month_summary)
    assert track.record["for_month"].tolist() == ["2024-12"] and track.note.key == "track_record.cannot.no_model"
    ledger.ledger_for(run).unlink()


RECORD = pd.DataFrame([
    {"for_month": "2024-12", "made_in": "2024-11", "members": 280, "predicted_purchases": 480.0,
     "actual_purchases": 500.0, "aggregate_error_pct": -4.0, "mae": 0.9, "predicted_active": 150.0,
     "actual_active": 149.0, "brier_active": 0.1, "reconstructed": False},
    {"for_month": "2025-01", "made_in": "2024-12", "members": 287, "predicted_purchases": 532.9,
     "actual_purchases": 514.0, "aggregate_error_pct": 3.7, "mae": 0.92, "predicted_active": 151.7,
     "actual_active": 151.0, "brier_active": 0.096, "reconstructed": True}])


def test_the_table_and_the_chart_mark_the_reconstructed_forecast():
    table = shown.track_record_table(RECORD)
    assert table["made in"].tolist() == ["2024-11", "2024-12 (reconstructed)"]
    fig = charts.track_record_chart(RECORD)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Actual", "Forecast a month ahead", "Reconstructed from the data (no forecast published)"]
    published, rebuilt = [line for line in ax.get_lines() if line.get_label() in labels[1:]]
    assert np.isnan(published.get_ydata()[1]) and published.get_ydata()[0] == 480.0   # not on the published line
    assert np.isnan(rebuilt.get_ydata()[0]) and rebuilt.get_ydata()[1] == 532.9 and rebuilt.get_linestyle() == "None"
    plt.close(fig)
    fig = charts.track_record_chart(RECORD.assign(reconstructed=False))
    assert len(fig.axes[0].get_legend().get_texts()) == 2
    plt.close(fig)


def _section(summary, monkeypatch):
    from types import SimpleNamespace

    from retention_lib.report.sections import actions

    monkeypatch.setattr(actions.shown, "list_sentences", lambda *a, **k: [])   # the lists are not this test's
    artifacts = {"actions_summary": summary, "clv_summary": {"horizon_months": 12}, "track_record_chart": None}
    run = SimpleNamespace(read=artifacts.get, has=artifacts.__contains__, config=SimpleNamespace(currency="CNY"),
                          month=pd.Period("2025-03", "M"))
    return "".join(item.data for item in actions.actions_section(run))


def _summary(record, note=None):
    return json.loads(json.dumps({"campaigns": [], "campaign_overview": {}, "campaigns_described": [],
                                  "track_record": record.to_dict("records"), "track_record_note": note},
                                 default=lambda m: m.to_dict()))


def test_the_report_and_the_findings_say_reconstructed_or_why_there_is_none(monkeypatch, tmp_path):
    html = _section(_summary(RECORD), monkeypatch)
    assert "No forecast for 2025-01 was published a month ahead, so it is reconstructed from the data: this " \
           "month's churn model, fitted to the end of 2024-12, would have forecast 533 member purchase days; " \
           "members made 514 (+3.7%)." in html
    html = _section(_summary(RECORD.iloc[:1]), monkeypatch)
    assert "For 2024-12, the model forecast 480" in html and "reconstructed" not in html

    note = Message("track_record.cannot.no_model", month="2025-01")
    html = _section(_summary(RECORD.iloc[:0], note), monkeypatch)
    assert "no forecast for this month was recorded yet" in html
    assert "A forecast for 2025-01 cannot be reconstructed from the data: this month at-risk members" in html

    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "actions_summary.json").write_text(json.dumps(_summary(RECORD)), encoding="utf-8")
    assert key_findings(tmp_path, "CNY") == [
        "Reconstructed from the data, as no forecast was published a month ahead: the churn model fitted to the "
        "end of 2024-12 would have forecast 533 member purchase days for 2025-01; members made 514 (+3.7%)."]
