"""Shared builders for the digest tests: a real SMTP server on loopback (aiosmtpd), throwaway
TLS certificates, a small train with dependencies written as the sync engine stores them,
and its config file."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from model.db import open_engine
from tests.reports.report_world import World, at

USER, PASSWORD, PASSWORD_ENV = "digest-bot", "s3cret-Pa55", "TRAINYARD_TEST_SMTP_PASSWORD"
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> "quoted"'

# -- the SMTP server ------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the server accepted; ``on_data`` runs before the server answers DATA."""

    raw: list[bytes] = field(default_factory=list)
    on_data: Callable[[], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(bytes(envelope.original_content or envelope.content))
        if self.on_data is not None:
            self.on_data()
        return "250 OK: queued"

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=default_policy)  # type: ignore[misc]
            for raw in self.raw
        ]


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    controller: Controller | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def start_smtp(
    port: int,
    mailbox: Mailbox,
    *,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    auth: bool = False,
) -> Controller:
    kwargs: dict[str, Any] = {}
    if tls is not None and not implicit_tls:
        kwargs.update(tls_context=tls, require_starttls=True)
    if tls is not None and implicit_tls:
        kwargs.update(ssl_context=tls)
    if auth:
        kwargs.update(
            authenticator=_authenticator, auth_required=True, auth_require_tls=tls is not None
        )
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback (no TLS, no login)."""
    server = SmtpServer(free_port(), Mailbox())
    server.controller = start_smtp(server.port, server.mailbox)
    yield server
    server.controller.stop()


# -- throwaway certificates -----------------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A CA and a server certificate for 127.0.0.1/localhost, made for this test run."""
    folder = tmp_path_factory.mktemp("certs")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trainyard test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    found = Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    found.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    found.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


# -- the train ------------------------------------------------------------------------------------

CONFIG = """\
[database]
url = "{url}"

[train]
name = "ART"
timezone = "Europe/Berlin"

[[train.teams]]
name = "Alpha"
[[train.teams]]
name = "Beta"
[[train.teams]]
name = "Gamma"

[[calendar.pis]]
name = "PI 1"
start = 2026-01-05

[[sources]]
name = "jira"
kind = "jira"
url = "https://jira.example"
token_env = "TRAINYARD_TEST_JIRA_TOKEN"
projects = ["A", "B", "C"]

[[sources]]
name = "github"
kind = "github"
token_env = "TRAINYARD_TEST_GITHUB_TOKEN"
repos = ["acme/web"]

[reports]
base_url = "https://trainyard.example/out"

[digest]
to = ["rte@acme.example"]
{digest}

[smtp]
host = "127.0.0.1"
port = {port}
security = "{security}"
from = "trainyard@acme.example"
timeout = 5
{smtp}
"""

SINCE = at("2026-01-12", "08:00")  # the previous digest
NOW = at("2026-01-19", "08:00")  # this one


def train_world() -> World:
    """A week of a train: before ``SINCE`` and between it and ``NOW`` (hand-computed below).

    Then (SINCE): B-1 blocks A-1 (9 days old), C-1 blocks A-2, A-3 flagged.
    Now (NOW): B-1 → A-1 is 16 days old (crossed 14), C-1 → A-2 resolved (C-1 done),
    B-2 → C-2 new and red (B-2 planned in I2, C-2 in I1), A-3 unflagged, B-1 → A-4 new,
    C-3 → A-5 turned red (both in I1 then: amber; C-3 moved to I2), A-6 became stalled (in
    progress since 2026-01-10, 5 stalled days), A-7 was stalled then already.
    """
    w = World(pis=(("PI 1", dt.date(2026, 1, 5), 5, 14, True),))
    w.sprint("jira", "s1", "PI 1", 1)
    w.sprint("jira", "s2", "PI 1", 2)
    w.item("A-1", at("2026-01-02"), team="Alpha", title=HOSTILE)
    w.item("A-2", at("2026-01-02"), team="Alpha")
    w.item("A-3", at("2026-01-02"), team="Alpha")
    w.item("A-4", at("2026-01-02"), team="Alpha")
    w.item("B-1", at("2026-01-02"), team="Beta")
    w.item("B-2", at("2026-01-02"), team="Beta", sprint="s2")
    w.item("C-1", at("2026-01-02"), team="Gamma")
    w.item("C-2", at("2026-01-02"), team="Gamma", sprint="s1")
    w.item("A-5", at("2026-01-02"), team="Alpha", sprint="s1")
    w.item("C-3", at("2026-01-02"), team="Gamma", sprint="s1")
    w.link("C-3", "A-5", at("2026-01-04"))
    w.item("A-6", at("2026-01-02"), team="Alpha")
    w.item("A-7", at("2026-01-02"), team="Alpha")
    w.status("A-7", at("2026-01-03"), "In Progress")  # stalled then and now
    w.status("A-6", at("2026-01-10"), "In Progress")  # stalled from 2026-01-15
    w.link("B-1", "A-1", at("2026-01-03"))
    w.link("C-1", "A-2", at("2026-01-04"))
    w.flag("A-3", at("2026-01-05"), reason="waiting for legal")
    w.status("C-1", at("2026-01-14"), "Done")
    w.link("B-2", "C-2", at("2026-01-15"))
    w.unflag("A-3", at("2026-01-16"))
    w.move_sprint("C-3", at("2026-01-16"), "s2")
    w.link("B-1", "A-4", at("2026-01-17"))
    w.sync("jira", at("2026-01-19", "07:50"))
    w.sync("github", at("2026-01-19", "07:50"))
    return w


def write_world(url: str, world: World) -> None:
    engine = open_engine(url)
    with Session(engine) as session:
        world.write(session)
    engine.dispose()


def write_config(
    folder: Path, url: str, port: int, *, security: str = "none", digest: str = "", smtp: str = ""
) -> Path:
    path = folder / "trainyard.toml"
    path.write_text(
        CONFIG.format(url=url, port=port, security=security, digest=digest, smtp=smtp),
        encoding="utf-8",
    )
    return path
