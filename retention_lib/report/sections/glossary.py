"""Terms used: each word the report counts by, defined once with this month's values (the lapse
rule's days, the at-risk threshold, the CLV convention), judged as the month's churn view judges.

It stands before the data-quality footnote: the footnote stays last, and the terms close the
analysis they define."""
from __future__ import annotations

import html

from IPython.display import HTML

from retention_lib.analytics import segments
from retention_lib.core.messages import Message
from retention_lib.core.run import Run
from retention_lib.report.text import say, say_html

# The terms, in the order a reader meets them.
TERMS: tuple[str, ...] = ("shopped", "base", "new", "active", "at_risk", "lapsed", "dormant", "lost", "churn_rate",
                          "flagged", "p_alive", "clv", "value_at_stake", "rfm_segment", "value_tier")


def definitions(run: Run) -> dict[str, Message]:
    """Each term's definition as a Message with this month's values."""
    lapse = run.read("kpi_board")["lapse"]
    h = run.read("churn_summary")["headline"]
    value = run.read("clv_summary")
    seg = run.read("segments_summary")
    model = h["method"] == "model"
    out = {
        "shopped": Message("glossary.shopped"),
        "base": Message("glossary.base"),
        "new": Message("glossary.new"),
        "active": Message("glossary.active.states", lapse_days=h["lapse_days"]),
        "at_risk": (Message("glossary.at_risk.states.model", threshold=h["threshold"], model=h["model"],
                            lapse_days=h["lapse_days"], overdue_factor=h["overdue_factor"]) if model
                    else Message("glossary.at_risk.states.lapse_rule", overdue_factor=h["overdue_factor"])),
        "lapsed": Message("glossary.lapsed.states", lapse_days=lapse["days"], rule=lapse["rule"]),
        "dormant": Message("glossary.dormant", winback_days=h["winback_days"]),
        "lost": Message("glossary.lost", winback_days=h["winback_days"]),
        "churn_rate": Message("glossary.churn_rate.states"),
        "flagged": Message("glossary.flagged"),
        "p_alive": (Message("glossary.p_alive.model", model=h["model"]) if model
                    else Message("glossary.p_alive.lapse_rule")),
        "clv": Message("glossary.clv", horizon_months=value["horizon_months"], margin=value["margin"],
                       annual_discount_rate=value["annual_discount_rate"], currency=run.config.currency),
        "value_at_stake": Message("glossary.value_at_stake.states"),
        "rfm_segment": Message("glossary.rfm_segment", window_days=segments.RFM_WINDOW_DAYS,
                               lapse_days=seg["recency"]["lapse_days"] if seg else lapse["days"]),
        "value_tier": Message("glossary.value_tier.states"),
    }
    return {t: out[t] for t in TERMS}


def glossary_section(run: Run) -> list | None:
    if not (run.has("kpi_board") and run.has("churn_summary") and run.has("clv_summary")):
        return None
    rows = "".join(f"<dt><b>{html.escape(say(f'glossary.term.{term}'))}</b></dt><dd>{say_html(message)}</dd>"
                   for term, message in definitions(run).items())
    return [HTML(f"<p>{say_html('glossary.intro')}</p><dl class=\"glossary\">{rows}</dl>")]
