"""Stage 9b: the report as an email: its body rendered with the report, sent later.

``render_email`` runs in the pipeline, from the same Report object and templates as
the report; the pipeline writes its files into the output directory with the others:

    email/message.html   the HTML body: tables about 600 px wide, every style inlined
                         into style attributes (no <style> block), images as cid:
    email/message.txt    the plain-text alternative
    email/subject.txt    the default subject, one line
    email/NAME.png       each image, sent with Content-ID <NAME@reportgen>

``reportgen email`` then reads that folder and report.pdf (``load_email``), builds one
MIME message (``build_message``) and sends it over SMTP (``send_message``) or writes it to
``email/message.eml`` (``write_eml``):

    multipart/mixed
      multipart/alternative
        text/plain                the text part
        multipart/related
          text/html               the HTML part
          image/png ...           one per cid: reference
      application/pdf             report.pdf, attached unchanged
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import css_inline

from reportgen.contract import EmailBody, Report
from reportgen.errors import EmailError, PartialSendError
from reportgen.settings import EmailSettings
from reportgen.templating import environment

log = logging.getLogger(__name__)

EMAIL_DIR = "email"
HTML_FILE = f"{EMAIL_DIR}/message.html"
TEXT_FILE = f"{EMAIL_DIR}/message.txt"
SUBJECT_FILE = f"{EMAIL_DIR}/subject.txt"
EML_FILE = f"{EMAIL_DIR}/message.eml"
PDF_FILE = "report.pdf"
CID_DOMAIN = "reportgen"
# The one chart the email shows (the segment map), as email/segment-map.png.
SEGMENT_MAP_IMAGE = "segment-map"
# The SMTP password is read from here and nowhere else: never an option, never logged.
PASSWORD_VARIABLE = "REPORTGEN_SMTP_PASSWORD"
# Seconds to wait for the SMTP server at each step; a send is tried once, never retried.
SMTP_TIMEOUT = 30.0

_CID_REFERENCE = re.compile(r"""cid:([^"'\s>)]+)""")
_INLINER = css_inline.CSSInliner(
    keep_style_tags=False,
    keep_link_tags=False,
    keep_at_rules=False,
    load_remote_stylesheets=False,
    resolve_css_variables=True,
    minify_css=True,
)


def render_email(report: Report) -> EmailBody:
    """Render the report's email body: subject, inlined HTML, plain text and images."""
    segment_map_cid = f"{SEGMENT_MAP_IMAGE}@{CID_DOMAIN}"
    templates = environment()
    html = templates.get_template("email.html").render(
        report=report, segment_map_cid=segment_map_cid
    )
    text = templates.get_template("email.txt").render(report=report)
    subject = templates.get_template("email_subject.txt").render(report=report)
    return EmailBody(
        subject=" ".join(subject.split()),
        html=_INLINER.inline(html),
        text=text.strip() + "\n",
        images={segment_map_cid: report.charts.segment_map.png},
    )


def email_files(body: EmailBody) -> dict[str, bytes]:
    """Return the email body as files, named as they go in the output directory."""
    files = {
        HTML_FILE: body.html.encode("utf-8"),
        TEXT_FILE: body.text.encode("utf-8"),
        SUBJECT_FILE: (body.subject + "\n").encode("utf-8"),
    }
    for content_id, png in body.images.items():
        files[f"{EMAIL_DIR}/{_image_name(content_id)}.png"] = png
    return files


def load_email(report_dir: Path) -> tuple[EmailBody, bytes]:
    """Read the email body and the PDF that ``reportgen run`` wrote into ``report_dir``.

    Returns:
        The email body (with every image its HTML references) and report.pdf's bytes.

    Raises:
        EmailError: a file is missing; the message names every missing file.
    """
    names = (HTML_FILE, TEXT_FILE, SUBJECT_FILE, PDF_FILE)
    missing = [name for name in names if not (report_dir / name).is_file()]
    html = "" if HTML_FILE in missing else (report_dir / HTML_FILE).read_text("utf-8")
    content_ids = list(dict.fromkeys(_CID_REFERENCE.findall(html)))
    image_files = {cid: f"{EMAIL_DIR}/{_image_name(cid)}.png" for cid in content_ids}
    missing += [name for name in image_files.values() if not (report_dir / name).is_file()]
    if missing:
        hint = (
            " Was the report made with --no-pdf? Make it again without."
            if missing == [PDF_FILE]
            else f" Make the report first: reportgen run -o {report_dir}"
        )
        raise EmailError(f"{report_dir} has no {', '.join(missing)}.{hint}")
    body = EmailBody(
        subject=(report_dir / SUBJECT_FILE).read_text("utf-8").strip(),
        html=html,
        text=(report_dir / TEXT_FILE).read_text("utf-8"),
        images={cid: (report_dir / name).read_bytes() for cid, name in image_files.items()},
    )
    return body, (report_dir / PDF_FILE).read_bytes()


def build_message(body: EmailBody, pdf: bytes, settings: EmailSettings) -> EmailMessage:
    """Build the MIME message: text and HTML alternatives, the HTML's images, the PDF.

    Raises:
        SettingsError: no recipient or no sender.
    """
    settings.check_addressed()
    message = EmailMessage()
    message["Subject"] = settings.subject or body.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    if settings.cc:
        message["Cc"] = ", ".join(settings.cc)
    message["Date"] = formatdate(localtime=True)
    # An explicit domain: the default asks the resolver for this machine's name.
    message["Message-ID"] = make_msgid(domain=settings.sender_address.rpartition("@")[2])

    message.set_content(body.text, subtype="plain", charset="utf-8")
    message.add_alternative(body.html, subtype="html", charset="utf-8")
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)  # the alternative added just above
    for content_id, png in body.images.items():
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=f"<{content_id}>",
            disposition="inline",
            filename=f"{_image_name(content_id)}.png",
        )
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=PDF_FILE)
    return message


