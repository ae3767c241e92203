"""The action lists, campaigns and track record as a reader sees them, in the report and in
notebook 07: the lists' sentences, the campaign lines and tables as display text (numbers
formatted with their units, campaign types as labels, no row numbers, no NaN)."""
from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd

from retention_lib.analytics import campaigns, early_warning
from retention_lib.report.text import (ci, count, date_label, headers, label, money, month_label, number, percent, say,
                                       say_html, signed)

RUN = 3   # consecutive numeric ids shown as a range from this many on


# ---------------------------------------------------------------- labels
def id_list(ids: Iterable[str]) -> list[str]:
    """Campaign ids in reading order, runs of consecutive whole numbers shown as a range (1–10)."""
    ids = list(dict.fromkeys(str(i) for i in ids))
    ids.sort(key=campaigns.order_key(ids))
    if not ids or not all(i.isdigit() for i in ids):
        return ids
    out, run = [], [ids[0]]
    for i in ids[1:]:
        if int(i) == int(run[-1]) + 1:
            run.append(i)
            continue
        out += _run(run)
        run = [i]
    return out + _run(run)


def _run(run: list[str]) -> list[str]:
    return [say("actions.id_range", first=run[0], last=run[-1])] if len(run) >= RUN else run


def _types(entries: list[dict]) -> list[str]:
    return sorted({label("campaign_type", e["type"]) for e in entries}, key=lambda t: (t.casefold(), t))


# ---------------------------------------------------------------- the lists
def list_sentences(summary: dict, currency: str, horizon_months: int, html: bool = True) -> list[str]:
    """The retain, win-back, welcome, birthday and holiday lists in a sentence each, each naming its file.
    Without a consent field in the data no one can be contacted: each contact list's sentence says what it
    would hold."""
    fill: Callable = say_html if html else say
    out = []
    for name in ("retain", "winback", "welcome"):
        c = summary.get(name)
        if not c:
            continue
        if c.get("consent_field", True):
            out.append(fill(f"actions.{name}.listed", listed=c["listed"], value=c.get("listed_value"),
                            currency=currency, horizon_months=horizon_months, candidates=c["candidates"],
                            without_consent=c["without_consent"], over_budget=c["over_budget"], budget=c["budget"],
                            file=f"actions/{name}.csv", **c.get("by_state", {})))
        else:
            out.append(fill(f"actions.{name}.no_consent_field", listed=c["listed_if_consented"],
                            value=c.get("value_if_consented"), currency=currency, horizon_months=horizon_months,
                            candidates=c["candidates"], budget=c["budget"]))
    bd, hg = summary["birthdays"], summary["holiday_greetings"]
    if "listed" in bd:
        out.append(fill("actions.birthdays", listed=bd["listed"]) if bd.get("consent_field", True)
                   else fill("actions.birthdays.no_consent_field", members=bd["birthdays"]))
    if "listed" in hg:
        out.append(fill("actions.holidays.of", listed=hg["listed"], members=hg["core_and_key"],
                        without_consent=hg["without_consent"]) if hg.get("consent_field", True)
                   else fill("actions.holidays.no_consent_field", members=hg["core_and_key"]))
    return out


def unavailable_list(counts: dict) -> str | None:
    """Why a care list has no counts this month, when it has none."""
    return say(f"actions.unavailable.{counts['unavailable']}") if "unavailable" in counts else None


def list_table(rows: pd.DataFrame, currency: str, top: int = 10) -> pd.DataFrame:
    """The first rows of a contact list as display text (without names and phone numbers)."""
    head = rows.head(top)
    shown = {"rank": [count(v) for v in head["rank"]], "customer_id": head["customer_id"].astype(str).tolist()}
    if "top_categories" in head:
        shown["top_categories"] = head["top_categories"].fillna(say("missing")).tolist()
    shown["home_store"] = head["home_store"].fillna(say("missing")).astype(str).tolist()
    if "state" in head:
        shown["state"] = [label("state", v) for v in head["state"]]
    if "tier" in head:
        shown["tier"] = [label("tier", v) for v in head["tier"]]
    shown["last_purchase"] = [date_label(v) for v in head["last_purchase"]]
    for col, fmt in (("p_alive", lambda v: percent(v, 0)), ("clv", lambda v: money(v, 0)),
                     ("clv_if_alive", lambda v: money(v, 0)), ("value_at_stake", lambda v: money(v, 0)),
                     ("contact_value", lambda v: money(v, 0))):
        if col in head:
            shown[col] = [fmt(v) for v in head[col]]
    if "newly_at_risk" in head:
        shown["newly_at_risk"] = [say("actions.yes" if bool(v) else "actions.no") for v in head["newly_at_risk"]]
    return headers(pd.DataFrame(shown), "actions.list", currency=currency)


