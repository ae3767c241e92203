"""What the monthly email says, and the failure notice for operations."""
from __future__ import annotations

from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterable

from . import mail
from .config import Config
from .findings import headline_rows, key_findings

# One or two charts go inline; the full report is attached.
EMAIL_CHARTS = {"kpi_trends.png": "Monthly KPIs over 13 months", "clv_groups.png": "CLV by churn status"}


def compose(folder: Path, cfg: Config, month: str, recipients: Iterable[str], sender: str) -> EmailMessage:
    """The summary email for a published month folder: aggregates only, never a customer."""
    rows = headline_rows(folder, cfg.currency)
    findings = key_findings(folder, cfg.currency)
    images = {Path(name).stem: folder / "artifacts" / name for name in EMAIL_CHARTS
              if (folder / "artifacts" / name).exists()}
    simulated = " (SIMULATED DATA)" if cfg.simulated else ""
    title = f"Customer retention report {month}{simulated}"
    intro = f"{cfg.name}: the report for {month} is attached (report.html, opens in any browser)."
    footer = ("Figures are for members (loyalty card holders) unless stated. Customer-level lists stay with "
              "your consultant and are never emailed.")
    html_body = mail.inline_html(title, intro, rows, findings,
                                 {key: EMAIL_CHARTS[f"{key}.png"] for key in images}, footer)
    text = "\n".join([title, "", intro, ""]
                     + [f"{label}: {value} (vs last month {mom}; vs a year ago {yoy})" for label, value, mom, yoy in rows]
                     + ([""] + ["Key findings:"] + [f"- {f}" for f in findings] if findings else [])
                     + ["", footer])
    return mail.build_message(subject=title, sender=sender, recipients=recipients, text=text,
                              html_body=html_body, images=images, attachment=folder / "report.html")


def email_month(folder: Path, cfg: Config, month: str, extra_recipients: Iterable[str] = (), *,
                env=None, log: Callable[[str], None] = print, **send_options) -> Path:
    """Write the month's email to its outbox and send it when SMTP is configured."""
    settings = mail.SmtpSettings.from_env(env)
    recipients = list(dict.fromkeys([*extra_recipients, *cfg.recipients]))
    sender = settings.sender if settings else "retention-report@localhost"
    msg = compose(folder, cfg, month, recipients, sender)
    if settings is not None and not recipients:
        log("SMTP is configured but there are no recipients (--email or email.recipients): not sent")
        settings = None
    return mail.deliver(msg, folder / mail.OUTBOX, f"retention-report-{month}", settings, log=log, **send_options)


def failure_notice(cfg: Config, month: str, failed_dir: Path, notebook: str | None, cell: int | None,
                   error: str, *, env=None, log: Callable[[str], None] = print) -> Path | None:
    """A short note to the operations address: which notebook and cell failed, where the log is."""
    if not cfg.ops_email:
        return None
    settings = mail.SmtpSettings.from_env(env)
    text = (f"The retention report for {month} ({cfg.name}) failed in {notebook or 'preparation'}"
            f"{f', cell {cell}' if cell else ''}.\n\n{error}\n\nFailed run kept in: {failed_dir}\n"
            f"Log: {failed_dir / 'run.log'}\nNothing was published for {month}.")
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = f"FAILED: retention report {month}"
    msg["From"] = settings.sender if settings else "retention-report@localhost"
    msg["To"] = cfg.ops_email
    msg.set_content(text)
    try:
        return mail.deliver(msg, failed_dir / mail.OUTBOX, f"failure-{month}", settings, log=log, retries=2)
    except mail.MailError as exc:  # the run has failed already; the notice must not hide why
        log(f"failure notice not sent: {exc}")
        return failed_dir / mail.OUTBOX / f"failure-{month}.eml"
