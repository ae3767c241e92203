"""Every word and formatted number a reader sees, in one place: the seam for a second language.

Analysis modules return numbers, flags and keys; this module turns them into sentences, table
cells and headers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from retention_lib.analytics.satisfaction.dimensions import MIN_DRIVER_N
from retention_lib.analytics.satisfaction.month import NO_COMPLAINTS, NO_SURVEYS
from retention_lib.analytics.satisfaction.scores import MIN_N


# --------------------------------------------------------------------------- numbers
def format_value(v: float, kind: str, currency: str = "") -> str:
    if v is None or not np.isfinite(v):
        return "—"
    if kind == "count":
        return f"{v:,.0f}"
    if kind == "rate":
        return f"{v:.1%}"
    if kind == "money":
        return f"{v:,.2f} {currency}".strip()
    if kind == "score":
        return f"{v:+.0f}"
    return f"{v:,.2f}"


def format_change(a: float, rel: float, kind: str) -> str:
    """'+12 (+3.4%)'; rates in percentage points; '—' without a comparison."""
    if a is None or not np.isfinite(a):
        return "—"
    if kind == "rate":
        head = f"{100 * a:+.1f} pp"
    elif kind == "score":
        head = f"{a:+.0f} pts"
    elif kind == "count":
        head = f"{a:+,.0f}"
    else:
        head = f"{a:+,.2f}"
    return head + (f" ({rel:+.1%})" if rel is not None and np.isfinite(rel) else "")


def format_board(b: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """The board as a readable table: value, previous month, year ago and both changes."""
    m, p, y = b["month"].iloc[0], b["previous_month"].iloc[0], b["year_ago_month"].iloc[0]
    return pd.DataFrame({
        "KPI": b["label"],
        m: [format_value(v, k, currency) for v, k in zip(b["value"], b["kind"])],
        p: [format_value(v, k, currency) for v, k in zip(b["previous"], b["kind"])],
        "month on month": [format_change(a, r, k) for a, r, k in zip(b["mom_abs"], b["mom_rel"], b["kind"])],
        y: [format_value(v, k, currency) for v, k in zip(b["year_ago"], b["kind"])],
        "year on year": [format_change(a, r, k) for a, r, k in zip(b["yoy_abs"], b["yoy_rel"], b["kind"])],
    })


# --------------------------------------------------------------------------- satisfaction

NO_DATA = "This data source has no satisfaction surveys or complaints, so this section is empty."


def _ci(lo, hi, fmt: str) -> str:
    return "—" if lo is None or hi is None else f"{format(lo, fmt)} to {format(hi, fmt)}"


def _change_text(c: dict | None, fmt: str, unit: str) -> str:
    if c is None:
        return "— (no responses to compare)"
    verdict = "significant" if c["significant"] else "not significant"
    small = "; small sample" if c["small_sample"] else ""
    return f"{format(c['change'], fmt)}{unit} ({_ci(c['lo'], c['hi'], fmt)}), {verdict}{small}"


def headline_table(head: dict) -> pd.DataFrame:
    """NPS, CSAT (and CES) of the month with intervals and changes, as display text."""
    now, ch = head["now"], head["changes"]
    rows = []
    n, c = now["nps"], now["csat"]
    rows.append({"measure": "NPS (−100 to 100)", "value": "—" if n["nps"] is None else f"{n['nps']:+.0f}",
                 "95% CI": _ci(n["lo"], n["hi"], "+.0f"), "responses": n["n"],
                 f"vs {head['previous_month']}": _change_text(ch["month_on_month"]["nps"], "+.1f", " pts"),
                 f"vs {head['year_ago_month']}": _change_text(ch["year_on_year"]["nps"], "+.1f", " pts")})
    pct = {k: (None if c[k] is None else 100 * c[k]) for k in ("csat", "lo", "hi")}

    def pp(x):
        return None if x is None else {**x, **{k: 100 * x[k] for k in ("change", "lo", "hi")}}
    rows.append({"measure": "CSAT (% rating 4–5)", "value": "—" if pct["csat"] is None else f"{pct['csat']:.0f}%",
                 "95% CI": _ci(pct["lo"], pct["hi"], ".0f").replace(" to", "% to") + ("%" if pct["hi"] is not None else ""),
                 "responses": c["n"],
                 f"vs {head['previous_month']}": _change_text(pp(ch["month_on_month"]["csat"]), "+.1f", " pts"),
                 f"vs {head['year_ago_month']}": _change_text(pp(ch["year_on_year"]["csat"]), "+.1f", " pts")})
    if now.get("ces"):
        e = now["ces"]
        rows.append({"measure": "CES (mean, 1–7)", "value": "—" if e["mean"] is None else f"{e['mean']:.2f}",
                     "95% CI": _ci(e["lo"], e["hi"], ".2f"), "responses": e["n"],
                     f"vs {head['previous_month']}": "", f"vs {head['year_ago_month']}": ""})
    return pd.DataFrame(rows)


def headline_text(head: dict) -> str:
    """One paragraph on the month's NPS and CSAT and whether they really changed."""
    now, month = head["now"], head["month"]
    if now["n"] == 0:
        return (f"No survey responses were received in {month}, so there is no NPS or CSAT for the month; "
                "the trend below shows the months that had responses.")
    n, c = now["nps"], now["csat"]
    text = (f"In {month}, {now['n']:,} customers answered the survey. NPS was {n['nps']:+.0f} "
            f"(95% CI {_ci(n['lo'], n['hi'], '+.0f')}: {n['share_promoters']:.0%} promoters, "
            f"{n['share_detractors']:.0%} detractors) and CSAT {c['csat']:.0%} "
            f"(95% CI {_ci(c['lo'], c['hi'], '.0%')}).")
    mom = head["changes"]["month_on_month"]
    moves = []
    for key, name, scale in (("nps", "NPS", 1), ("csat", "CSAT", 100)):
        d = mom[key]
        if d is None:
            continue
        if d["significant"]:
            moves.append(f"{name} {'rose' if d['change'] > 0 else 'fell'} by {abs(d['change']) * scale:.1f} points "
                         f"since {head['previous_month']}, more than chance explains")
        else:
            moves.append(f"the change in {name} since {head['previous_month']} ({d['change'] * scale:+.1f} points) "
                         "is within the noise of sampling")
    if moves:
        joined = "; ".join(moves)
        text += " " + joined[0].upper() + joined[1:] + "."
    if now["n"] < MIN_N:
        text += f" Fewer than {MIN_N} responses: read these figures with care."
    return text


