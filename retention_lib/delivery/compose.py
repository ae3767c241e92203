"""What the monthly email says, and the failure notice for operations."""
from __future__ import annotations

from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterable

from retention_lib.delivery import smtp
from retention_lib.core import stages
from retention_lib.core.config import Config
from retention_lib.report.findings import headline_rows, key_findings

# One or two charts go inline (by artifact key); the full report is attached.
EMAIL_CHARTS = {"kpi_trends_chart": "Monthly KPIs over 13 months", "clv_chart": "CLV by churn status"}


def compose(folder: Path, cfg: Config, month: str, recipients: Iterable[str], sender: str,
            unavailable: dict[str, str] | None = None) -> EmailMessage:
    """The summary email for a month folder: aggregates only, never a customer."""
    rows = headline_rows(folder, cfg.currency)
    findings = key_findings(folder, cfg.currency)
    images = {key: folder / stages.artifact(key).path for key in EMAIL_CHARTS}
    missing = [str(p) for p in images.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"the email's charts are missing: {missing}")
    simulated = " (SIMULATED DATA)" if cfg.simulated else ""
    title = f"Customer retention report {month}{simulated}"
    intro = f"{cfg.name}: the report for {month} is attached (report.html, opens in any browser)."
    gaps = ("Not available this month on this data (the report says why): "
            + "; ".join(t for titles, _ in stages.by_reason(unavailable) for t in titles) + ".") if unavailable else ""
    footer = ("Figures are for members (loyalty card holders) unless stated. Customer-level lists stay with "
              "your consultant and are never emailed.")
    html_body = smtp.inline_html(title, " ".join(filter(None, [intro, gaps])), rows, findings,
                                 {key: EMAIL_CHARTS[key] for key in images}, footer)
    text = "\n".join([title, "", intro] + ([gaps] if gaps else []) + [""]
                     + [f"{label}: {value} (vs last month {mom}; vs a year ago {yoy})" for label, value, mom, yoy in rows]
                     + ([""] + ["Key findings:"] + [f"- {f}" for f in findings] if findings else [])
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
    text = (f"The retention report for {month} ({cfg.name}) failed in {notebook or 'preparation'}"
            f"{f', cell {cell}' if cell else ''}.\n\n{error}\n\nFailed run kept in: {failed_dir}\n"
            f"Log: {failed_dir / 'run.log'}\nNothing was published for {month}.")
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = f"FAILED: retention report {month}"
    msg["From"] = settings.sender if settings else "retention-report@localhost"
    msg["To"] = cfg.ops_email
    msg.set_content(text)
    try:
        return smtp.deliver(msg, failed_dir / smtp.OUTBOX, f"failure-{month}", settings, log=log, retries=2)
    except smtp.MailError as exc:  # the run has failed already; the notice must not hide why
        log(f"failure notice not sent: {exc}")
        return failed_dir / smtp.OUTBOX / f"failure-{month}.eml"