# ---------------------------------------------------------------- campaigns
def _means(measure: str, v) -> str:
    if measure == "reactivated":
        return percent(v, 1)
    return money(v, 2) if measure == "spend" else number(v, 2)


def _difference(measure: str, v) -> str:
    if measure == "reactivated":
        return say("actions.value.pp", value=v)
    return signed(v, 0 if measure == campaigns.REVENUE else 2)


def _interval(measure: str, lo, hi) -> str:
    if measure == "reactivated":
        return say("actions.interval.pp", low=lo, high=hi)
    return ci(lo, hi, "signed", 0 if measure == campaigns.REVENUE else 2)


def status_text(row: dict) -> str:
    return say(f"actions.status.{row['status']}", weeks=row["window_weeks"], end=row["window_end"])


def report_rows(records: list[dict], currency: str) -> pd.DataFrame:
    """The report's table: campaigns with a randomised control group (measured, or waiting for
    their window to close), one row each, in reading order. Campaigns that cannot be evaluated
    are in `unevaluable_sentence`, never here."""
    rows = []
    for c in records:
        if c["status"] == campaigns.WINDOW_OPEN:
            result = status_text(c)
        elif c["status"] != campaigns.ESTIMATED or c.get("measure") not in ("reactivated", campaigns.REVENUE):
            continue
        elif c["measure"] == "reactivated":
            result = say("actions.reactivation" if c["significant"] else "actions.reactivation.not_significant",
                         treatment=c["treatment_mean"], control=c["control_mean"], uplift=c["uplift"],
                         low=c["low"], high=c["high"])
        else:
            rows[-1]["result"] = say("actions.revenue", result=rows[-1]["result"], uplift=c["uplift"],
                                     currency=currency, low=c["low"], high=c["high"], weeks=c["window_weeks"])
            continue
        rows.append({"campaign": c["campaign_id"], "type": label("campaign_type", c["type"]), "sent": date_label(c["sent_at"]),
                     "result": result})
    return headers(pd.DataFrame(rows, columns=["campaign", "type", "sent", "result"]), "actions.table")


def unevaluable_sentence(overview: dict, start, html: bool = True) -> str | None:
    """One line for the campaigns that cannot be evaluated (sent before the data starts, or
    without a control group): how many, their ids and types."""
    fill: Callable = say_html if html else say
    before, none = overview.get(campaigns.BEFORE_DATA, []), overview.get(campaigns.NO_CONTROL, [])
    if before and none:
        return fill("actions.unevaluable.both", n=len(before) + len(none), before=len(before), start=start,
                    before_ids=id_list(e["campaign_id"] for e in before), no_control=len(none),
                    no_control_ids=id_list(e["campaign_id"] for e in none), no_control_types=_types(none))
    if before:
        return fill("actions.unevaluable.before_data", n=len(before), start=start,
                    ids=id_list(e["campaign_id"] for e in before), types=_types(before))
    if none:
        return fill("actions.unevaluable.no_control", n=len(none), ids=id_list(e["campaign_id"] for e in none),
                    types=_types(none))
    return None


def evaluation_table(evaluation: pd.DataFrame, currency: str) -> pd.DataFrame:
    """notebook 07: every campaign with its status, and per measure the means, uplift and interval."""
    rows = []
    for c in evaluation.to_dict("records"):
        measure = c.get("measure") if isinstance(c.get("measure"), str) else None
        estimated = measure is not None
        rows.append({
            "campaign": c["campaign_id"], "type": label("campaign_type", c["type"]), "sent": date_label(c["sent_at"]),
            "status": status_text(c), "n_treatment": count(c["n_treatment"]), "n_control": count(c["n_control"]),
            "measure": say(f"actions.measure.{measure}", currency=currency) if estimated else say("missing"),
            "treatment_mean": _means(measure, c.get("treatment_mean")) if estimated else say("missing"),
            "control_mean": _means(measure, c.get("control_mean")) if estimated else say("missing"),
            "uplift": _difference(measure, c["uplift"]) if estimated else say("missing"),
            "interval": _interval(measure, c["low"], c["high"]) if estimated else say("missing"),
            "significant": say("actions.yes" if c["significant"] else "actions.no") if estimated else say("missing"),
        })
    frame = pd.DataFrame(rows)
    # a month where nothing could be estimated shows no columns of dashes
    empty = [c for c in frame if (frame[c] == say("missing")).all()]
    return headers(frame.drop(columns=empty), "actions.eval")


