"""The blend of a model's forecast with each member's recent rate: its weight is chosen on an earlier
split than the holdout it is judged on, and it is a candidate of `model: auto` like the models."""
import json

import numpy as np
import pandas as pd
import pytest

from retention_lib.analytics import model_choice
from retention_lib.models import backtest, blend
from retention_lib.report import language, text

CAL_END, OBS_END = "2025-03-31", "2025-06-30"


def drifting_store(seed: int = 3, members: int = 800, drift: float = 0.2, leave: float = 0.1,
                   days: int = 548) -> pd.DataFrame:
    """A purchase log from 2024-01-01 whose members' habits drift from quarter to quarter (their weekly
    rate times a lognormal shock) and who leave at a rate: a model that assumes a steady rate and the
    recent rate err differently here."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 0.5, members)   # purchase days per week
    parts = []
    for first in range(0, days, 91):
        hit = rng.random((members, min(91, days - first))) < np.minimum(rate[:, None] / 7, 1)
        member, day = np.nonzero(hit)
        parts.append(pd.DataFrame({"customer_id": [f"m{i:04d}" for i in member],
                                   "timestamp": pd.Timestamp("2024-01-01 10:00") + pd.to_timedelta(first + day, "D")}))
        rate = rate * rng.lognormal(0.0, drift, members) * (rng.random(members) >= leave)
    return pd.concat(parts, ignore_index=True).assign(amount=20.0, is_purchase=True)


@pytest.fixture(scope="module")
def store():
    return drifting_store()


@pytest.fixture(scope="module")
def compared(store):
    return backtest.compare_models(store, CAL_END, OBS_END, ("bgnbd", "mbgnbd"))


def _blend_row(table: pd.DataFrame) -> dict:
    return table[table["kind"] == blend.KIND].iloc[0].to_dict()


def test_the_blend_stands_between_the_models_and_the_baselines(compared):
    table, results = compared
    assert list(table["kind"]) == ["bgnbd", "mbgnbd", blend.KIND, "naive_rate", "naive_recent"]
    row = _blend_row(table)
    fitted = blend.Blend.from_params(row["params"])
    assert row["usable"] and row["model"] == f"{fitted.model} + naive_recent" == fitted.name
    assert fitted.base in results and 0 <= fitted.model_weight <= 1
    assert fitted.model_weight + fitted.recent_weight == pytest.approx(1.0)
    assert json.loads(json.dumps(row["params"])) == row["params"] == fitted.params()   # plain JSON
    # scored on the holdout as its parts are: the same members, its forecast their weighted mean
    parts = table.set_index("kind")
    assert row["customers"] == parts.at["naive_recent", "customers"]
    assert row["predicted_purchases"] == pytest.approx(
        fitted.model_weight * parts.at[fitted.base, "predicted_purchases"]
        + fitted.recent_weight * parts.at["naive_recent", "predicted_purchases"], rel=1e-9)


def test_the_weight_is_chosen_on_the_split_that_ends_where_the_holdout_begins(compared):
    fitted = blend.Blend.from_params(_blend_row(compared[0])["params"])
    assert (fitted.inner_calibration_end, fitted.inner_observation_end) == ("2024-12-30", CAL_END)
    assert blend.inner_window(CAL_END, OBS_END) == (pd.Timestamp("2024-12-30"), pd.Timestamp(CAL_END))
    assert fitted.recent_weeks == 13.0   # the holdout's length: the recent rate is naive_recent's


def test_the_weight_never_sees_the_holdout(store, compared):
    """Every member buying every day of the holdout changes the blend's score, not its weight."""
    table, _ = compared
    cut = pd.Timestamp(CAL_END) + pd.Timedelta(days=1)
    members = store["customer_id"].unique()
    days = pd.date_range(cut, OBS_END, freq="D") + pd.Timedelta(hours=10)
    every_day = pd.DataFrame({"customer_id": np.repeat(members, len(days)), "timestamp": np.tile(days, len(members))})
    changed = pd.concat([store[store["timestamp"] < cut], every_day.assign(amount=20.0, is_purchase=True)])
    again, _ = backtest.compare_models(changed, CAL_END, OBS_END, ("bgnbd", "mbgnbd"))
    assert _blend_row(again)["params"] == _blend_row(table)["params"]
    assert _blend_row(again)["mae"] > 2 * _blend_row(table)["mae"]


def test_the_blend_misses_by_no_more_than_either_part_on_the_split_it_was_fitted_on(store, compared):
    fitted = blend.Blend.from_params(_blend_row(compared[0])["params"])
    inner, _ = backtest.compare_models(store, fitted.inner_calibration_end, fitted.inner_observation_end,
                                       (fitted.base,))
    parts = inner.set_index("kind")["mae"]
    # here the model and the recent rate err differently: the blend is strictly better than both
    assert 0 < fitted.model_weight < 1
    assert fitted.inner_mae < min(parts[fitted.base], parts["naive_recent"])
    # and on the holdout it never saw
    outer = compared[0].set_index("kind")["mae"]
    assert outer[blend.KIND] < min(outer[fitted.base], outer["naive_recent"])


