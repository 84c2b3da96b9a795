"""The service's log: one line per event (tracebacks folded in), text or JSON, and no secret in
it — the configured tokens, the basic-auth header they make and the database password."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.config import load
from sync.service.logs import configure, secret_values

USER, TOKEN, PG_PASSWORD = "bot@acme.example", "tok-S3CRET-981", "pg-Pa55word"

CONFIG = """
[database]
url = "postgresql+psycopg://trainyard:{pw}@db.internal/trainyard"
[train]
name = "ART"
[[sources]]
name = "jira"
kind = "jira"
user_env = "LOGTEST_USER"
token_env = "LOGTEST_TOKEN"
"""


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Settings:
        user_env: str | None = None
        token_env: str | None = None

    monkeypatch.setenv("LOGTEST_USER", USER)
    monkeypatch.setenv("LOGTEST_TOKEN", TOKEN)
    path = tmp_path / "trainyard.toml"
    path.write_text(CONFIG.format(pw=PG_PASSWORD))
    return secret_values(load(path, connector_settings={"jira": Settings}))


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def emit(fmt: str, secrets: list[str]) -> str:
    stream = io.StringIO()
    configure(fmt, secrets, stream)
    log = logging.getLogger("trainyard.service")
    basic = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    log.info("sync of jira: Authorization: Basic %s", basic, extra={"kv": {"url": TOKEN}})
    try:
        raise RuntimeError(f"connect to\npostgresql://trainyard:{PG_PASSWORD}@db failed")
    except RuntimeError:
        log.exception("reports crashed", extra={"kv": {"job": "reports"}})
    logging.getLogger("some.library").warning("token is %s", TOKEN)
    return stream.getvalue()


def test_secret_values_cover_tokens_basic_auth_and_the_database_password(
    secrets: list[str],
) -> None:
    basic = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    assert {USER, TOKEN, PG_PASSWORD, basic} <= set(secrets)


@pytest.mark.usefixtures("restore_root")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_one_line_per_event_and_no_secret(fmt: str, secrets: list[str]) -> None:
    out = emit(fmt, secrets)
    lines = out.splitlines()
    assert len(lines) == 3
    for value in secrets:
        assert value not in out
    assert "***" in lines[0]
    assert "Traceback" in lines[1]
    assert "some.library" in lines[2]


@pytest.mark.usefixtures("restore_root")
def test_json_lines_carry_level_logger_event_and_fields(secrets: list[str]) -> None:
    first, second, _ = (json.loads(line) for line in emit("json", secrets).splitlines())
    assert first["level"] == "info"
    assert first["logger"] == "trainyard.service"
    assert first["event"] == "sync of jira: Authorization: Basic ***"
    assert first["url"] == "***"
    assert first["ts"].endswith("Z")
    assert second["job"] == "reports"
    assert "RuntimeError: connect to\npostgresql://trainyard:***@db failed" in second["exc"]


@pytest.mark.usefixtures("restore_root")
def test_text_lines_carry_fields_as_pairs(secrets: list[str]) -> None:
    first, second, _ = emit("text", secrets).splitlines()
    assert " INFO trainyard.service: sync of jira: Authorization: Basic *** url=***" in first
    assert "ERROR trainyard.service: reports crashed job=reports exc=" in second
