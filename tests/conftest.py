"""Shared fixtures: small tables made in code, and one full sample run reused by many tests."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.config import SAMPLE_CONFIG
from reportgen.pipeline import RunResult, run
from reportgen.settings import Settings, resolve_settings


def write_csv(path: Path, frame: pd.DataFrame, sep: str = ",") -> Path:
    """Write ``frame`` as a CSV file and return its path."""
    frame.to_csv(path, index=False, sep=sep)
    return path


def blobs(k: int, per_blob: int = 60, *, spread: float = 0.6, seed: int = 0) -> pd.DataFrame:
    """Customers in ``k`` well-separated groups on two measures, with an ID column."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, k, endpoint=False)
    centers = np.column_stack([np.cos(angles), np.sin(angles)]) * 10 + 50
    points = np.vstack([rng.normal(center, spread * 2, (per_blob, 2)) for center in centers])
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, len(points) + 1),
            "Income": points[:, 0].round(2),
            "Spending": points[:, 1].round(2),
        }
    )


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings for a table in tmp_path, writing into tmp_path/out."""

    def build(input_path: Path, **values: object) -> Settings:
        values.setdefault("output_dir", tmp_path / "out")
        return Settings(input_path=input_path, **values)  # type: ignore[arg-type]

    return build


@dataclass(frozen=True)
class SampleRun:
    """One run of the bundled sample with its PDF, and what WeasyPrint logged."""

    result: RunResult
    output_dir: Path
    weasyprint_problems: list[str]


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> SampleRun:
    """Run the bundled sample end to end once (PDF included) for all tests that read it."""
    output_dir = tmp_path_factory.mktemp("sample-report")
    settings = resolve_settings(None, SAMPLE_CONFIG, {"output_dir": output_dir})
    recorder = _Recorder()
    logging.getLogger("weasyprint").addHandler(recorder)
    try:
        result = run(settings)
    finally:
        logging.getLogger("weasyprint").removeHandler(recorder)
    return SampleRun(result, output_dir, recorder.messages)


# --- A real SMTP server on 127.0.0.1, for the email tests -------------------------------

SMTP_USER = "mailer"
SMTP_PASSWORD = "correct horse battery staple"
REFUSED_RECIPIENT = "nobody@example.com"


@dataclass(frozen=True)
class Received:
    """One message as the SMTP server received it."""

    sender: str
    recipients: list[str]
    data: bytes
    tls: bool
    login: str | None


class _MailHandler:
    """Keeps every message; refuses REFUSED_RECIPIENT as a real server refuses a bad address."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == REFUSED_RECIPIENT:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        login = session.auth_data if session.authenticated else None
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.ssl is not None,
                login,
            )
        )
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (
        mechanism == "LOGIN"
        and isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == SMTP_USER
        and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class SmtpServer:
    """A running SMTP server: where it listens and what it received."""

    host: str
    port: int
    handler: _MailHandler

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@dataclass(frozen=True)
class Certificate:
    """A certificate authority's certificate and a server certificate it signed."""

    authority: Path
    chain: Path
    key: Path


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A private authority and a certificate for 127.0.0.1 and localhost, made here."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)

    def build(subject: str, public_key, issuer: str, signing_key, *, authority: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )
        if authority:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            ).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                critical=False,
            )
        return builder.sign(signing_key, hashes.SHA256())

    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority = build(
        "reportgen test authority",
        authority_key.public_key(),
        "reportgen test authority",
        authority_key,
        authority=True,
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = build(
        "127.0.0.1",
        server_key.public_key(),
        "reportgen test authority",
        authority_key,
        authority=False,
    )
    pem = serialization.Encoding.PEM
    paths = Certificate(folder / "authority.pem", folder / "server.pem", folder / "server.key")
    paths.authority.write_bytes(authority.public_bytes(pem))
    paths.chain.write_bytes(server.public_bytes(pem) + authority.public_bytes(pem))
    paths.key.write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def smtp_server(certificate: Certificate) -> Iterator[Callable[..., SmtpServer]]:
    """Start SMTP servers on 127.0.0.1 for one test: plain, STARTTLS+LOGIN or SMTPS+LOGIN.

    ``smtp_server()`` is a plain relay; ``smtp_server("starttls")`` requires STARTTLS and
    a login (LOGIN only, as SMTP_USER); ``smtp_server("ssl")`` speaks TLS from the start.
    Every server is stopped when the test ends.
    """
    import ssl

    from aiosmtpd.controller import Controller

    controllers: list[Controller] = []

    def start(security: str = "none") -> SmtpServer:
        handler = _MailHandler()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate.chain, certificate.key)
        options: dict[str, object] = {}
        if security == "starttls":
            options = {
                "tls_context": context,
                "require_starttls": True,
                "authenticator": _authenticate,
                "auth_required": True,
                "auth_exclude_mechanism": ["PLAIN"],
            }
        elif security == "ssl":
            options = {
                "ssl_context": context,
                "authenticator": _authenticate,
                "auth_required": True,
                # The connection is TLS from the start; aiosmtpd only knows STARTTLS.
                "auth_require_tls": False,
                "auth_exclude_mechanism": ["PLAIN"],
            }
        controller = Controller(
            handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5, **options
        )
        controller.start()
        controllers.append(controller)
        return SmtpServer("127.0.0.1", controller.port, handler)

    yield start
    for controller in controllers:
        controller.stop()
