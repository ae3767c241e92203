"""Email against a real SMTP server (aiosmtpd) on 127.0.0.1 with STARTTLS and AUTH."""
import smtplib
import socket

import pytest
from conftest import PASSWORD, USER

from retention_lib.delivery import compose, smtp


def env(port, **extra):
    return {"RETENTION_SMTP_HOST": "127.0.0.1", "RETENTION_SMTP_PORT": str(port), "RETENTION_SMTP_TLS": "starttls",
            "RETENTION_SMTP_USER": USER, "RETENTION_SMTP_PASSWORD": PASSWORD,
            "RETENTION_MAIL_FROM": "reports@example.com", **extra}


def message(tmp_path, recipients=("manager@example.com",)):
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    report = tmp_path / "report.html"
    report.write_text("<html><body><h1>Full report</h1></body></html>", encoding="utf-8")
    body = compose.inline_html("Retention 2025-12", "Demo store", [("Active members", "2,600", "+1.0%", "—")],
                            ["Churn fell."], {"trend": "KPI trend chart"}, "simulated")
    return smtp.build_message(subject="Retention report 2025-12", sender="reports@example.com",
                              recipients=recipients, text="Active members: 2,600", html_body=body,
                              images={"trend": chart}, attachment=report)


def test_message_parts_arrive_over_starttls_with_auth(smtp_server, tmp_path):
    inbox, port, _ = smtp_server
    settings = smtp.SmtpSettings.from_env(env(port))
    path = smtp.deliver(message(tmp_path), tmp_path / "outbox", "report-2025-12", settings, log=lambda s: None)
    assert path.parent.name == "sent" and path.exists()
    [(rcpts, got)] = inbox.messages
    assert rcpts == ["manager@example.com"]
    assert got.get_content_type() == "multipart/mixed"
    text = got.get_body(preferencelist=("plain",))
    html_part = got.get_body(preferencelist=("html",))
    assert "Active members" in text.get_content()
    html = html_part.get_content()
    assert "<style" not in html.lower() and "data:" not in html
    related = [p for p in got.walk() if p.get_content_type() == "multipart/related"]
    assert related, "the HTML summary and its images travel as multipart/related"
    images = [p for p in got.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f"cid:{cid}" in html
    [report] = [p for p in got.iter_attachments() if p.get_filename() == "report.html"]
    assert "Full report" in report.get_content()


def attempts(lines):
    return [line for line in lines if line.startswith("send attempt")]


def test_refused_credentials_fail_at_once_and_keep_the_outbox(smtp_server, tmp_path):
    inbox, port, _ = smtp_server
    wrong = "Wr0ng-Pa55-7781"
    settings = smtp.SmtpSettings.from_env(env(port, RETENTION_SMTP_PASSWORD=wrong))
    waits, lines = [], []
    with pytest.raises(smtp.MailError) as failure:
        smtp.deliver(message(tmp_path), tmp_path / "outbox", "r", settings, log=lines.append,
                     retries=3, backoff=0.5, sleep=waits.append)
    said = str(failure.value)
    assert "refused the credentials" in said and "535" in said and "RETENTION_SMTP_PASSWORD" in said
    assert len(attempts(lines)) == 1 and waits == []  # a 535 is not retried
    assert (tmp_path / "outbox" / "r.eml").exists() and not inbox.messages
    assert not any(wrong in text or PASSWORD in text for text in [*lines, said, repr(failure.value.__cause__)])
    # `retention send` tries the outbox again once the settings are right
    sent = smtp.send_outbox(tmp_path / "outbox", smtp.SmtpSettings.from_env(env(port)), log=lambda s: None)
    assert [p.parent.name for p in sent] == ["sent"] and len(inbox.messages) == 1


def test_an_unreachable_server_is_retried_with_backoff(tmp_path):
    with socket.socket() as probe:  # a loopback port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = smtp.SmtpSettings.from_env(env(port))
    waits, lines = [], []
    with pytest.raises(smtp.MailError, match="after 3 attempts"):
        smtp.deliver(message(tmp_path), tmp_path / "outbox", "r", settings, log=lines.append,
                     retries=3, backoff=0.5, sleep=waits.append)
    assert len(attempts(lines)) == 3
    assert waits == [0.5, 1.0]  # backoff doubles between the three attempts
    assert (tmp_path / "outbox" / "r.eml").exists()


def test_a_temporary_auth_failure_is_retried(smtp_server, tmp_path, monkeypatch):
    inbox, port, _ = smtp_server
    real_login, calls = smtplib.SMTP.login, []

    def login_busy_once(self, user, password, **kw):  # the server's first answer is 454
        calls.append(user)
        if len(calls) == 1:
            raise smtplib.SMTPAuthenticationError(454, b"4.7.0 Temporary authentication failure")
        return real_login(self, user, password, **kw)

    monkeypatch.setattr(smtplib.SMTP, "login", login_busy_once)
    waits, lines = [], []
    path = smtp.deliver(message(tmp_path), tmp_path / "outbox", "r", smtp.SmtpSettings.from_env(env(port)),
                        log=lines.append, retries=3, backoff=0.5, sleep=waits.append)
    assert len(attempts(lines)) == 1 and waits == [0.5] and len(calls) == 2
    assert path.parent.name == "sent" and len(inbox.messages) == 1


def test_no_smtp_configured_writes_the_outbox(tmp_path):
    assert smtp.SmtpSettings.from_env({}) is None
    lines = []
    path = smtp.deliver(message(tmp_path), tmp_path / "outbox", "r", None, log=lines.append)
    assert path == tmp_path / "outbox" / "r.eml"
    assert "no SMTP configured" in lines[0]
    parsed = smtp.read_eml(path)
    assert parsed["Subject"] == "Retention report 2025-12"


def test_credentials_over_plaintext_are_refused():
    with pytest.raises(smtp.MailError, match="plaintext"):
        smtp.SmtpSettings.from_env({"RETENTION_SMTP_HOST": "smtp.example.com", "RETENTION_SMTP_TLS": "none",
                                    "RETENTION_SMTP_USER": "u", "RETENTION_SMTP_PASSWORD": "p"})
    settings = smtp.SmtpSettings.from_env({"RETENTION_SMTP_HOST": "smtp.example.com", "RETENTION_SMTP_TLS": "none"})
    assert settings.port == 25 and settings.user is None
    assert PASSWORD not in repr(smtp.SmtpSettings.from_env(env(1)))
