"""Which model a month uses: the one a setting names, or under `model: auto` the one the backtest
chooses (choose_model), possibly blended with each member's recent rate (models/blend.py), and the
one line that says which and why."""
from __future__ import annotations

from retention_lib.core.messages import Message
from retention_lib.core.settings import AUTO, AUTO_CANDIDATES
from retention_lib.models import blend, btyd
from retention_lib.models.backtest import BASELINES, beats

KEPT = "bgnbd"   # what `model: auto` keeps unless another model beats it by the margin
NESTED = {"bgcnbd": "bgnbd", "mbgcnbd": "mbgnbd"}   # each CNBD-k model and the model it is at k = 1


def candidates(kind: str, compare: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The models a backtest fits: the setting's model (auto: AUTO_CANDIDATES), then `compare`."""
    return tuple(dict.fromkeys(((*AUTO_CANDIDATES,) if kind == AUTO else (kind,)) + tuple(compare)))


def _mae(row: dict) -> float | None:
    mae = row.get("mae")
    return float(mae) if row.get("usable") and mae is not None and mae == mae else None


def models_compared(comparison: list[dict]) -> dict[str, dict]:
    """The usable candidates of compare_models rows by kind, baselines apart: the models and the blend
    (kind blend.KIND, a model's forecast blended with naive_recent). A CNBD-k model at k = 1 is its
    nested model, so it is one candidate, not two (their MAEs differ only by rounding); likewise a
    blend that gives one part all the weight is that part: its model, or naive_recent, a baseline."""
    usable = {r["kind"]: r for r in comparison if r["kind"] not in BASELINES and _mae(r) is not None}
    for kind, nested in NESTED.items():
        if kind in usable and nested in usable and int(usable[kind]["params"]["k"]) == 1:
            del usable[kind]
    if blend.KIND in usable and usable[blend.KIND]["params"]["model_weight"] in (0.0, 1.0):
        del usable[blend.KIND]
    return usable


def candidate_name(row: dict) -> str | Message:
    """A compare_models row's name as the report says it: a blend by its parts and their weights."""
    if row["kind"] != blend.KIND:
        return row["model"]
    chosen = blend.Blend.from_params(row["params"])
    return Message("churn.blend", model=chosen.model, model_share=chosen.model_weight,
                   baseline=Message(f"baseline.{blend.RECENT}", weeks=chosen.recent_weeks),
                   baseline_share=chosen.recent_weight)


def choose_model(setting: str, comparison: list[dict], margin: float, holdout_weeks: float | None = None) -> dict:
    """The model a setting leads to, and why. A named model is used as named. Under auto: the
    candidate with the lowest per-member holdout MAE, but BG/NBD is kept unless that MAE is lower
    than BG/NBD's by more than `margin` of it (a small gain on one holdout is noise, and BG/NBD is
    the simplest); a CNBD-k model keeps the k the backtest chose. The blend is a candidate like the
    models: chosen, `kind` and `k` are its base model's (the run fits that model) and `blend` its
    params (blend.Blend.from_params rebuilds it; None when no blend is chosen). `comparison`:
    compare_models rows over a holdout of `holdout_weeks`."""
    if setting != AUTO:
        return {"setting": setting, "kind": setting, "k": None, "how": "named", "model": btyd.NAMES[setting]}
    usable = models_compared(comparison)
    if not usable:
        return fallback_choice(Message("churn.choice.none_fitted"))
    best = min(usable.values(), key=_mae)   # the first candidate on a tie
    kept = usable.get(KEPT)
    if kept is None:
        how, chosen = "replaced", best
    elif beats(_mae(best), _mae(kept), margin):
        how, chosen = "better", best
    else:
        how, chosen = ("kept_best" if best is kept else "kept_within"), kept
    params = chosen.get("params") or {}
    blended = chosen["kind"] == blend.KIND
    kind = params["base"] if blended else chosen["kind"]
    return {"setting": AUTO, "kind": kind, "model": candidate_name(chosen), "how": how, "margin": margin,
            "kept": btyd.NAMES[KEPT],
            "k": int(params["k"]) if kind in NESTED else None,
            "blend": params if blended else None,
            "mae": _mae(chosen), "kept_mae": _mae(kept) if kept else None, "best": candidate_name(best),
            "best_mae": _mae(best), "holdout_weeks": holdout_weeks}


def fallback_choice(reason: Message | str | None) -> dict:
    """Under auto without a backtest to choose by: BG/NBD, saying why."""
    return {"setting": AUTO, "kind": KEPT, "k": None, "how": "fallback", "model": btyd.NAMES[KEPT],
            "reason": reason}


def choice_note(choice: dict | None) -> Message | None:
    """One line: which model the month used and why (None in a month saved before the choice existed)."""
    if not choice:
        return None
    return Message(f"churn.choice.{choice['how']}", **{k: v for k, v in choice.items() if k not in ("how", "kind")})