def drivers_text(d: dict | None) -> str:
    if d is None:
        return (f"Too few complete survey responses (under {MIN_DRIVER_N}) to estimate which dimensions drive "
                "satisfaction.")
    dims = {row["dimension"]: row for row in d["dimensions"]}
    top = dims[d["strongest"]]
    divider = d["importance_divider"]
    fix = [dims[k]["label"] + (" (its importance is not clearly above average)"
                               if dims[k]["importance_lo"] <= divider else "") for k in d["fix_first"]]
    text = (f"From {d['complete_cases']:,} responses between {d['window_start']} and {d['window_end']} that rated all "
            f"seven dimensions ({d['incomplete_dropped']:,} with a dimension left blank were set aside), the "
            f"dimensions explain {d['r2']:.0%} of the variation in the {d['outcome'].upper()} rating. The most important "
            f"is {top['label'].lower()} ({top['importance']:.0%} of the explained variation, 95% CI "
            f"{top['importance_lo']:.0%} to {top['importance_hi']:.0%}). ")
    if fix:
        text += ("Fix first (above-average importance, below-average rating): " + ", ".join(fix) + ".")
    else:
        text += "No dimension is both more important than average and rated below average."
    near = [row["label"] for row in d["dimensions"] if not row["fix_first"] and row["performance"]
            < d["performance_divider"] and row["importance_lo"] <= divider <= row["importance_hi"]]
    if near:
        text += (" Close to the line (rated below average, importance not clearly below average): "
                 + ", ".join(near) + ".")
    return text


def behaviour_text(b: dict | None, currency: str) -> str:
    if b is None:
        return "No member answered a survey in the months before the churn window, so satisfaction cannot be " \
               "linked to churn yet."
    g = {row["group"]: row for row in b["groups"]}
    d, p = g["detractor"], g["promoter"]
    if not d["members"] or not p["members"]:
        return b["definition"] + " There are not both promoters and detractors among them to compare."
    c = b["detractor_vs_promoter"]
    verdict = ("a real difference: the interval excludes zero" if c["significant"]
               else "not a clear difference: the interval includes zero")
    text = (f"Of {b['members']:,} surveyed members, {d['churn_share']:.0%} of detractors (n={d['members']}) made no "
            f"purchase in the last {b['window_days']} days, against {p['churn_share']:.0%} of promoters "
            f"(n={p['members']}): {c['churn_difference'] * 100:+.1f} points (95% CI {c['lo'] * 100:+.1f} to "
            f"{c['hi'] * 100:+.1f}), {verdict}.")
    if d["p_alive"] is not None and p["p_alive"] is not None:
        text += (f" Their mean P(alive) is {d['p_alive']:.0%} against {p['p_alive']:.0%}, and they spent "
                 f"{d['spend']:,.0f} against {p['spend']:,.0f} {currency} each in those days.")
    if d["small_sample"] or p["small_sample"]:
        text += f" One group has fewer than {MIN_N} members: read with care."
    return text


