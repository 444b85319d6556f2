"""The email: its body as written by a run, and real messages sent to a real SMTP server.

Every server here runs on 127.0.0.1 inside the test (conftest.smtp_server).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import shutil
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from reportgen.emailing import (
    EML_FILE,
    PASSWORD_VARIABLE,
    build_message,
    load_email,
    render_email,
    send_message,
    smtp_password,
    write_eml,
)
from reportgen.errors import EmailError, PartialSendError, SettingsError
from reportgen.settings import EmailSettings

from .conftest import (
    REFUSED_RECIPIENT,
    SMTP_PASSWORD,
    SMTP_USER,
    Certificate,
    SampleRun,
    SmtpServer,
    free_port,
)

TO = ("Marketing <marketing@example.com>", "ceo@example.com")
CC = ("analyst@example.com",)
SENDER = "Reports <reports@example.com>"


def settings_for(server: SmtpServer | None = None, **values: object) -> EmailSettings:
    values.setdefault("to", TO)
    values.setdefault("cc", CC)
    values.setdefault("sender", SENDER)
    if server is not None:
        values.setdefault("smtp_host", server.host)
        values.setdefault("smtp_port", server.port)
    return EmailSettings(**values)  # type: ignore[arg-type]


def sample_message(sample_run: SampleRun, settings: EmailSettings) -> EmailMessage:
    body, pdf = load_email(sample_run.output_dir)
    return build_message(body, pdf, settings)


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def structure(part: EmailMessage) -> object:
    """The MIME tree as nested (content type, children) pairs."""
    if part.is_multipart():
        return (part.get_content_type(), [structure(child) for child in part.iter_parts()])
    return part.get_content_type()


def check_complete_message(message: EmailMessage, report_dir: Path) -> None:
    """Assert what a recipient needs: both alternatives, resolvable images, the exact PDF."""
    assert structure(message) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                ["text/plain", ("multipart/related", ["text/html", "image/png"])],
            ),
            "application/pdf",
        ],
    )
    text = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text is not None and html_part is not None
    html = html_part.get_content()
    assert "<style" not in html.lower()
    assert "data:" not in html
    assert "var(" not in html

    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    images = {
        part["Content-ID"].strip("<>"): part.get_content()
        for part in related.iter_parts()
        if part.get_content_maintype() == "image"
    }
    references = set(re.findall(r'src="cid:([^"]+)"', html))
    assert references and references == set(images)
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in images.values())

    pdf = next(message.iter_attachments())
    assert pdf.get_filename() == "report.pdf"
    assert pdf.get_content() == (report_dir / "report.pdf").read_bytes()


# --- the body written by a run ---------------------------------------------------------


def test_run_writes_an_email_safe_body(sample_run: SampleRun) -> None:
    body, _ = load_email(sample_run.output_dir)
    report = sample_run.result.report
    assert body.subject == f"{report.title} – {report.generated_at.day} " + (
        report.generated_at.strftime("%B %Y")
    )
    for document in (body.html, body.text):
        words = " ".join(re.sub(r"</?strong>", "", document).split())  # text is wrapped
        assert report.title in words
        for segment in report.segments:
            assert f"Segment {segment.number}: {segment.name}" in words
            assert segment.recommendation.action in words
        assert "The full report is attached as report.pdf" in words
    html = body.html
    assert "<style" not in html and "data:" not in html and "var(" not in html
    assert "<script" not in html and "<link" not in html
    # Layout email clients understand: a 600 px table, styles in attributes.
    assert re.search(r'<table class="sheet"[^>]* width="600"', html)
    assert 'style="' in re.search(r"<h1[^>]*>", html).group(0)  # type: ignore[union-attr]
    assert set(re.findall(r'src="([^"]+)"', html)) == {"cid:segment-map@reportgen"}
    assert list(body.images) == ["segment-map@reportgen"]
    # Gmail cuts HTML bodies above 102 kB behind a "view entire message" link.
    assert len(html.encode()) < 100_000
    assert "<" not in body.text


def test_ten_segments_stay_under_gmails_clipping_limit(sample_run: SampleRun) -> None:
    # Gmail hides what comes after the first 102 kB of HTML behind a link. Ten segments:
    # the sample's five, twice.
    report = sample_run.result.report
    segments = [
        dataclasses.replace(segment, number=number)
        for number, segment in enumerate(report.segments * 2, start=1)
    ]
    body = render_email(dataclasses.replace(report, segments=tuple(segments)))
    assert "Segment 10: " in body.html
    assert len(body.html.encode()) < 100_000


def test_missing_report_files_are_named(sample_run: SampleRun, tmp_path: Path) -> None:
    with pytest.raises(EmailError, match=r"has no email/message\.html, .*report\.pdf"):
        load_email(tmp_path)
    shutil.copytree(sample_run.output_dir, tmp_path / "report")
    (tmp_path / "report" / "report.pdf").unlink()
    with pytest.raises(EmailError, match=r"has no report\.pdf\. Was the report made with --no-pdf"):
        load_email(tmp_path / "report")
    shutil.copy(sample_run.output_dir / "report.pdf", tmp_path / "report")
    (tmp_path / "report" / "email" / "segment-map.png").unlink()
    with pytest.raises(EmailError, match=r"has no email/segment-map\.png"):
        load_email(tmp_path / "report")


def test_dry_run_message_is_complete(sample_run: SampleRun, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    shutil.copytree(sample_run.output_dir, report_dir)
    path = write_eml(sample_message(sample_run, settings_for()), report_dir)
    assert path == report_dir / EML_FILE
    message = parse(path.read_bytes())
    check_complete_message(message, report_dir)
    assert message["To"] == ", ".join(TO) and message["Cc"] == CC[0]
    assert message["From"] == SENDER
    assert (
        message["Subject"]
        == sample_run.result.report.title
        + " – "
        + (load_email(report_dir)[0].subject.split(" – ")[1])
    )
    assert message["Message-ID"].endswith("@example.com>")


# --- sending ----------------------------------------------------------------------------


def test_message_arrives_complete_over_smtp(
    sample_run: SampleRun, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server()
    settings = settings_for(server, subject="November segments")

    accepted = send_message(sample_message(sample_run, settings), settings, None)

    recipients = ["marketing@example.com", "ceo@example.com", "analyst@example.com"]
    assert list(accepted) == recipients
    [received] = server.received
    assert received.sender == "reports@example.com"
    assert received.recipients == recipients
    assert not received.tls and received.login is None
    message = parse(received.data)
    check_complete_message(message, sample_run.output_dir)
    assert message["Subject"] == "November segments"
    assert "Bcc" not in message


def test_starttls_and_login(
    sample_run: SampleRun,
    smtp_server: Callable[..., SmtpServer],
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.authority))
    server = smtp_server("starttls")
    settings = settings_for(server, security="starttls", user=SMTP_USER)

    send_message(sample_message(sample_run, settings), settings, SMTP_PASSWORD)

    [received] = server.received
    assert received.tls and received.login == SMTP_USER
    check_complete_message(parse(received.data), sample_run.output_dir)


# aiosmtpd warns about AUTH without STARTTLS; this server speaks TLS from the start.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_login(
    sample_run: SampleRun,
    smtp_server: Callable[..., SmtpServer],
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.authority))
    server = smtp_server("ssl")
    settings = settings_for(server, security="ssl", user=SMTP_USER, to=("a@example.com",), cc=())

    send_message(sample_message(sample_run, settings), settings, SMTP_PASSWORD)

    [received] = server.received
    assert received.login == SMTP_USER and received.recipients == ["a@example.com"]


def test_refused_login_is_one_clear_error_without_the_password(
    sample_run: SampleRun,
    smtp_server: Callable[..., SmtpServer],
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.authority))
    server = smtp_server("starttls")
    settings = settings_for(server, security="starttls", user=SMTP_USER)
    wrong = "not-the-password-1234"

    with pytest.raises(EmailError, match=f"refused the login of {SMTP_USER}: 535") as caught:
        send_message(sample_message(sample_run, settings), settings, wrong)

    assert wrong not in str(caught.value) and "\n" not in str(caught.value)
    assert server.received == []


def test_untrusted_certificate_fails_naming_the_fix(
    sample_run: SampleRun, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls")
    settings = settings_for(server, security="starttls", user=SMTP_USER)
    with pytest.raises(EmailError, match=r"TLS with the SMTP server .* failed: .*SSL_CERT_FILE"):
        send_message(sample_message(sample_run, settings), settings, SMTP_PASSWORD)
    assert server.received == []


def test_unreachable_server_fails_at_once(sample_run: SampleRun) -> None:
    port = free_port()
    settings = settings_for(smtp_host="127.0.0.1", smtp_port=port)
    started = time.monotonic()
    with pytest.raises(EmailError, match=f"Cannot reach the SMTP server 127.0.0.1:{port}: "):
        send_message(sample_message(sample_run, settings), settings, None, timeout=5)
    assert time.monotonic() - started < 5


def test_refused_recipient_is_named_and_the_others_get_the_message(
    sample_run: SampleRun, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server()
    settings = settings_for(server, to=("marketing@example.com", REFUSED_RECIPIENT), cc=())

    with pytest.raises(PartialSendError) as caught:
        send_message(sample_message(sample_run, settings), settings, None)

    assert str(caught.value).startswith("Sent to 1 of 2 recipients;")
    assert f"{REFUSED_RECIPIENT} (550 5.1.1 No such user here)" in str(caught.value)
    assert list(caught.value.refused) == [REFUSED_RECIPIENT]
    [received] = server.received
    assert received.recipients == ["marketing@example.com"]


def test_every_recipient_refused_sends_nothing(
    sample_run: SampleRun, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server()
    settings = settings_for(server, to=(REFUSED_RECIPIENT,), cc=())
    with pytest.raises(EmailError, match="refused every recipient, so nothing was sent"):
        send_message(sample_message(sample_run, settings), settings, None)
    assert server.received == []


# --- settings that cannot work are refused before any connection -------------------------


def test_login_needs_the_password_from_the_environment() -> None:
    settings = EmailSettings(to=("a@example.com",), sender="b@example.com", user="me")
    with pytest.raises(EmailError, match=PASSWORD_VARIABLE):
        smtp_password(settings, environ={})
    assert smtp_password(settings, environ={PASSWORD_VARIABLE: "pw"}) == "pw"
    assert smtp_password(EmailSettings(), environ={PASSWORD_VARIABLE: "pw"}) is None


def test_no_password_is_sent_in_clear_to_another_machine() -> None:
    with pytest.raises(SettingsError, match="without TLS would send the password in clear"):
        EmailSettings(smtp_host="smtp.example.com", user="me")
    EmailSettings(smtp_host="smtp.example.com", user="me", security="starttls")
    EmailSettings(smtp_host="127.0.0.1", user="me")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"to": ("not an address",)}, "is not one email address"),
        ({"to": ("a@example.com, b@example.com",)}, "is not one email address"),
        ({"cc": ("a@example.com\r\nBcc: spy@example.com",)}, "is not one email address"),
        ({"sender": "reports"}, r"\(--from\) is not one email address"),
        ({"security": "tls"}, "security must be one of none, starttls, ssl"),
        ({"smtp_port": 0}, "between 1 and 65535"),
        ({"subject": "two\nlines"}, "one line"),
    ],
)
def test_impossible_email_settings_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        EmailSettings(**values)  # type: ignore[arg-type]


def test_a_message_needs_a_recipient_and_a_sender(sample_run: SampleRun) -> None:
    body, pdf = load_email(sample_run.output_dir)
    with pytest.raises(SettingsError, match="No recipient"):
        build_message(body, pdf, EmailSettings(sender="a@example.com"))
    with pytest.raises(SettingsError, match="No sender"):
        build_message(body, pdf, EmailSettings(to=("a@example.com",)))


def test_default_ports_follow_the_security_mode() -> None:
    assert [EmailSettings(security=mode).port for mode in ("none", "starttls", "ssl")] == [
        25,
        587,
        465,
    ]
    assert EmailSettings(smtp_port=2525, security="ssl").port == 2525