def test_the_same_data_gives_the_same_blend(store, compared):
    table, results = compared
    assert backtest.fit_blend(store, CAL_END, OBS_END, results).params() == _blend_row(table)["params"]


def test_the_first_model_is_the_base_unless_another_beats_it_by_the_margin(store, compared):
    """As model: auto keeps BG/NBD: the blend's model is the month's churn model too."""
    results = compared[1]
    assert backtest.fit_blend(store, CAL_END, OBS_END, results, margin=0.5).base == "bgnbd"
    swapped = {"mbgnbd": results["mbgnbd"], "bgnbd": results["bgnbd"]}
    assert backtest.fit_blend(store, CAL_END, OBS_END, swapped, margin=0.5).base == "mbgnbd"


def test_a_history_too_short_for_the_earlier_split_has_no_blend_and_says_why(store):
    table, results = backtest.compare_models(store, "2024-05-31", "2024-08-31", ("bgnbd",))
    row = _blend_row(table)
    assert "bgnbd" in results and not row["usable"]
    assert "too short" in row["note"] and "earlier split" in row["note"]
    assert blend.KIND not in model_choice.models_compared(table.to_dict("records"))


def test_best_weight_is_the_grids_lowest_mae():
    rng = np.random.default_rng(0)
    actual = pd.Series(rng.poisson(5.0, 2000).astype(float))
    model, recent = actual + rng.normal(0, 2, 2000), actual + rng.normal(0, 2, 2000)
    weight, mae = blend.best_weight(model, recent, actual)
    maes = [(w * model + (1 - w) * recent - actual).abs().mean() for w in blend.WEIGHTS]
    assert mae == pytest.approx(min(maes)) and weight == blend.WEIGHTS[int(np.argmin(maes))]
    assert 0.3 < weight < 0.7 and mae < min((model - actual).abs().mean(), (recent - actual).abs().mean())
    assert blend.best_weight(actual, recent, actual) == (1.0, 0.0)   # a perfect model takes all the weight


def test_the_forecast_scales_the_recent_rate_to_the_horizon():
    fitted = blend.Blend(base="bgnbd", model="BG/NBD", k=None, model_weight=0.6, recent_weeks=13.0,
                         inner_calibration_end="2024-12-30", inner_observation_end="2025-03-31", inner_mae=1.0)
    model = pd.Series([2.0, 1.0, 0.0], index=pd.Index(["a", "b", "c"], name="customer_id"))
    recent = pd.Series([13, 26], index=["a", "c"])   # b bought nothing in the last 13 weeks
    out = fitted.forecast(model, recent, 4.0)
    assert out.tolist() == pytest.approx([0.6 * 2 + 0.4 * 4, 0.6 * 1, 0.4 * 8])
    assert blend.Blend.from_params(fitted.params()) == fitted


def test_auto_chooses_the_blend_when_it_beats_bgnbd_by_the_margin(compared):
    row = {**_blend_row(compared[0]), "mae": 1.5}
    fitted = blend.Blend.from_params(row["params"])
    rows = [{"model": "BG/NBD", "kind": "bgnbd", "usable": True, "mae": 2.0, "params": {}}, row]
    choice = model_choice.choose_model("auto", rows, 0.01, 13.0)
    assert (choice["how"], choice["kind"], choice["k"]) == ("better", fitted.base, fitted.k)
    assert blend.Blend.from_params(choice["blend"]) == fitted   # what the run needs to rebuild it
    assert "blended with each member repeating their last 13 weeks" in text.say(model_choice.choice_note(choice))
    with language.speaking("zh-CN"):
        said = text.say(model_choice.choice_note(choice))
    assert "naive" not in said and fitted.model in said
    # within the margin BG/NBD is kept, the blend named as the closer candidate
    choice = model_choice.choose_model("auto", [rows[0], {**row, "mae": 1.999}], 0.01, 13.0)
    assert (choice["how"], choice["kind"], choice["blend"]) == ("kept_within", "bgnbd", None)
    assert choice["best"].key == "churn.blend"


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_a_blend_giving_one_part_all_the_weight_is_not_a_candidate_of_its_own(compared, weight):
    """At weight 1 it is its model (whose own row stands for it), at 0 naive_recent, a baseline."""
    row = _blend_row(compared[0])
    row = {**row, "params": {**row["params"], "model_weight": weight}, "mae": 0.1}
    rows = [{"model": "BG/NBD", "kind": "bgnbd", "usable": True, "mae": 2.0, "params": {}}, row]
    assert list(model_choice.models_compared(rows)) == ["bgnbd"]
    assert model_choice.choose_model("auto", rows, 0.01, 13.0)["how"] == "kept_best"