def availability_text(has_surveys: bool, has_complaints: bool) -> str:
    """What the source lacks, in plain words; empty when it has both surveys and complaints."""
    if not has_surveys and not has_complaints:
        return NO_DATA
    if not has_surveys:
        return NO_SURVEYS
    if not has_complaints:
        return NO_COMPLAINTS
    return ""


def score_display(records: list[dict], key: str, label: str, limit: int = 15) -> pd.DataFrame:
    """A by-store or by-channel score table as display text: groups with MIN_N or more responses
    first, lowest NPS first within each, at most `limit` rows."""
    t = pd.DataFrame(records)
    if t.empty:
        return t
    t = t.assign(_small=t["responses"] < MIN_N).sort_values(["_small", "nps"], na_position="last").head(limit)

    def ci(v, lo, hi, pct):
        if v is None or pd.isna(v):
            return "—"
        s, fmt, unit = (100, ".0f", "%") if pct else (1, "+.0f", "")
        return f"{format(v * s, fmt)}{unit} ({format(lo * s, fmt)}{unit} to {format(hi * s, fmt)}{unit})"
    return pd.DataFrame({
        label: t[key].astype(str),
        "responses": [f"{n:,}" + (" (small sample)" if n < MIN_N else "") for n in t["responses"]],
        "NPS (95% CI)": [ci(v, lo, hi, False) for v, lo, hi in zip(t["nps"], t["nps_lo"], t["nps_hi"])],
        "CSAT (95% CI)": [ci(v, lo, hi, True) for v, lo, hi in zip(t["csat"], t["csat_lo"], t["csat_hi"])],
    })


def themes_display(themes: dict) -> pd.DataFrame:
    """Comment themes as counts only: never any comment text."""
    t = pd.DataFrame(themes["themes"])
    if t.empty:
        return t
    return pd.DataFrame({"theme": t["label"], "comments": t["comments"], "in Chinese": t["zh"],
                         "in English": t["en"], "from detractors": t["from_detractors"],
                         "from promoters": t["from_promoters"]})


# --------------------------------------------------------------------------- complaints
def store_display(records: list[dict], limit: int = 15) -> pd.DataFrame:
    """Complaints by store as display text, highest rate first (equal rates by store id), at
    most `limit` rows."""
    t = pd.DataFrame(records)
    if t.empty:
        return t
    t = t.assign(_store=t["store_id"].astype(str))
    t = t.sort_values(["per_1000_baskets", "_store"], ascending=[False, True], na_position="last").head(limit)

    def per(v, lo, hi):
        return "—" if v is None or pd.isna(v) else f"{v:.2f} ({lo:.2f} to {hi:.2f})"
    return pd.DataFrame({"store": t["store_id"].astype(str), "complaints": t["complaints"],
                         "baskets": [f"{b:,}" for b in t["baskets"]],
                         "per 1,000 baskets (95% CI)": [per(v, lo, hi) for v, lo, hi in
                                                        zip(t["per_1000_baskets"], t["per_1000_lo"], t["per_1000_hi"])]})


def complaints_text(s: dict) -> str:
    """One paragraph on the month's complaints, from `summary`'s output."""
    r, res, sl = s["rate"], s["resolution"], s["sla"]
    if not r["baskets"]:
        return f"No baskets in {s['month']}, so no complaint rate."
    text = (f"{r['complaints']:,} complaints were opened in {s['month']}: {r['per_1000_baskets']:.2f} per 1,000 "
            f"baskets (95% CI {r['per_1000_lo']:.2f} to {r['per_1000_hi']:.2f}).")
    mom = s["change_month_on_month"]
    if mom is not None:
        text += (f" Against {s['previous_month']['complaints']:,} the month before, the change of "
                 f"{mom['change']:+.2f} per 1,000 is " + ("significant." if mom["significant"]
                                                          else "within the noise."))
    if res["closed_resolved"]:
        text += (f" Of {res['closed']:,} complaints closed this month, {res['closed_resolved']:,} were resolved, "
                 f"taking {res['median_hours']:.0f} hours at the median and {res['p90_hours']:.0f} hours at the 90th "
                 "percentile")
        unresolved = res["closed_unresolved"]
        text += (f"; {unresolved:,} {'was' if unresolved == 1 else 'were'} closed unresolved." if unresolved else ".")
    if sl["due"]:
        text += (f" Of {sl['due']:,} complaints due for their {sl['sla_hours']:g}-hour service level this month, "
                 f"{sl['breached']:,} ({sl['breach_share']:.0%}, 95% CI {sl['breach_lo']:.0%} to "
                 f"{sl['breach_hi']:.0%}) were not resolved in time.")
    text += (f" At the month's end {sl['open_at_end']:,} complaints were open, {sl['backlog_past_sla']:,} of them "
             f"past the {sl['sla_hours']:g}-hour service level.")
    if res["small_sample"] or sl["small_sample"]:
        text += f" Resolution figures rest on fewer than {MIN_N} complaints: read them with care."
    return text
