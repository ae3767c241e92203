"""Churn and value: the churn model's headline, its backtest and CLV at stake."""
from __future__ import annotations


import pandas as pd
from IPython.display import HTML

from retention_lib.analytics import churn, churn_notes, model_choice, stored_value
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.models.backtest import BASELINES
from retention_lib.models.blend import KIND as BLEND
from retention_lib.report import effects_display, text
from retention_lib.report.sections.common import image, paragraph, table, unavailable

STORES_NAMED = 5   # the stored value's sentence names this many stores, the largest balances first; the rest summed


def lifecycle_items(run: Run) -> list:
    """The month's lifecycle in one paragraph with its stock-and-flow identity, and where members went
    since last month (the flow table), all for all stores."""
    facts = run.read("lifecycle")
    total = facts["scopes"][facts["total"]]
    items = [paragraph("lifecycle.summary", month=run.month, base=total["base_end"], base_start=total["base_start"],
                       new=total["new"], active=total["active"] + total["at_risk"], at_risk=total["at_risk"], lapsed=total["lapsed"],
                       dormant=total["dormant"], lost=total["lost"], new_event=total["new_event"],
                       returned=total["returned"], lapsed_event=total["lapsed_event"]),
             paragraph("lifecycle.flow", previous_month=facts["previous_month"], month=run.month)]
    if run.read("kpi_board").get("new_measured") is False:
        items.append(paragraph("lifecycle.flow.not_measured", winback_days=facts["rule"]["winback_days"]))
    flow = pd.DataFrame(facts["flow"]["values"], index=facts["flow"]["rows"], columns=facts["flow"]["columns"])
    shown = text.relabelled(flow, "state").map(text.count).rename_axis(text.say("lifecycle.flow.from"))
    return items + [table(shown)]


def churn_and_value(run: Run) -> list | None:
    h = run.read("churn_summary")["headline"]
    cur = run.config.currency
    counts = dict(members=h["members_scored"], at_risk=h["at_risk"], newly=h["newly_at_risk"], active=h["active"],
                  lapse_days=h["lapse_days"])
    if h["method"] == "model":
        items = [paragraph("churn.headline.states.model", model=h["model"], month=run.month, threshold=h["threshold"],
                           expected=h["expected_purchases_next_month"], overdue_factor=h["overdue_factor"], **counts)]
    else:
        items = [paragraph("churn.headline.states.lapse_rule", reason=h["reason"], overdue_factor=h["overdue_factor"],
                           **counts)]
    choice = model_choice.choice_note(h.get("choice")) if h["method"] == "model" else None
    if choice is not None:
        items.append(paragraph(choice.key, **choice.params))
    if h["method"] == "model":   # the holiday calendar: found, used or not
        found = churn_notes.calendar_note(h.get("holiday_calendar"), (h.get("choice") or {}).get("kind"), h["model"])
        if found is not None:
            items.append(paragraph(found.key, **found.params))
    regular = run.read("regularity") if run.has("regularity") else None
    if regular:
        found = churn_notes.regularity_note(regular)
        items.append(paragraph(found.key, **found.params))
    bt = run.read("backtest")
    if bt:
        m = bt["metrics"]
        # the forecast the month uses: the blend's own row when auto chose it, else the model's
        used = next((r for r in bt["comparison"] if r["kind"] == BLEND and r.get("usable")), None) \
            if (h.get("choice") or {}).get("blend") else None
        shown = {**m, **{k: used[k] for k in ("predicted_purchases", "actual_purchases", "aggregate_error_pct", "mae")}} \
            if used else m
        items.append(paragraph("churn.backtest", calibration_end=m["calibration_end"],
                               predicted=shown["predicted_purchases"], holdout_weeks=m["holdout_weeks"],
                               observation_end=m["observation_end"], actual=shown["actual_purchases"],
                               error_pct=shown["aggregate_error_pct"], mae=shown["mae"]))
        versus = churn_notes.baseline_note(bt["comparison"], m["holdout_weeks"])
        if versus is not None:
            items.append(paragraph(versus.key, **versus.params))
        compared = backtest_table(bt["comparison"], m["holdout_weeks"])
        if len(compared):
            items.append(table(compared))
    if run.has("member_effects"):   # who buys more and who leaves sooner, attribute by attribute
        said = effects_display.sentences(run.read("member_effects"), kinds=("purchase",))
        items.append(HTML("<p>" + " ".join(said) + "</p>"))
    items += unavailable(run, "backtest", "churn_model") + image(run, "tracking_chart")
    value = run.read("clv_summary")
    said = interval_sentences(value.get("intervals") or {}, cur)
    if said:
        items.append(HTML("<p>" + " ".join(said) + "</p>"))
    items.append(paragraph("clv.summary.states", convention=value["convention"], currency=cur,
                           total_clv=value["total_clv"], at_risk=value["at_risk_members"],
                           at_risk_clv=value["at_risk_clv"], at_stake=value["at_risk_value_at_stake"],
                           newly=value["newly_at_risk_members"], newly_at_stake=value["newly_at_risk_value_at_stake"],
                           winback=value["winback_members"], winback_value=value["winback_value"],
                           lost=value["lost_members"]))
    groups = text.labelled(pd.DataFrame(value["groups"]), "state", "state")
    # counts and money as the reader reads them (separators, the report's one money form; "—" where nothing is in play)
    shown = groups.assign(members=groups["members"].map(text.count),
                          **{c: groups[c].map(lambda v: text.money(v, 0, cur) if pd.notna(v) else "—")
                             for c in ("clv", "clv_if_alive", "value_at_stake")})
    shown = shown.rename(columns={"value_at_stake": "value_in_play"})
    items.append(table(text.headers(shown, "clv.groups", currency=cur)))
    return items + image(run, "clv_chart") + stored_value_items(run)


