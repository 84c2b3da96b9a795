"""``trainyard digest`` through the real CLI: preview, --since, --out, --send and its errors
(one line, exit 2 for usage and config, exit 1 for a failed send)."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine

from sync.cli import main
from tests.digest.conftest import NOW, SmtpServer, free_port, train_world, write_config, write_world


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with time_machine.travel(NOW, tick=False):
        code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str, smtp: SmtpServer) -> Path:
    write_world(sqlite_url, train_world())
    return write_config(tmp_path, sqlite_url, smtp.port)


def test_without_send_it_prints_the_text(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["digest", "--config", str(config)], capsys)
    assert code == 0
    assert out.startswith("ART digest, Mon 19 Jan 09:00 CET\n")
    assert "WHAT CHANGED SINCE Mon 12 Jan 09:00 CET" in out  # first digest: a week back


def test_since_replaces_the_last_digest(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["digest", "--since", "2026-01-15", "--config", str(config)], capsys)
    assert code == 0
    assert "WHAT CHANGED SINCE Thu 15 Jan 00:00 CET" in out
    assert "Resolved dependencies" not in out  # C-1 was done on the 14th


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("yesterday", "--since 'yesterday' is not a time; use 2026-10-20"),
        ("2026-02-01", "--since '2026-02-01' is in the future; give a past time"),
    ],
    ids=["not-a-time", "future"],
)
def test_a_bad_since_is_a_usage_error(
    config: Path, capsys: pytest.CaptureFixture[str], since: str, message: str
) -> None:
    code, out, err = run(["digest", "--since", since, "--config", str(config)], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err


def test_send_and_out(
    config: Path, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "digest.eml"
    code, _, err = run(
        ["digest", "--send", "--out", str(out_file), "--config", str(config)], capsys
    )
    assert code == 0
    assert err == "digest: 1 sent, 0 failed\n"
    assert len(smtp.mailbox.raw) == 1
    assert out_file.read_bytes().count(b"Message-ID: ") == 1


def test_a_failed_send_exits_1_with_the_reason(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_world(sqlite_url, train_world())
    port = free_port()
    code, _, err = run(
        ["digest", "--send", "--config", str(write_config(tmp_path, sqlite_url, port))], capsys
    )
    assert code == 1
    first, second = err.splitlines()
    assert first == "digest: 0 sent, 1 failed"
    assert second.startswith(
        f"trainyard: error: rte@acme.example: cannot reach SMTP server 127.0.0.1:{port}"
    )


@pytest.mark.parametrize(
    ("smtp", "message"),
    [
        ('from = ""', 'no sender: set [smtp] from = "trainyard@example.com"'),
        (
            'user = "bot"\npassword_env = "TRAINYARD_TEST_UNSET_SMTP_PASSWORD"',
            "environment variable TRAINYARD_TEST_UNSET_SMTP_PASSWORD ([smtp] password_env) is "
            "not set",
        ),
    ],
    ids=["no-sender", "password-variable-unset"],
)
def test_send_needs_a_complete_smtp_config(
    tmp_path: Path,
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smtp: str,
    message: str,
) -> None:
    monkeypatch.delenv("TRAINYARD_TEST_UNSET_SMTP_PASSWORD", raising=False)
    write_world(sqlite_url, train_world())
    path = write_config(tmp_path, sqlite_url, 25, smtp=smtp)
    text = path.read_text()
    if smtp.startswith("from"):
        text = text.replace('from = "trainyard@acme.example"\n', "")
    path.write_text(text)
    code, _, err = run(["digest", "--send", "--config", str(path)], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert message in err