def smtp_password(settings: EmailSettings, environ: Mapping[str, str] = os.environ) -> str | None:
    """Return the SMTP password from the environment when ``settings`` log in.

    Raises:
        EmailError: a user is set but the environment variable is not.
    """
    if not settings.user:
        return None
    password = environ.get(PASSWORD_VARIABLE)
    if not password:
        raise EmailError(
            f"Logging in to the SMTP server as {settings.user} needs the password in the "
            f"environment variable {PASSWORD_VARIABLE}."
        )
    return password


def write_eml(message: EmailMessage, report_dir: Path) -> Path:
    """Write ``message`` to ``report_dir/email/message.eml`` (what --dry-run does)."""
    path = report_dir / EML_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(message))
    return path


def send_message(
    message: EmailMessage,
    settings: EmailSettings,
    password: str | None,
    *,
    timeout: float = SMTP_TIMEOUT,
    context: ssl.SSLContext | None = None,
) -> tuple[str, ...]:
    """Send ``message`` once to every recipient in ``settings`` (To and Cc).

    Args:
        message: from ``build_message``.
        settings: the server, the security mode, the user and the recipients.
        password: for ``settings.user``; required when a user is set.
        timeout: seconds to wait for the server at each step.
        context: the TLS context; by default the system's trusted certificates, with
            host names checked (SSL_CERT_FILE can point to a private authority).

    Returns:
        The recipients the server accepted: all of them.

    Raises:
        EmailError: the server is unreachable, TLS failed, the login was refused, or the
            server refused the sender, the message or every recipient.
        PartialSendError: the server accepted the message for some recipients only; they
            received it, and the error names the others.
    """
    if settings.user and not password:
        raise EmailError(f"Logging in as {settings.user} needs a password ({PASSWORD_VARIABLE}).")
    recipients = settings.recipients
    server = f"{settings.smtp_host}:{settings.port}"
    context = context or ssl.create_default_context()
    log.info(
        "Sending to %d recipient%s via %s%s",
        len(recipients),
        "" if len(recipients) == 1 else "s",
        server,
        {"none": "", "starttls": " (STARTTLS)", "ssl": " (TLS)"}[settings.security],
    )
    try:
        smtp = _connect(settings, timeout, context)
    except ssl.SSLError as error:
        raise EmailError(_tls_failure(server, error)) from None
    except (smtplib.SMTPException, OSError) as error:
        raise EmailError(f"Cannot reach the SMTP server {server}: {_reason(error)}.") from None
    try:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, password or "")
        refused = smtp.send_message(
            message, from_addr=settings.sender_address, to_addrs=list(recipients)
        )
    except smtplib.SMTPAuthenticationError as error:
        raise EmailError(
            f"The SMTP server {server} refused the login of {settings.user}: "
            f"{_reply(error)}. Check --user and {PASSWORD_VARIABLE}."
        ) from None
    except smtplib.SMTPNotSupportedError as error:
        raise EmailError(_unsupported(server, settings, error)) from None
    except smtplib.SMTPRecipientsRefused as error:
        refused_all = ", ".join(
            f"{address} ({_reply_text(*reply)})" for address, reply in error.recipients.items()
        )
        raise EmailError(
            f"The SMTP server {server} refused every recipient, so nothing was sent: {refused_all}."
        ) from None
    except smtplib.SMTPSenderRefused as error:
        raise EmailError(
            f"The SMTP server {server} refused the sender {error.sender!r}: "
            f"{_reply(error)}. Check --from."
        ) from None
    except smtplib.SMTPResponseException as error:
        raise EmailError(f"The SMTP server {server} said no: {_reply(error)}.") from None
    except ssl.SSLError as error:
        raise EmailError(_tls_failure(server, error)) from None
    except (smtplib.SMTPException, OSError) as error:
        raise EmailError(
            f"The connection to the SMTP server {server} failed: {_reason(error)}."
        ) from None
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()
    if refused:
        failed = {address: _reply_text(*reply) for address, reply in refused.items()}
        listed = ", ".join(f"{address} ({reply})" for address, reply in failed.items())
        raise PartialSendError(
            f"Sent to {len(recipients) - len(refused)} of {len(recipients)} recipients; "
            f"the SMTP server {server} refused {listed}.",
            failed,
        )
    log.info("Sent %r to %s", str(message["Subject"]), ", ".join(recipients))
    return recipients


