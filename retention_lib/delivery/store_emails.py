"""An email per store manager (`email.stores: {S01: [manager@…]}`): the store's own page of the report
(its headline KPIs month on month and year on year, its members at risk and their value, its
complaints and its actions, from the `store_pages` artifact) in the report's language, with the chain's
report attached. Aggregates only: no customer id, name or phone.

Each message is composed into the month's outbox before the month is published (`write_emails`), as
`retention-report-<month>-store-<store>.eml`; `send_emails` sends those still waiting once it is
published (compose.send_email sends every message of the outbox when the chain's email has recipients,
so this sends the store emails only when that did not).
"""
from __future__ import annotations

import hashlib
import json
import html
import re
import unicodedata
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

from retention_lib.core import stages
from retention_lib.core.config import Config
from retention_lib.delivery import compose, smtp
from retention_lib.report import measures, text
from retention_lib.report.text import say

PREFIX = "retention-report-{month}-store-"


def outbox_name(month: str, store: str) -> str:
    """The store's message in the outbox: an ASCII slug of its id, or a short hash of it (a store named
    in Chinese), so every store has its own file."""
    ascii_only = unicodedata.normalize("NFKD", store).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")
    if slug != store.lower():   # not an ASCII id: a stable hash tells stores apart
        slug = "-".join(filter(None, [slug, hashlib.sha1(store.encode("utf-8")).hexdigest()[:8]]))
    return PREFIX.format(month=month) + slug


def kpi_rows(page: dict, currency: str) -> list[tuple[str, str, str, str]]:
    """(label, this month, vs last month, vs a year ago) for the store's headline KPIs."""
    rows = []
    for r in page["kpis"]:
        if r["value"] is None:
            continue
        kind = measures.of_kpi(r["kpi"], r["kind"])
        rows.append((text.kpi_label(r["kpi"]), text.format_value(r["value"], kind, currency),
                     text.format_change(r["mom_abs"], r["mom_rel"], kind, currency=currency),
                     text.format_change(r["yoy_abs"], r["yoy_rel"], kind, currency=currency)))
    return rows


def _plain(sentence: str) -> str:
    """A catalogue sentence without its markup (the plain-text part)."""
    return html.unescape(re.sub(r"<[^>]+>", "", sentence))


def inline_html(title: str, intro: str, rows: list[tuple[str, ...]], columns: tuple[str, ...], lines: list[str],
                actions: list[str], short: str, footer: str) -> str:
    """The store's summary with inline styles only, one column of at most 600 px (a phone's width on a
    phone); `lines` and `actions` are HTML from the catalogue (values escaped), the rest plain text."""
    font = compose.FONT
    cell = "padding:6px 8px;border-bottom:1px solid #ddd;text-align:right;vertical-align:top;"
    # the KPI's name on one line: on a phone the changes wrap instead
    styles = [f"{cell}text-align:left;white-space:nowrap;", f"{cell}font-weight:bold;white-space:nowrap;"] \
        + [cell] * (len(columns) - 2)
    head = "".join(f'<th style="{cell}background:#f0f4f8;{"text-align:left;" if h == "kpi" else ""}">'
                   f'{html.escape(say(f"email.head.{h}"))}</th>' for h in columns)
    body = "".join("<tr>" + "".join(f'<td style="{st}">{html.escape(v)}</td>' for st, v in zip(styles, row))
                   + "</tr>" for row in rows)
    paragraphs = "".join(f'<p style="{font}font-size:15px;line-height:1.4;">{line}</p>' for line in lines)
    items = "".join(f'<li style="margin:6px 0;">{a}</li>' for a in actions)
    return (f'<html><head><meta name="viewport" content="width=device-width,initial-scale=1"></head>'
            f'<body style="{font}margin:0;padding:12px;"><div style="max-width:600px;margin:0 auto;">'
            f'<h2 style="{font}margin:0 0 8px 0;font-size:20px;">{html.escape(title)}</h2>'
            f'<p style="{font}font-size:15px;line-height:1.4;">{html.escape(intro)}</p>'
            + (f'<table style="{font}border-collapse:collapse;font-size:14px;width:100%;"><tr>{head}</tr>{body}'
               f'</table>' if rows else "")
            + paragraphs
            + (f'<h3 style="{font}">{html.escape(say("store_email.actions_title"))}</h3>'
               f'<ol style="{font}font-size:15px;line-height:1.4;padding-left:20px;">{items}</ol>' if actions else "")
            + (f'<p style="{font}font-size:14px;">{short}</p>' if short else "")
            + f'<p style="{font}font-size:12px;color:#666;">{html.escape(footer)}</p></div></body></html>')


