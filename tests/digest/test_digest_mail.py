"""The digest through a real SMTP server (aiosmtpd on loopback), parsed back with ``email``:
parts, inline chart by Content-ID, headers, escaping, routing, the quiet rule, and exactly one
delivery per period and recipient."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from model.db import open_engine
from model.tables import DigestOutbox
from sync.config import load
from sync.mail import DeliveryReport, deliver_digests
from sync.mail.routing import message_id
from tests.digest.conftest import (
    HOSTILE,
    NOW,
    SmtpServer,
    train_world,
    write_config,
    write_world,
)
from tests.reports.report_world import World, at


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def outbox(url: str) -> list[tuple[str, str, str, int]]:
    engine = open_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(
                DigestOutbox.period,
                DigestOutbox.recipient,
                DigestOutbox.status,
                DigestOutbox.attempts,
            ).order_by(DigestOutbox.period, DigestOutbox.recipient)
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_digest_arrives_as_text_html_and_an_inline_chart(
    tmp_path: Path, sqlite_url: str, smtp: SmtpServer
) -> None:
    write_world(sqlite_url, train_world())
    config = load(write_config(tmp_path, sqlite_url, smtp.port))
    assert deliver_digests(config, now=NOW) == DeliveryReport(1, 0, False, ())
    [msg] = smtp.mailbox.messages
    assert msg["From"] == "trainyard@acme.example"
    assert msg["To"] == "rte@acme.example"
    assert msg["Message-ID"] == message_id(
        "ART", "2026-01-19", "rte@acme.example", "trainyard@acme.example"
    )
    assert msg["Message-ID"].endswith("@acme.example>")
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Trainyard-Digest-Period"] == "2026-01-19"
    assert (
        msg["Subject"]
        == "ART digest, Mon 19 Jan: 1 turned red, 2 new dependencies, 2 newly blocked, "
        "2 aging, 1 newly stalled"
    )
    assert msg.get_content_type() == "multipart/alternative"
    text, related = msg.get_payload()  # type: ignore[misc]
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, png = related.get_payload()
    assert png.get_content_type() == "image/png"
    assert png.get_content().startswith(b"\x89PNG\r\n")
    cid = png["Content-ID"].strip("<>")
    body = html.get_content()
    # hostile tracker text: intact in the text part, inert in the HTML part
    plain = text.get_content()
    assert HOSTILE in plain
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
        in body
    )
    tags = Tags()
    tags.feed(body)
    names = [t for t, _ in tags.tags]
    assert "script" not in names
    assert "style" not in names
    images = [a for t, a in tags.tags if t == "img"]
    assert [a["src"] for a in images] == [f"cid:{cid}"]  # no external images
    hrefs = [a["href"] for t, a in tags.tags if t == "a"]
    assert all(h and h.startswith("https://") for h in hrefs)
    assert "https://trainyard.example/out/board.html" in hrefs
    assert all("on" + "error" not in a for _, a in tags.tags)
    # sync health first, then the changes
    assert plain.index("SYNC HEALTH") < plain.index("WHAT CHANGED SINCE Mon 12 Jan 09:00 CET")
    assert "[red] B-2" in plain
    assert "Became stalled (1):" in plain
    assert "A-6" in plain
    assert "Beta blocks 3 items in 2 teams" in plain
    assert body.index("Sync health") < body.index("What changed since")


def test_exactly_once_per_period_and_recipient(
    tmp_path: Path, db_url: str, smtp: SmtpServer
) -> None:
    write_world(db_url, train_world())
    config = load(write_config(tmp_path, db_url, smtp.port))
    assert deliver_digests(config, now=NOW).sent == 1
    assert deliver_digests(config, now=NOW + timedelta(hours=12)).sent == 0  # same local day
    assert len(smtp.mailbox.raw) == 1
    tomorrow = NOW + timedelta(days=1)
    assert deliver_digests(config, now=tomorrow).sent == 1
    first, second = smtp.mailbox.messages
    assert first["Message-ID"] != second["Message-ID"]
    text = second.get_payload()[0].get_content()  # type: ignore[index]
    assert "WHAT CHANGED SINCE Mon 19 Jan 09:00 CET" in text  # since the last one sent
    assert "Nothing changed." in text
    assert outbox(db_url) == [
        ("2026-01-19", "rte@acme.example", "sent", 1),
        ("2026-01-20", "rte@acme.example", "sent", 1),
    ]


def quiet_world() -> World:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.link("B-1", "A-1", at("2026-01-06"))
    w.sync("jira", at("2026-01-19", "07:50"))
    w.sync("github", at("2026-01-19", "07:50"))
    return w


def test_a_quiet_digest_is_not_sent_unless_asked(
    tmp_path: Path, sqlite_url: str, smtp: SmtpServer
) -> None:
    write_world(sqlite_url, quiet_world())
    quiet = load(write_config(tmp_path, sqlite_url, smtp.port))
    assert deliver_digests(quiet, now=NOW) == DeliveryReport(0, 0, True, ())
    assert smtp.mailbox.raw == []
    assert outbox(sqlite_url) == []
    loud = load(write_config(tmp_path, sqlite_url, smtp.port, digest="send_when_quiet = true"))
    assert deliver_digests(loud, now=NOW).sent == 1
    [msg] = smtp.mailbox.messages
    assert msg["Subject"] == "ART digest, Mon 19 Jan: nothing changed"


def test_each_routed_team_gets_its_slice(tmp_path: Path, sqlite_url: str, smtp: SmtpServer) -> None:
    write_world(sqlite_url, train_world())
    route = '[[digest.routes]]\nteam = "Gamma"\nto = ["gamma-lead@acme.example"]'
    config = load(write_config(tmp_path, sqlite_url, smtp.port, digest=route))
    assert deliver_digests(config, now=NOW).sent == 2
    by_to = {m["To"]: m for m in smtp.mailbox.messages}
    gamma = by_to["gamma-lead@acme.example"]
    assert gamma["Subject"].startswith("ART digest for Gamma, Mon 19 Jan:")
    text = gamma.get_payload()[0].get_content()  # type: ignore[index]
    assert "Gamma blocks 1 item in 1 team" in text
    assert "Beta blocks" not in text
    assert "B-1" not in text  # Beta → Alpha is not Gamma's business
    rte = by_to["rte@acme.example"].get_payload()[0].get_content()  # type: ignore[index]
    assert "Beta blocks 3 items in 2 teams" in rte
    assert "Gamma blocks 1 item" in rte
    assert gamma["Message-ID"] != by_to["rte@acme.example"]["Message-ID"]


def test_out_writes_the_message_without_sending(
    tmp_path: Path, sqlite_url: str, smtp: SmtpServer
) -> None:
    import email
    from email.policy import default

    write_world(sqlite_url, train_world())
    config = load(write_config(tmp_path, sqlite_url, smtp.port))
    out = tmp_path / "digest.eml"
    assert deliver_digests(config, now=NOW, send=False, out=out) == DeliveryReport(0, 0, False, ())
    msg = email.message_from_bytes(out.read_bytes(), policy=default)
    assert msg["To"] == "rte@acme.example"
    assert msg.get_content_type() == "multipart/alternative"
    assert smtp.mailbox.raw == []
    assert outbox(sqlite_url) == []


@pytest.mark.parametrize(
    ("digest", "smtp", "problem"),
    [
        (
            '[[digest.routes]]\nteam = "Delta"\nto = ["d@acme.example"]',
            "",
            "digest.routes[0].team: no team named 'Delta'",
        ),
        (
            '[[digest.routes]]\nteam = "Beta"\nto = ["rte@acme.example"]',
            "",
            "already gets a digest through digest.to",
        ),
        ("", 'security = "tls"', None),
    ],
    ids=["unknown-team", "address-twice", "bad-security"],
)
def test_bad_digest_config_is_one_line(
    tmp_path: Path, sqlite_url: str, digest: str, smtp: str, problem: str | None
) -> None:
    from sync.errors import ConfigError

    text = write_config(tmp_path, sqlite_url, 25, digest=digest).read_text()
    if smtp:
        text = text.replace('security = "none"', smtp)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message
    assert (problem or "smtp.security: unknown security 'tls'") in message