def described_table(described: pd.DataFrame, currency: str) -> pd.DataFrame:
    """notebook 07: targeted members beside untargeted recent shoppers (not an effect)."""
    rows = [{"campaign": d["campaign_id"], "type": label("campaign_type", d["type"]),
             "measure": say(f"actions.measure.{d['measure']}", currency=currency),
             "targeted": count(d["targeted"]), "untargeted": count(d["untargeted"]),
             "targeted_mean": _means(d["measure"], d["targeted_mean"]),
             "untargeted_mean": _means(d["measure"], d["untargeted_mean"]),
             "difference": _difference(d["measure"], d["difference"]),
             "interval": _interval(d["measure"], d["low"], d["high"])}
            for d in described.to_dict("records")]
    return headers(headers(pd.DataFrame(rows), "actions.described"), "actions.eval")


# ---------------------------------------------------------------- the model's track record
def track_record_table(record: pd.DataFrame) -> pd.DataFrame:
    """notebook 07: each forecast month scored; a forecast reconstructed from the data says so where it was made."""
    # a record without the flag holds published forecasts only
    rebuilt = record["reconstructed"] if "reconstructed" in record else [False] * len(record)
    shown = pd.DataFrame({
        "for_month": [month_label(v) for v in record["for_month"]],
        "made_in": [say("track_record.made_in.reconstructed", month=v) if r else month_label(v)
                    for v, r in zip(record["made_in"], rebuilt)],
        "members": [count(v) for v in record["members"]],
        "predicted_purchases": [number(v, 0) for v in record["predicted_purchases"]],
        "actual_purchases": [number(v, 0) for v in record["actual_purchases"]],
        "aggregate_error_pct": [say("actions.value.percent", value=v) for v in record["aggregate_error_pct"]],
        "mae": [number(v, 2) for v in record["mae"]],
        "predicted_active": [number(v, 0) for v in record["predicted_active"]],
        "actual_active": [number(v, 0) for v in record["actual_active"]],
        "brier_active": [number(v, 3) for v in record["brier_active"]],
    })
    return headers(shown, "actions.record")


# ---------------------------------------------------------------- next-month churn: did the warnings come true
def _times(share: float | None, rest: float | None) -> float | None:
    return share / rest if share is not None and rest and share == share and rest == rest else None


def churn_record_sentences(last: dict, html: bool = True) -> list[str]:
    """The last scored forecast month: who bought nothing, how the chance of it ranked them, and how often the
    at-risk and warned members bought nothing against the rest of the base (nothing before states were kept)."""
    speak = say_html if html else say
    if not last.get("base_members"):
        return []
    out = [speak("track_record.churn", for_month=last["for_month"], made_in=last["made_in"], base=last["base_members"],
                 share=last["no_purchase_share"], auc=last["auc"], lift=last["top_decile_lift"])]
    for group in ("at_risk", "warned"):
        members, share, rest = (last.get(f"{group}_members"), last.get(f"{group}_no_purchase"),
                                last.get(f"not_{group}_no_purchase"))
        if members:
            out.append(speak(f"track_record.{group}", members=members, share=share, rest=rest,
                             times=_times(share, rest)))
    return out


def reasons_record_table(warnings: dict) -> pd.DataFrame:
    """notebook 07: each early-warning reason of last month, and how often its members bought nothing."""
    rows = [{"reason": label("warning", r["reason"]), "members": count(r["members"]),
             "no_purchase": percent(r["no_purchase"]), "rest_no_purchase": percent(r["rest_no_purchase"]),
             "times": number(_times(r["no_purchase"], r["rest_no_purchase"]), 1)}
            for r in sorted(warnings.get("reasons", []), key=lambda r: early_warning.REASONS.index(r["reason"]))]
    return headers(pd.DataFrame(rows), "track_record.reason")


def reliability_table(warnings: dict) -> pd.DataFrame:
    """notebook 07: P(no purchase) by tenth of members against the share who bought nothing."""
    rows = [{"decile": count(r["decile"]), "customers": count(r["customers"]), "predicted": percent(r["predicted"]),
             "observed": percent(r["observed"])} for r in warnings.get("reliability", [])]
    return headers(pd.DataFrame(rows), "track_record.reliability")
