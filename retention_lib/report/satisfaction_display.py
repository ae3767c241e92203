"""The satisfaction and complaints paragraphs and tables of the report and of notebook 06, in the
reader's language, from satisfaction_summary (or the month's figures)."""
from __future__ import annotations

import pandas as pd

from retention_lib.analytics.satisfaction.dimensions import MIN_DRIVER_N
from retention_lib.analytics.satisfaction.scores import MIN_N
from retention_lib.report import measures
from retention_lib.report.text import MISSING, ci, count, headers, label, level, listing, number, say, theme_label


def _change_text(c: dict | None, name: str) -> str:
    """A change of NPS or CSAT in its unit (report/measures), with the range it very likely lies in."""
    if c is None:
        return say("satisfaction.change.none")
    verdict = say("satisfaction.significant" if c["significant"] else "satisfaction.not_significant")
    key = "satisfaction.change.small" if c["small_sample"] else "satisfaction.change"
    return say(key, change=measures.change(name, c["change"]),
               ci=measures.interval(name, c["lo"], c["hi"], change_of=True), verdict=verdict)


def headline_table(head: dict) -> pd.DataFrame:
    """NPS, CSAT (and CES) of the month with intervals and changes, as display text."""
    now, ch = head["now"], head["changes"]
    before = say("satisfaction.table.versus", month=head["previous_month"])
    year = say("satisfaction.table.versus", month=head["year_ago_month"])
    measure, value_, interval, responses = (say(f"satisfaction.table.{c}") for c in
                                            ("measure", "value", "ci", "responses"))
    n, c = now["nps"], now["csat"]
    rows = [{measure: say("satisfaction.measure.nps"), value_: measures.value("nps", n["nps"]),
             interval: measures.interval("nps", n["lo"], n["hi"]), responses: n["n"],
             before: _change_text(ch["month_on_month"]["nps"], "nps"), year: _change_text(ch["year_on_year"]["nps"], "nps")},
            {measure: say("satisfaction.measure.csat"), value_: measures.value("csat", c["csat"]),
             interval: measures.interval("csat", c["lo"], c["hi"]), responses: c["n"],
             before: _change_text(ch["month_on_month"]["csat"], "csat"),
             year: _change_text(ch["year_on_year"]["csat"], "csat")}]
    if now.get("ces"):
        e = now["ces"]
        rows.append({measure: say("satisfaction.measure.ces"), value_: number(e["mean"], 2),
                     interval: ci(e["lo"], e["hi"], "num", 2), responses: e["n"], before: "", year: ""})
    return pd.DataFrame(rows)


def headline_text(head: dict) -> str:
    """One paragraph on the month's NPS and CSAT and whether they really changed."""
    now, month = head["now"], head["month"]
    if now["n"] == 0:
        return say("satisfaction.no_responses", month=month)
    n, c = now["nps"], now["csat"]
    text = say("satisfaction.headline", month=month, responses=now["n"], nps=n["nps"], nps_lo=n["lo"],
               nps_hi=n["hi"], promoters=n["share_promoters"], detractors=n["share_detractors"], csat=c["csat"],
               csat_lo=c["lo"], csat_hi=c["hi"])
    mom = head["changes"]["month_on_month"]
    moves = []
    for key in ("nps", "csat"):
        d = mom[key]
        if d is None:
            continue
        name = label("outcome", key)
        if d["significant"]:
            moves.append(say("satisfaction.significant.rose" if d["change"] > 0 else "satisfaction.significant.fell",
                             measure=name, points=measures.change(key, abs(d["change"])).lstrip("+"), previous_month=head["previous_month"]))
        else:  # a sentence that starts with it has its own form
            moves.append(say("satisfaction.noise.first" if not moves else "satisfaction.noise", measure=name,
                             points=measures.change(key, d["change"]), previous_month=head["previous_month"]))
    if moves:
        text += " " + say("satisfaction.moves", moves=say("list.semicolon").join(moves))
    if now["n"] < MIN_N:
        text += " " + say("satisfaction.small", minimum=MIN_N)
    return text


def drivers_text(d: dict | None) -> str:
    if d is None:
        return say("drivers_text.too_few", minimum=MIN_DRIVER_N)
    dims = {row["dimension"]: row for row in d["dimensions"]}
    top = dims[d["strongest"]]
    divider = d["importance_divider"]
    fix = [say("drivers_text.fix.unclear", dimension=k) if dims[k]["importance_lo"] <= divider
           else label("dimension_inline", k) for k in d["fix_first"]]
    text = say("drivers_text.main", complete=d["complete_cases"], window_start=d["window_start"],
               window_end=d["window_end"], dropped=d["incomplete_dropped"], r2=d["r2"], outcome=d["outcome"],
               top=d["strongest"], importance=top["importance"], importance_lo=top["importance_lo"],
               importance_hi=top["importance_hi"])
    text += " " + (say("drivers_text.fix", dimensions=listing(fix)) if fix
                   else say("drivers_text.no_fix"))
    near = [row["dimension"] for row in d["dimensions"] if not row["fix_first"] and row["performance"]
            < d["performance_divider"] and row["importance_lo"] <= divider <= row["importance_hi"]]
    if near:
        text += " " + say("drivers_text.near", dimensions=near)
    return text