def compose_store(folder: Path, cfg: Config, month: str, facts: dict, page: dict, recipients, sender: str
                  ) -> EmailMessage:
    """The store manager's email for one store's page of `store_pages`, the chain's report attached."""
    cur = cfg.currency
    store = text.level(page["store_id"])
    attachment = compose.attachment_name(cfg, month)
    title = say("store_email.subject.simulated" if cfg.simulated else "store_email.subject", store=store,
                month=month, name=cfg.name)
    intro = say("store_email.intro", store=store, month=month, attachment=attachment)
    rows = kpi_rows(page, cur)
    year_ago = any(yoy != say("missing") for *_, yoy in rows)
    columns = ("kpi", "month", "mom", "yoy") if year_ago else ("kpi", "month", "mom")
    from retention_lib.report.sections.stores import page_text   # the report's sections: only for a chain's stores

    t = page_text(facts, page, cur, as_html=True)
    lines = [s for s in (t["states"], t["at_risk"], t["stored_value"], t["complaints"]) if s]
    footer = say("email.footer")
    html_body = inline_html(title, intro, [r[:len(columns)] for r in rows], columns, lines, t["actions"], t["short"],
                            footer)
    row_key = "email.row" if year_ago else "email.row.no_year_ago"
    plain = ([title, "", intro, ""] + [say(row_key, label=a, value=b, mom=c, yoy=d) for a, b, c, d in rows]
             + [""] + [_plain(s) for s in lines]
             + ([""] + [say("store_email.actions_title")] + [f"{i}. {_plain(a)}" for i, a in enumerate(t["actions"], 1)]
                if t["actions"] else [])
             + ([_plain(t["short"])] if t["short"] else []) + ["", footer])
    return smtp.build_message(subject=title, sender=sender, recipients=recipients, text="\n".join(plain),
                              html_body=html_body, images={}, attachment=folder / stages.artifact("report_html").path,
                              attachment_name=attachment)


def _pages(facts: dict) -> dict[str, dict]:
    return {p["store_id"]: p for p in [*facts["stores"], *facts.get("more_pages", [])]}


def write_emails(folder: Path, cfg: Config, month: str, *, env=None, log: Callable[[str], None] = print
                 ) -> list[Path]:
    """Compose each store manager's email into the folder's outbox (before the month is published). A
    store of `email.stores` without a page this month (not in the data, or no member or basket in the
    month) gets no email, and the log says so."""
    if not cfg.store_recipients:
        return []
    path = folder / stages.artifact("store_pages").path
    if not path.exists():
        log(f"email.stores: no store pages for {month} ({path.name} is missing): no store emails written")
        return []
    facts = json.loads(path.read_text(encoding="utf-8"))
    by_store = _pages(facts)
    try:
        settings = smtp.SmtpSettings.from_env(env)
    except smtp.MailError:
        settings = None
    sender = settings.sender if settings else "retention-report@localhost"
    written = []
    for store, recipients in cfg.store_recipients.items():
        page = by_store.get(str(store))
        if page is None:
            log(f"email.stores: store {store!r} has no page for {month} (stores with one: "
                f"{', '.join(sorted(by_store)) or 'none'}): no email written for it")
            continue
        msg = compose_store(folder, cfg, month, facts, page, recipients, sender)
        written.append(smtp.write_outbox(msg, folder / smtp.OUTBOX, outbox_name(month, str(store))))
    return written


def send_emails(folder: Path, cfg: Config, month: str, *, env=None, log: Callable[[str], None] = print,
                **send_options) -> list[Path]:
    """Send the store emails of a published month still waiting in its outbox, when SMTP is configured."""
    waiting = sorted((folder / smtp.OUTBOX).glob(PREFIX.format(month=month) + "*.eml"))
    if not waiting:
        return []
    settings = smtp.SmtpSettings.from_env(env)
    if settings is None:
        log(say("console.no_smtp.stores", n=len(waiting), folder=str(folder / smtp.OUTBOX)))
        return waiting
    return [smtp.deliver(smtp.read_eml(p), folder / smtp.OUTBOX, p.stem, settings, log=log, **send_options)
            for p in waiting]
