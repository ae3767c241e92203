"""Email delivery: a short inline-styled summary with CID charts, the full report attached.

SMTP settings come only from the environment (RETENTION_SMTP_HOST, _PORT, _USER,
_PASSWORD, _TLS = starttls | ssl | none, RETENTION_MAIL_FROM); one that cannot be used raises
SmtpSettingsError naming the variable and what it allows. Every message is first
written to the month's outbox/ as an .eml; when SMTP is configured it is sent (with retries
and backoff; refused credentials fail at once) and moved to outbox/sent/. A message that
could not be sent stays in the outbox, and `retention send --month` tries again. The
password is never logged.
"""
from __future__ import annotations

import os
import re
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Callable, Iterable

from retention_lib.report.text import say

OUTBOX, SENT = "outbox", "sent"
TLS_MODES = ("starttls", "ssl", "none")


class MailError(RuntimeError):
    pass


class SmtpSettingsError(MailError):
    """A RETENTION_SMTP_* setting that cannot be used: bad input (`retention run` checks them first and
    exits 2), not a failed send."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    tls: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env=None) -> "SmtpSettings | None":
        env = os.environ if env is None else env
        host = env.get("RETENTION_SMTP_HOST", "").strip()
        if not host:
            return None
        tls = env.get("RETENTION_SMTP_TLS", "starttls").strip().lower()
        if tls not in TLS_MODES:
            raise SmtpSettingsError(f"RETENTION_SMTP_TLS must be one of {', '.join(TLS_MODES)}, got {tls!r}")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[tls]
        port = env.get("RETENTION_SMTP_PORT", "").strip() or str(default_port)
        if not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535:
            raise SmtpSettingsError(f"RETENTION_SMTP_PORT must be a port number from 1 to 65535 (unset: {default_port} "
                                    f"for RETENTION_SMTP_TLS={tls}), got {port!r}")
        user = env.get("RETENTION_SMTP_USER") or None
        password = env.get("RETENTION_SMTP_PASSWORD") or None
        if (user or password) and tls == "none":
            raise SmtpSettingsError("refusing to send SMTP credentials over plaintext: set RETENTION_SMTP_TLS "
                                    "to starttls or ssl, or remove RETENTION_SMTP_USER/PASSWORD")
        sender = env.get("RETENTION_MAIL_FROM") or user or f"retention-report@{host}"
        return cls(host, int(port), sender, tls, user, password)

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.tls}{', authenticated' if self.user else ''})"


def build_message(*, subject: str, sender: str, recipients: Iterable[str], text: str, html_body: str,
                  images: dict[str, Path], attachment: Path | None,
                  attachment_name: str | None = None) -> EmailMessage:
    """multipart/mixed: (text | related(html + CID images)) + the report attached, named
    `attachment_name` (default: the file's own name).

    `html_body` refers to each image as cid:{key}; keys are replaced by real content ids.
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="retention-report")
    msg.set_content(text)
    cids = {key: make_msgid(domain="retention-report") for key in images}
    for key, cid in cids.items():
        html_body = html_body.replace(f"cid:{key}", f"cid:{cid[1:-1]}")
    msg.add_alternative(html_body, subtype="html")
    html_part = msg.get_payload()[1]
    for key, path in images.items():
        html_part.add_related(Path(path).read_bytes(), maintype="image", subtype="png",
                              cid=cids[key], filename=Path(path).name, disposition="inline")
    if attachment is not None:
        # bytes in base64 keep the file exactly as written; the charset lets clients decode it
        msg.add_attachment(Path(attachment).read_bytes(), maintype="text", subtype="html",
                           params={"charset": "utf-8"}, filename=attachment_name or Path(attachment).name)
    return msg


def write_outbox(msg: EmailMessage, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)
    return path


def read_eml(path: Path) -> EmailMessage:
    return BytesParser(policy=policy.SMTP).parsebytes(Path(path).read_bytes())


def send(msg: EmailMessage, settings: SmtpSettings, *, retries: int = 3, backoff: float = 2.0,
         sleep: Callable[[float], None] = time.sleep, log: Callable[[str], None] = print) -> None:
    """Send with retries; waits backoff, 2×backoff, … between attempts. Raises MailError."""
    recipients = [a.strip() for a in str(msg["To"] or "").split(",") if a.strip()]
    if not recipients:
        raise MailError("the message has no recipients")
    last: Exception | None = None
    for attempt in range(1, retries + 1):
        try:
            _send_once(msg, settings, recipients)
            log(f"sent to {len(recipients)} recipient(s) via {settings.describe()}")
            return
        except smtplib.SMTPAuthenticationError as exc:
            last = exc  # a 4xx (454) is temporary and is retried like the errors below
            if exc.smtp_code >= 500:  # 535: the same credentials will be refused again
                refused = _credentials_refused(settings, exc)
                log(f"send attempt {attempt}/{retries} failed, not retried: {refused}")
                raise MailError(refused) from exc
        except (OSError, smtplib.SMTPException) as exc:
            last = exc
        log(f"send attempt {attempt}/{retries} via {settings.describe()} failed: {type(last).__name__}: {last}")
        if attempt < retries:
            sleep(backoff * 2 ** (attempt - 1))
    raise MailError(f"could not send after {retries} attempts: {last}")


def _credentials_refused(s: SmtpSettings, exc: smtplib.SMTPAuthenticationError) -> str:
    reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    if s.password:
        reply = reply.replace(s.password, "***")  # a server should never echo it; make sure
    return (f"the SMTP server {s.describe()} refused the credentials for user {s.user!r} "
            f"({exc.smtp_code} {reply.strip()}): check RETENTION_SMTP_USER and RETENTION_SMTP_PASSWORD")


def _send_once(msg: EmailMessage, s: SmtpSettings, recipients: list[str]) -> None:
    context = ssl.create_default_context()
    if s.tls == "ssl":
        client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
    else:
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
    with client:
        if s.tls == "starttls":
            client.starttls(context=context)
        if s.user:
            client.login(s.user, s.password or "")
        client.send_message(msg, from_addr=s.sender, to_addrs=recipients)


def deliver(msg: EmailMessage, outbox: Path, name: str, settings: SmtpSettings | None, *,
            log: Callable[[str], None] = print, **send_options) -> Path:
    """Outbox first, then send if SMTP is configured; a sent message moves to outbox/sent/."""
    path = write_outbox(msg, outbox, name)
    if settings is None:
        log(say("console.no_smtp", path=str(path)))
        return path
    send(msg, settings, log=log, **send_options)
    return _mark_sent(path)


def send_outbox(outbox: Path, settings: SmtpSettings, *, log: Callable[[str], None] = print,
                **send_options) -> list[Path]:
    """Send every message still waiting in an outbox (`retention send`)."""
    waiting = sorted(outbox.glob("*.eml"))
    if not waiting:
        raise MailError(f"nothing to send in {outbox}")
    done = []
    for path in waiting:
        send(read_eml(path), settings, log=log, **send_options)
        done.append(_mark_sent(path))
    return done


def _mark_sent(path: Path) -> Path:
    target = path.parent / SENT / path.name
    target.parent.mkdir(exist_ok=True)
    path.replace(target)
    return target
