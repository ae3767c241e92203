"""A page per store: its headline KPIs month on month and year on year, its members at risk and their
value, its complaints and up to three actions drawn from its own numbers (analytics/store_pages.py).
Aggregates only. The store manager's email (delivery/store_emails.py) says the same, from `page_text`."""
from __future__ import annotations

import html
import re

import pandas as pd
from IPython.display import HTML

from retention_lib.core.run import Run
from retention_lib.report import text
from retention_lib.report.sections.common import table, unavailable
from retention_lib.report.text import say, say_html


def board(facts: dict, page: dict) -> pd.DataFrame:
    """The store's KPIs as kpis.board gives them, for text.format_board."""
    b = pd.DataFrame(page["kpis"]).assign(month=facts["month"], previous_month=facts["previous_month"],
                                          year_ago_month=facts["year_ago_month"])
    for col in ("value", "previous", "mom_abs", "mom_rel", "year_ago", "yoy_abs", "yoy_rel"):
        b[col] = pd.to_numeric(b[col], errors="coerce").astype(float)
    return b


def page_text(facts: dict, page: dict, currency: str, *, as_html: bool) -> dict:
    """A store's sentences: at risk, the stored value they and the lapsed and dormant hold (when the data
    has it), complaints, its actions and, when it has fewer than three, the
    line that says so. `as_html`: escaped for HTML (say_html), else plain text (say)."""
    fill = say_html if as_html else say
    chain = facts["chain"]
    out = {"states": "", "at_risk": "", "stored_value": "", "complaints": "",
           "actions": [fill(m) for m in page["actions"]], "short": ""}
    states = page.get("states")
    if states:
        out["states"] = fill("stores.states", month=facts["month"], base=states["new"] + states["active"]
                             + states["at_risk"], **{**states, "active": states["active"] + states["at_risk"]})
    risk = page["at_risk"]
    if risk is not None:
        if not risk["at_risk"]:
            out["at_risk"] = fill("stores.at_risk.none")
        elif risk["value_at_stake"] is not None:
            out["at_risk"] = fill("stores.at_risk.value", n=risk["at_risk"], newly=risk["newly_at_risk"],
                                  value=risk["value_at_stake"], currency=currency)
        else:
            out["at_risk"] = fill("stores.at_risk", n=risk["at_risk"], newly=risk["newly_at_risk"])
    held = page.get("stored_value")
    if held and held.get("with_balance"):
        out["stored_value"] = fill("stores.stored_value", n=held["with_balance"], balance=held["balance"],
                                   currency=currency)
    elif held and held.get("balance") is None and held.get("with_points"):
        out["stored_value"] = fill("stores.stored_value.points", n=held["with_points"], points=held["points"])
    c = page["complaints"]
    if c is not None:
        if c["complaints"] and c["top_category"]:
            out["complaints"] = fill("stores.complaints", n=c["complaints"], month=facts["month"], rate=c["rate"],
                                     chain=chain["complaint_rate"], category=c["top_category"],
                                     top=c["top_category_complaints"])
        elif c["complaints"]:   # no category stands out
            out["complaints"] = fill("stores.complaints.spread", n=c["complaints"], month=facts["month"],
                                     rate=c["rate"], chain=chain["complaint_rate"])
        else:
            out["complaints"] = fill("stores.complaints.none", month=facts["month"], chain=chain["complaint_rate"])
    if not page["actions"]:
        out["short"] = fill("stores.actions.none")
    elif page["short"]:
        out["short"] = fill("stores.actions.short", n=len(page["actions"]))
    if not chain.get("can_contact", True):
        out["short"] = " ".join(filter(None, [out["short"], fill("stores.no_contact")]))
    return out


def anchor(store: str) -> str:
    return "store-" + re.sub(r"\W+", "-", store, flags=re.UNICODE).strip("-")


def store_page(facts: dict, page: dict, currency: str) -> list:
    """One store's page: its name, its KPI table, at risk and complaints, its actions."""
    t = page_text(facts, page, currency, as_html=True)
    name = html.escape(text.level(page["store_id"]))
    lines = " ".join(filter(None, [t["states"], t["at_risk"], t["stored_value"], t["complaints"]]))
    items = [HTML(f'<h3 id="{html.escape(anchor(page["store_id"]))}">{name}</h3>')]
    b = board(facts, page)
    if len(b):
        # the month and its two changes: four columns that fit a phone (the KPI board has the months compared)
        shown = text.format_board(b, currency)
        compared = [text.month_label(facts[k]) for k in ("previous_month", "year_ago_month")]
        items.append(table(shown.drop(columns=[c for c in compared if c in shown.columns])))
    if lines:
        items.append(HTML(f"<p>{lines}</p>"))
    if t["actions"]:
        listed = "".join(f"<li>{a}</li>" for a in t["actions"])
        items.append(HTML(f"<p><b>{say_html('stores.actions')}</b></p><ol>{listed}</ol>"))
    if t["short"]:
        items.append(HTML(f"<p>{t['short']}</p>"))
    return items


def stores_section(run: Run) -> list | None:
    """A page per store the store table lists one by one, then a line for the rest; nothing for a single
    store (the whole report is its page)."""
    facts = run.read("store_pages")
    if facts is None:
        return unavailable(run, "store_pages")
    if len(facts["stores"]) + (1 if facts["rest"] else 0) < 2:
        return None
    cur = run.config.currency
    items = [HTML(f"<p>{say_html('stores.intro', month=facts['month'], home_months=facts['home_store_months'])}</p>")]
    for page in facts["stores"]:
        items += store_page(facts, page, cur)
    rest = facts["rest"]
    if rest:
        line = say_html("stores.rest", n=rest["stores"], active=rest["active_customers"], revenue=rest["revenue"],
                        currency=cur, month=facts["month"])
        items.append(HTML(f"<p>{line}</p>"))
    return items