def interval_sentences(ranges: dict, currency: str, html: bool = True) -> list[str]:
    """How sure the headline figures are, from the models' parameter uncertainty (value.intervals), or why
    there is no range this month."""
    speak = text.say_html if html else text.say
    if "reason" in ranges:
        return [speak("clv.intervals.reason", reason=ranges["reason"])] if ranges["reason"] else []
    if not ranges:
        return []
    span = {f"{k}_{end}": ranges[k][end] for k in ranges for end in ("low", "high")}
    level = ranges["expected_purchases_next_month"]["level"]
    key = "clv.intervals" if "total_clv" in ranges else "clv.intervals.purchases"
    return [speak(key, level=level, currency=currency, **span)]


def backtest_table(comparison: list[dict], holdout_weeks: float) -> pd.DataFrame:
    """The backtest's forecasts, best first: the models, a blend beside its parts, and the baselines, with
    the per-member error over the holdout."""
    def name(r):   # a model's name is its own in every language; a blend and a baseline are said
        said = Message(f"baseline.{r['kind']}", weeks=holdout_weeks) if r["kind"] in BASELINES \
            else model_choice.candidate_name(r)
        return text.say(said) if isinstance(said, Message) else said
    # the candidates as auto weighs them (a CNBD-k model at k = 1 is its nested model; a blend giving one part
    # all the weight is that part), then the baselines
    shown_rows = list(model_choice.models_compared(comparison).values()) + [
        r for r in comparison if r["kind"] in BASELINES and r.get("usable") and r.get("mae") is not None]
    rows = [{"forecast": name(r), "mae": r["mae"], "bias": r["bias"]} for r in shown_rows]
    frame = pd.DataFrame(rows, columns=["forecast", "mae", "bias"]).sort_values("mae", kind="stable")
    shown = frame.assign(mae=frame["mae"].map(lambda v: text.number(v, 2)),
                         bias=frame["bias"].map(lambda v: text.signed(v, 2)))
    return text.headers(shown, "churn.compare", weeks=holdout_weeks)


def stored_value_table(held: dict, currency: str):
    """The stored value by state (at risk, lapsed, dormant, their sum, the lost) as the reader reads it."""
    frame = stored_value.table(held)
    labels = [text.say("stored_value.in_play") if s == stored_value.IN_PLAY_ROW else text.label("state", s)
              for s in frame["state"]]
    shown = frame.assign(state=labels, **{c: frame[c].map(text.count) for c in frame.columns
                                          if c in ("members", "with_balance", "with_points", "points")})
    if "balance" in shown:
        shown["balance"] = frame["balance"].map(lambda v: text.money(v, 0, currency))
    return table(text.headers(shown, "stored_value.table", currency=currency))


def _stores_named(held: dict, currency: str) -> str:
    """The stores' in-play balances (else points), the largest first, STORES_NAMED of them, the rest summed."""
    stores = stored_value.by_store(held)
    money = "stored_value" in held["columns"]
    stores = stores[stores["with_balance" if money else "with_points"] > 0]
    named, rest = stores.head(STORES_NAMED), stores.iloc[STORES_NAMED:]
    key = "stored_value.store" if money else "stored_value.store.points"
    parts = [text.say(key, store=text.level(r["store"]), balance=r["balance"], points=r["points"],
                      n=r["with_balance" if money else "with_points"], currency=currency)
             for _, r in named.iterrows()]
    if len(rest):
        parts.append(text.say("stored_value.more_stores" if money else "stored_value.more_stores.points",
                              n=len(rest), balance=rest["balance"].sum(), points=rest["points"].sum(),
                              currency=currency))
    return text.listing(parts)


def stored_value_items(run: Run) -> list:
    """储值沉淀: the stored value held by members at risk, lapsed or dormant, by store, with what to do, and the
    lost apart; one note when the member table has no balance (analytics/stored_value.py)."""
    held = run.read("stored_value") if run.has("stored_value") else None
    if held is None:
        return []
    if not held["available"]:
        return [HTML(f"<p>{text.say_html(held['reason'])}</p>")]
    cur = run.config.currency
    chain = held["scopes"][held["total"]]
    play, lost = chain[stored_value.IN_PLAY_ROW], chain["lost"]
    money = "stored_value" in held["columns"]
    n = play["with_balance"] if money else play["with_points"]
    counts = {s: (chain[s]["with_balance"] if money else chain[s]["with_points"]) for s in held["in_play_states"]}
    if not n:
        return [paragraph("stored_value.summary.none" if money else "stored_value.points_only.none",
                          month=held["month"])]
    items = [paragraph("stored_value.summary" if money else "stored_value.points_only", n=n,
                       balance=play["balance"], points=play["points"], month=held["month"], currency=cur,
                       stores=_stores_named(held, cur), **counts)]
    extra = []
    if money and play["points"] is not None:
        extra.append(text.say_html("stored_value.points", points=play["points"]))
    lost_n = lost["with_balance"] if money else lost["with_points"]
    if lost_n:
        extra.append(text.say_html("stored_value.lost" if money else "stored_value.lost.points", n=lost_n,
                                   balance=lost["balance"], points=lost["points"], currency=cur))
    extra.append(text.say_html("stored_value.action"))
    items.append(HTML(f"<p>{' '.join(extra)}</p>"))
    return items + [stored_value_table(held, cur)]