def behaviour_text(b: dict | None, currency: str) -> str:
    if b is None:
        return say("satisfaction.no_cohort")
    g = {row["group"]: row for row in b["groups"]}
    d, p = g["detractor"], g["promoter"]
    if not d["members"] or not p["members"]:
        return say("behaviour.not_both", definition=b["definition"])
    c = b["detractor_vs_promoter"]
    text = say("behaviour.main", members=b["members"], detractor_churn=d["churn_share"], detractors=d["members"],
               window_days=b["window_days"], promoter_churn=p["churn_share"], promoters=p["members"],
               difference=c["churn_difference"], lo=c["lo"], hi=c["hi"],
               verdict=say("behaviour.real" if c["significant"] else "behaviour.unclear"))
    if d["p_alive"] is not None and p["p_alive"] is not None:
        text += " " + say("behaviour.p_alive", detractor_p_alive=d["p_alive"], promoter_p_alive=p["p_alive"],
                          detractor_spend=d["spend"], promoter_spend=p["spend"], currency=currency,
                          window_days=b["window_days"])
    if d["small_sample"] or p["small_sample"]:
        text += " " + say("behaviour.small", minimum=MIN_N)
    return text


def availability_text(has_surveys: bool, has_complaints: bool) -> str:
    """What the source lacks, in plain words; empty when it has both surveys and complaints."""
    if not has_surveys and not has_complaints:
        return say("satisfaction.no_data")
    if not has_surveys:
        return say("satisfaction.no_surveys")
    if not has_complaints:
        return say("satisfaction.no_complaints")
    return ""


def score_display(records: list[dict], key: str, header: str, limit: int = 15) -> pd.DataFrame:
    """A by-store or by-channel score table as display text: groups with MIN_N or more responses
    first, lowest NPS first within each, at most `limit` rows. `header` names the first column
    (a key of complaints.table or store)."""
    t = pd.DataFrame(records)
    if t.empty:
        return t
    t = t.assign(_small=t["responses"] < MIN_N).sort_values(["_small", "nps"], na_position="last").head(limit)

    def interval(v, lo, hi, pct):
        if v is None or pd.isna(v):
            return say("missing")
        return say("scores.csat" if pct else "scores.nps", value=v, lo=lo, hi=hi)
    return pd.DataFrame({
        say(header): [level(v) for v in t[key]],
        say("scores.table.responses"): [say("scores.small", n=n) if n < MIN_N else count(n) for n in t["responses"]],
        say("scores.table.nps"): [interval(v, lo, hi, False) for v, lo, hi in zip(t["nps"], t["nps_lo"], t["nps_hi"])],
        say("scores.table.csat"): [interval(v, lo, hi, True) for v, lo, hi in
                                   zip(t["csat"], t["csat_lo"], t["csat_hi"])],
    })


def themes_display(themes: dict) -> pd.DataFrame:
    """Comment themes as counts only: never any comment text."""
    t = pd.DataFrame(themes["themes"])
    if t.empty:
        return t
    t = t.assign(theme=[theme_label(k) for k in t["theme"]])
    return headers(t[["theme", "comments", "zh", "en", "from_detractors", "from_promoters"]], "themes.table")


# --------------------------------------------------------------------------- complaints
def category_label(category) -> str:
    """A complaint category by the name of its survey dimension where it has one ("checkout
    wait" is "Checkout speed"), a missing one by its label, any other as the data has it."""
    return level(category) if category in MISSING else label("complaint_category", category)


def store_display(records: list[dict], limit: int = 15) -> pd.DataFrame:
    """Complaints by store as display text, highest rate first (equal rates by store id), at
    most `limit` rows."""
    t = pd.DataFrame(records)
    if t.empty:
        return t
    t = t.assign(_store=t["store_id"].astype(str))
    t = t.sort_values(["per_1000_baskets", "_store"], ascending=[False, True], na_position="last").head(limit)

    def per(v, lo, hi):
        return say("missing") if v is None or pd.isna(v) else say("complaints.rate", value=v, lo=lo, hi=hi)
    return pd.DataFrame({say("complaints.table.store"): [level(s) for s in t["store_id"]],
                         say("complaints.table.complaints"): t["complaints"],
                         say("complaints.table.baskets"): [count(b) for b in t["baskets"]],
                         say("complaints.table.rate"): [per(v, lo, hi) for v, lo, hi in
                                                        zip(t["per_1000_baskets"], t["per_1000_lo"],
                                                            t["per_1000_hi"])]})


def complaints_text(s: dict) -> str:
    """One paragraph on the month's complaints, from `summary`'s output."""
    r, res, sl = s["rate"], s["resolution"], s["sla"]
    if not r["baskets"]:
        return say("complaints.no_baskets", month=s["month"])
    parts = [say("complaints.opened", complaints=r["complaints"], month=s["month"], rate=r["per_1000_baskets"],
                 lo=r["per_1000_lo"], hi=r["per_1000_hi"])]
    mom = s["change_month_on_month"]
    if mom is not None:
        parts.append(say("complaints.change.significant" if mom["significant"] else "complaints.change.noise",
                         previous=s["previous_month"]["complaints"], change=mom["change"]))
    if res["closed_resolved"]:
        figures = dict(closed=res["closed"], resolved=res["closed_resolved"], median_hours=res["median_hours"],
                       p90_hours=res["p90_hours"])
        unresolved = res["closed_unresolved"]
        parts.append(say("complaints.resolved.unresolved", n=unresolved, **figures) if unresolved
                     else say("complaints.resolved", **figures))
    if sl["due"]:
        parts.append(say("complaints.sla", due=sl["due"], sla_hours=sl["sla_hours"], breached=sl["breached"],
                         share=sl["breach_share"], lo=sl["breach_lo"], hi=sl["breach_hi"]))
    parts.append(say("complaints.backlog", open=sl["open_at_end"], past=sl["backlog_past_sla"],
                     sla_hours=sl["sla_hours"]))
    if res["small_sample"] or sl["small_sample"]:
        parts.append(say("complaints.small", minimum=MIN_N))
    return " ".join(parts)
