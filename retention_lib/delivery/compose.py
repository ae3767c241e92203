"""What the monthly email says, and the failure notice for operations."""
from __future__ import annotations

import html
import re
import unicodedata
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterable

from retention_lib.delivery import smtp
from retention_lib.core import stages
from retention_lib.core.config import Config
from retention_lib.report.findings import headline_rows, key_findings
from retention_lib.report.text import say

FONT = "font-family:Arial,'Microsoft YaHei',sans-serif;color:#222;"

# Two large single-message charts go inline (by artifact key, captioned by the message
# f"email.chart.{key}"; notebook 08 draws them); the full report, with every chart, is attached.
EMAIL_CHARTS = ("email_trend_chart", "email_churn_chart")


def attachment_name(cfg: Config, month: str) -> str:
    """`<source>-<month>-report.html`: the source is the config file's stem, or its name when the
    stem has no ASCII letter or digit, as a lower-case ASCII slug (a manager saves several)."""
    source = next(filter(None, (_slug(cfg.path.stem), _slug(cfg.name))), "retention")
    return f"{source}-{month}-report.html"


def _slug(value: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")


def compose(folder: Path, cfg: Config, month: str, recipients: Iterable[str], sender: str,
            unavailable: dict | None = None) -> EmailMessage:
    """The summary email for a month folder: aggregates only, never a customer. `unavailable`
    maps each part missing this month to its reason (only the parts' titles are said here)."""
    rows = headline_rows(folder, cfg.currency)
    findings = key_findings(folder, cfg.currency, min_group_n=cfg.setting("min_group_n"))
    images = {key: folder / stages.artifact(key).path for key in EMAIL_CHARTS}
    missing = [str(p) for key, p in images.items() if not p.exists() and stages.artifact(key).required
               and stages.PART_OF_ARTIFACT[key].name not in (unavailable or {})]
    if missing:
        raise FileNotFoundError(f"the email's charts are missing: {missing}")
    images = {key: p for key, p in images.items() if p.exists()}
    attachment = attachment_name(cfg, month)
    title = say("email.subject.simulated" if cfg.simulated else "email.subject", month=month, name=cfg.name)
    intro = say("email.intro", name=cfg.name, month=month, attachment=attachment)
    gaps = say("email.gaps", titles=say("list.semicolon").join(t for titles, _ in stages.by_reason(unavailable) for t in titles)) \
        if unavailable else ""
    footer = say("email.footer")
    # a column of dashes tells nothing: without a year of history, say so once instead
    year_ago = any(yoy != say("missing") for *_, yoy in rows)
    columns = ("kpi", "month", "mom", "yoy") if year_ago else ("kpi", "month", "mom")
    short = "" if year_ago or not rows else say("email.no_year_ago")
    html_body = inline_html(title, " ".join(filter(None, [intro, gaps])), [r[:len(columns)] for r in rows], findings,
                            {key: say(f"email.chart.{key}") for key in images}, footer, columns=columns, note=short)
    row_key = "email.row" if year_ago else "email.row.no_year_ago"
    text = "\n".join([title, "", intro] + ([gaps] if gaps else []) + [""]
                     + [say(row_key, label=label, value=value, mom=mom, yoy=yoy) for label, value, mom, yoy in rows]
                     + ([short] if short else [])
                     + ([""] + [say("email.findings")] + [f"- {f}" for f in findings] if findings else [])
                     + ["", footer])
    return smtp.build_message(subject=title, sender=sender, recipients=recipients, text=text, html_body=html_body,
                              images=images, attachment=folder / stages.artifact("report_html").path,
                              attachment_name=attachment)


def write_email(folder: Path, cfg: Config, month: str, extra_recipients: Iterable[str] = (), *, env=None,
                unavailable: dict[str, str] | None = None) -> Path:
    """Compose the month's email into the folder's outbox (before the month is published, so a
    message that cannot be composed fails the run). Bad SMTP settings are reported when sending."""
    try:
        settings = smtp.SmtpSettings.from_env(env)
    except smtp.MailError:
        settings = None
    recipients = list(dict.fromkeys([*extra_recipients, *cfg.recipients]))
    sender = settings.sender if settings else "retention-report@localhost"
    msg = compose(folder, cfg, month, recipients, sender, unavailable)
    return smtp.write_outbox(msg, folder / smtp.OUTBOX, f"retention-report-{month}")


def send_email(folder: Path, cfg: Config, month: str, *, env=None, log: Callable[[str], None] = print,
               **send_options) -> None:
    """Send the published month's email when SMTP is configured; otherwise say where it waits."""
    settings = smtp.SmtpSettings.from_env(env)
    path = folder / smtp.OUTBOX / f"retention-report-{month}.eml"
    if settings is None:
        log(say("console.no_smtp", path=str(path)))
        return
    if not smtp.read_eml(path)["To"]:
        log(f"SMTP is configured but there are no recipients (--email or email.recipients): not sent; it is in {path}")
        return
    smtp.send_outbox(folder / smtp.OUTBOX, settings, log=log, **send_options)


def failure_notice(cfg: Config, month: str, failed_dir: Path, notebook: str | None, cell: int | None,
                   error: str, *, env=None, log: Callable[[str], None] = print) -> Path | None:
    """A short note to the operations address: which notebook and cell failed, where the log is."""
    if not cfg.ops_email:
        return None
    settings = smtp.SmtpSettings.from_env(env)
    where = notebook or say("failure.where.preparation")
    where = say("failure.where.cell", notebook=where, cell=cell) if cell else where
    text = say("failure.body", month=month, name=cfg.name, where=where, error=error, failed_dir=failed_dir,
               log=failed_dir / "run.log")
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = say("failure.subject", month=month)
    msg["From"] = settings.sender if settings else "retention-report@localhost"
    msg["To"] = cfg.ops_email
    msg.set_content(text)
    try:
        return smtp.deliver(msg, failed_dir / smtp.OUTBOX, f"failure-{month}", settings, log=log, retries=2)
    except smtp.MailError as exc:  # the run has failed already; the notice must not hide why
        log(f"failure notice not sent: {exc}")
        return failed_dir / smtp.OUTBOX / f"failure-{month}.eml"


def inline_html(title: str, intro: str, table: list[tuple[str, ...]], findings: list[str],
                images: dict[str, str], footer: str, *, columns: tuple[str, ...] = ("kpi", "month", "mom", "yoy"),
                note: str = "") -> str:
    """The summary as HTML with inline styles only: many mail clients drop <style> blocks. Images
    are referred to as cid:{key} (smtp.build_message gives them their content ids). `table` rows
    hold one text per column: the KPI's label (left-aligned), then figures (right-aligned)."""
    cell = "padding:6px 8px;border-bottom:1px solid #ddd;text-align:right;vertical-align:top;"
    styles = [f"{cell}text-align:left;", f"{cell}font-weight:bold;white-space:nowrap;"] + [cell] * (len(columns) - 2)
    rows = "".join("<tr>" + "".join(f'<td style="{st}">{html.escape(v)}</td>' for st, v in zip(styles, row)) + "</tr>"
                   for row in table)
    head = "".join(f'<th style="{cell}background:#f0f4f8;{"text-align:left;" if h == "kpi" else ""}">'
                   f'{html.escape(say(f"email.head.{h}"))}</th>' for h in columns)
    items = "".join(f'<li style="margin:6px 0;">{html.escape(f)}</li>' for f in findings)
    # one chart a row, as wide as the column: 600 px on a desktop client, the screen on a phone
    pictures = "".join(f'<p style="margin:16px 0;"><img src="cid:{key}" alt="{html.escape(alt)}" width="600" '
                       f'style="display:block;width:100%;max-width:600px;height:auto;border:0;"></p>'
                       for key, alt in images.items())
    return (f'<html><head><meta name="viewport" content="width=device-width,initial-scale=1"></head>'
            f'<body style="{FONT}margin:0;padding:12px;">'
            f'<div style="max-width:600px;margin:0 auto;">'
            f'<h2 style="{FONT}margin:0 0 8px 0;font-size:20px;">{html.escape(title)}</h2>'
            f'<p style="{FONT}font-size:15px;line-height:1.4;">{html.escape(intro)}</p>'
            + (f'<table style="{FONT}border-collapse:collapse;font-size:14px;width:100%;">'
               f'<tr>{head}</tr>{rows}</table>' if table else "")
            + (f'<p style="{FONT}font-size:13px;color:#555;">{html.escape(note)}</p>' if note else "")
            + (f'<h3 style="{FONT}">{html.escape(say("email.findings_title"))}</h3>'
               f'<ul style="{FONT}font-size:15px;line-height:1.4;padding-left:20px;">{items}</ul>' if findings else "")
            + pictures
            + f'<p style="{FONT}font-size:12px;color:#666;">{html.escape(footer)}</p></div></body></html>')
