"""What the monthly email says, and the failure notice for operations."""
from __future__ import annotations

import html
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

# One or two charts go inline (by artifact key, captioned by the message f"email.chart.{key}");
# the full report is attached.
EMAIL_CHARTS = ("kpi_trends_chart", "clv_chart")


def compose(folder: Path, cfg: Config, month: str, recipients: Iterable[str], sender: str,
            unavailable: dict | None = None) -> EmailMessage:
    """The summary email for a month folder: aggregates only, never a customer. `unavailable`
    maps each part missing this month to its reason (only the parts' titles are said here)."""
    rows = headline_rows(folder, cfg.currency)
    findings = key_findings(folder, cfg.currency)
    images = {key: folder / stages.artifact(key).path for key in EMAIL_CHARTS}
    missing = [str(p) for p in images.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"the email's charts are missing: {missing}")
    title = say("email.subject.simulated" if cfg.simulated else "email.subject", month=month)
    intro = say("email.intro", name=cfg.name, month=month)
    gaps = say("email.gaps", titles="; ".join(t for titles, _ in stages.by_reason(unavailable) for t in titles)) \
        if unavailable else ""
    footer = say("email.footer")
    html_body = inline_html(title, " ".join(filter(None, [intro, gaps])), rows, findings,
                                 {key: say(f"email.chart.{key}") for key in images}, footer)
    text = "\n".join([title, "", intro] + ([gaps] if gaps else []) + [""]
                     + [say("email.row", label=label, value=value, mom=mom, yoy=yoy) for label, value, mom, yoy in rows]
                     + ([""] + [say("email.findings")] + [f"- {f}" for f in findings] if findings else [])
                     + ["", footer])
    return smtp.build_message(subject=title, sender=sender, recipients=recipients, text=text, html_body=html_body,
                              images=images, attachment=folder / stages.artifact("report_html").path)


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
        log(f"no SMTP configured (RETENTION_SMTP_HOST): message written to {path}")
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


def inline_html(title: str, intro: str, table: list[tuple[str, str, str, str]], findings: list[str],
                images: dict[str, str], footer: str) -> str:
    """The summary as HTML with inline styles only: many mail clients drop <style> blocks. Images
    are referred to as cid:{key} (smtp.build_message gives them their content ids)."""
    cell = "padding:4px 10px;border-bottom:1px solid #ddd;text-align:right;"
    rows = "".join(
        f'<tr><td style="{cell}text-align:left;">{html.escape(a)}</td><td style="{cell}font-weight:bold;">'
        f'{html.escape(b)}</td><td style="{cell}">{html.escape(c)}</td><td style="{cell}">{html.escape(d)}</td></tr>'
        for a, b, c, d in table)
    head = "".join(f'<th style="{cell}background:#f0f4f8;">{h}</th>' for h in
                   (html.escape(say(f"email.head.{h}")) for h in ("kpi", "month", "mom", "yoy")))
    items = "".join(f'<li style="margin:4px 0;">{html.escape(f)}</li>' for f in findings)
    pictures = "".join(f'<p><img src="cid:{key}" alt="{html.escape(alt)}" style="max-width:640px;width:100%;"></p>'
                       for key, alt in images.items())
    return (f'<html><body style="{FONT}margin:0;padding:16px;">'
            f'<h2 style="{FONT}margin:0 0 8px 0;">{html.escape(title)}</h2>'
            f'<p style="{FONT}">{html.escape(intro)}</p>'
            + (f'<table style="{FONT}border-collapse:collapse;font-size:14px;"><tr>{head}</tr>{rows}</table>' if table else "")
            + (f'<h3 style="{FONT}">{html.escape(say("email.findings_title"))}</h3><ul style="{FONT}">{items}</ul>' if findings else "")
            + pictures
            + f'<p style="{FONT}font-size:12px;color:#666;">{html.escape(footer)}</p></body></html>')
