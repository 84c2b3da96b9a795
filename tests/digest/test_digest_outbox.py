"""The outbox protocol on both databases: a claim is taken once, a failed delivery is claimed
again (same Message-ID, one more attempt), a "sending" or "sent" one never; concurrent
senders deliver one message."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sync.config import load
from sync.mail import deliver_digests, outbox
from tests.digest.conftest import NOW, SINCE, SmtpServer, train_world, write_config, write_world

KEY = {"train": "ART", "period": "2026-01-19", "recipient": "rte@acme.example"}


def claim(session: Session, message_id: str = "<m1@x>") -> outbox.Delivery | None:
    return outbox.claim(
        session, **KEY, team=None, message_id=message_id, since=SINCE, as_of=NOW, now=NOW
    )


def test_claims_and_records(engine: Engine) -> None:
    with Session(engine) as session:
        first = claim(session)
        assert first is not None
        assert first.attempts == 1
        assert claim(session) is None  # being sent: never twice
        assert [p.status for p in outbox.problems(session, "ART")] == ["unknown"]
        outbox.record_failed(session, first, "SMTP server x:25 answered 451 try later")
        [problem] = outbox.problems(session, "ART")
        assert problem.line == (
            "digest to rte@acme.example for 2026-01-19: FAILED after 1 attempt(s): "
            "SMTP server x:25 answered 451 try later; the next run retries"
        )
        again = claim(session, "<another@x>")
        assert again is not None
        assert (again.id, again.message_id, again.attempts) == (first.id, "<m1@x>", 2)
        outbox.record_sent(session, again, NOW)
        assert claim(session) is None
        assert outbox.problems(session, "ART") == []
        assert outbox.last_sent_as_of(session, "ART", "rte@acme.example", "2026-01-20") == NOW
        assert outbox.last_sent_as_of(session, "ART", "rte@acme.example", "2026-01-19") is None


def test_concurrent_senders_deliver_one_message(
    tmp_path: Path, db_url: str, smtp: SmtpServer
) -> None:
    write_world(db_url, train_world())
    config = load(write_config(tmp_path, db_url, smtp.port))
    results: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            results.append(deliver_digests(config, now=NOW).sent)
        except BaseException as exc:  # reported below: a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(results) == [0, 0, 1]
    assert len(smtp.mailbox.raw) == 1