def _connect(settings: EmailSettings, timeout: float, context: ssl.SSLContext) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(settings.smtp_host, settings.port, timeout=timeout, context=context)
    return smtplib.SMTP(settings.smtp_host, settings.port, timeout=timeout)


def _image_name(content_id: str) -> str:
    """Return the file name (without .png) of the image with ``content_id``."""
    name, _, domain = content_id.partition("@")
    if domain != CID_DOMAIN or not re.fullmatch(r"[a-z0-9-]+", name):
        raise EmailError(f"The email body references an unknown image cid:{content_id}.")
    return name


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _reply_text(error.smtp_code, error.smtp_error)


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error)
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _tls_failure(server: str, error: ssl.SSLError) -> str:
    reason = getattr(error, "verify_message", None) or getattr(error, "reason", None) or error
    return (
        f"TLS with the SMTP server {server} failed: {reason}. If the server's certificate "
        "comes from a private authority, set SSL_CERT_FILE to that authority's certificate."
    )


def _unsupported(server: str, settings: EmailSettings, error: BaseException) -> str:
    if "STARTTLS" in str(error):
        return (
            f"The SMTP server {server} does not offer STARTTLS: use --ssl if it expects TLS "
            "from the start (usually port 465)."
        )
    return f"The SMTP server {server} offers no login (AUTH)" + (
        " without TLS: add --starttls or --ssl." if settings.security == "none" else "."
    )
