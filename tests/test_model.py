"""The ART model on SQLite and PostgreSQL: every table round-trips, keys hold, times stay aware
UTC, SQLite runs in WAL mode, migrations apply once, and the catalog mirrors the config."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from model.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_db_engine,
    current_revision,
    head_revision,
    open_engine,
    upgrade,
)
from model.tables import (
    PI,
    Base,
    BaselineDependency,
    BaselineItem,
    ConnectorMemo,
    DigestOutbox,
    Event,
    ItemAlias,
    Iteration,
    Link,
    PIBaseline,
    QuarantinedRecord,
    ServiceLease,
    Source,
    StatusCategoryRow,
    SyncLock,
    SyncRun,
    SyncState,
    Team,
    TrackerSprint,
    Train,
    WorkItem,
)
from model.types import UTCDateTime
from sync.catalog import ensure_catalog
from sync.cli import main
from sync.config import load

T0 = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)
CET = timezone(timedelta(hours=1))


def columns(obj: Base) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


def work_item(source: Source, tracker_id: str, key: str, **extra: Any) -> WorkItem:
    return WorkItem(
        source_id=source.id,
        tracker_id=tracker_id,
        key=key,
        created_at=T0,
        updated_at=T0,
        first_seen_at=T0,
        last_seen_at=T0,
        **extra,
    )


def one_of_everything(session: Session) -> list[Base]:
    """A row in every table, with every column set, linked the way the engine links them."""
    train = Train(name="Payments ART", timezone="Europe/Berlin")
    team = Team(name="Checkout", train=train)
    pi = PI(name="PI 26.4", start=date(2026, 10, 5), end=date(2026, 12, 28), train=train)
    iteration = Iteration(
        seq=1, name="PI 26.4 · I1", start=date(2026, 10, 5), end=date(2026, 10, 19), is_ip=False
    )
    pi.iterations.append(iteration)
    source = Source(name="jira", kind="jira", url="https://acme.atlassian.net")
    session.add_all([train, source])
    session.flush()
    state = SyncState(
        source_id=source.id,
        mode="incremental",
        cursor=T0,
        window="2026-01-01..2026-02-01",
        last_success_at=T0,
        last_error="HTTP 503 from Jira; retried 6 times",
        last_error_at=T0 - timedelta(hours=1),
        updated_at=T0,
    )
    run = SyncRun(
        source_id=source.id,
        mode="incremental",
        started_at=T0,
        finished_at=T0 + timedelta(minutes=2),
        outcome="success",
        error=None,
        pages=3,
        items_written=250,
        links_written=40,
        events_written=900,
        api_requests=12,
        quarantined=1,
        census_items=5000,
        rate_limit_remaining=4990,
        pid=4242,
        host="rte-box",
    )
    lock = SyncLock(source_id=source.id, pid=4242, host="rte-box", since=T0, run_id=None)
    memo = ConnectorMemo(source_id=source.id, key="field:flagged", value="customfield_10021")
    sprint = TrackerSprint(
        source_id=source.id,
        tracker_id="37",
        name="CHK Sprint 12",
        state="active",
        start=T0,
        end=T0 + timedelta(days=14),
        completed=None,
        board_id="5",
        iteration_id=None,
    )
    status_row = StatusCategoryRow(source_id=source.id, status="In Review", category="in_progress")
    session.add_all([state, run, lock, memo, sprint, status_row])
    session.flush()
    sprint.iteration_id = iteration.id
    lock.run_id = run.id
    epic = work_item(source, "10000", "CHK-1", type="epic", title="Checkout v2")
    session.add(epic)
    session.flush()
    story = work_item(
        source,
        "10001",
        "CHK-2",
        url="https://acme.atlassian.net/browse/CHK-2",
        type="story",
        title="Pay with <b>card</b> & co",
        status="In Review",
        status_category="in_progress",
        container="CHK",
        team_id=team.id,
        team_field="36885b3c",
        sprint_id=sprint.id,
        parent_key="CHK-1",
        parent_id=epic.id,
        assignee="Ana Müller",
        labels=["blocked", "ä"],
        components=["Cart"],
        story_points=3.5,
        resolved_at=None,
        flagged=True,
        flag_reason="waiting for PAY-7",
        in_scope=True,
        missing=False,
        missing_since=None,
        missing_reason=None,
        moved_to=None,
        census_run_id=run.id,
    )
    session.add(story)
    session.flush()
    link = Link(
        source_id=source.id,
        origin="jira_link",
        link_key="20001",
        kind="blocks",
        blocker_item_id=None,
        blocker_tracker="jira",
        blocker_key="PAY-7",
        blocker_url="https://acme.atlassian.net/browse/PAY-7",
        blocked_item_id=story.id,
        blocked_tracker="jira",
        blocked_key="CHK-2",
        blocked_url=None,
        created_at=T0,
        created_from_history=True,
        removed_at=None,
        first_seen_at=T0,
        last_seen_at=T0,
    )
    session.add(link)
    session.flush()
    status_event = Event(
        source_id=source.id,
        event_key="10001:changelog:1:status",
        item_id=story.id,
        link_id=None,
        at=T0,
        field="status",
        from_value="To Do",
        to_value="In Review",
        detail=None,
    )
    link_event = Event(
        source_id=source.id,
        event_key="link:jira_link:20001:added",
        item_id=story.id,
        link_id=link.id,
        at=T0,
        field="link",
        from_value=None,
        to_value="added",
        detail="blocks",
    )
    quarantined = QuarantinedRecord(
        source_id=source.id, run_id=run.id, tracker_key="CHK-99", reason="no created date", at=T0
    )
    baseline = PIBaseline(pi_id=pi.id, name="planning", at=T0, created_at=T0)
    session.add(baseline)
    session.flush()
    planned = BaselineItem(
        baseline_id=baseline.id, source="jira", key="CHK-2", tracker_id="10001", title="t",
        url="https://acme.atlassian.net/browse/CHK-2", type="feature", team="Checkout",
        iteration="PI 26.4 · I1", iteration_seq=1, status="To Do", status_category="todo",
    )  # fmt: skip
    planned_dep = BaselineDependency(
        baseline_id=baseline.id, blocker_source="jira", blocker_key="PAY-7",
        blocked_source="jira", blocked_key="CHK-2", health="red", created_at=T0,
    )  # fmt: skip
    lease = ServiceLease(
        name="reports", holder="host:1:abc", expires_at=T0, acquired_at=T0, last_started_at=T0,
        last_finished_at=T0, last_outcome="failed", last_error="disk full", last_success_at=T0,
        last_holder="host:1:abc",
    )  # fmt: skip
    outbox = DigestOutbox(
        train="Payments ART", period="2026-10-05", recipient="rte@acme.example", team=None,
        message_id="<digest.2026-10-05.rte@trainyard>", status="sent", attempts=1, since=T0,
        as_of=T0, created_at=T0, attempted_at=T0, sent_at=T0, error=None,
    )  # fmt: skip
    alias = ItemAlias(source_id=source.id, item_id=story.id, key="ATL-18", at=T0)  # moved
    session.add_all(
        [status_event, link_event, quarantined, planned, planned_dep, lease, outbox, alias]
    )
    session.commit()
    return [
        train,
        team,
        pi,
        iteration,
        source,
        state,
        run,
        lock,
        memo,
        sprint,
        status_row,
        epic,
        story,
        link,
        status_event,
        link_event,
        quarantined,
        baseline,
        planned,
        planned_dep,
        lease,
        outbox,
        alias,
    ]


def test_every_table_round_trips(session: Session) -> None:
    rows = one_of_everything(session)
    assert {type(r).__table__.name for r in rows} == set(Base.metadata.tables)  # type: ignore[attr-defined]
    written = [(type(r), inspect(r).identity, columns(r)) for r in rows]
    session.expunge_all()
    for cls, identity, values in written:
        loaded = session.get(cls, identity)
        assert loaded is not None, cls
        assert columns(loaded) == values, cls.__name__
    story = session.scalars(select(WorkItem).where(WorkItem.key == "CHK-2")).one()
    assert story.labels == ["blocked", "ä"]
    assert story.title == "Pay with <b>card</b> & co"
    assert story.story_points == 3.5
    assert all(
        value.tzinfo is UTC for value in columns(story).values() if isinstance(value, datetime)
    )


def test_relationships_load(session: Session) -> None:
    one_of_everything(session)
    session.expunge_all()
    train = session.scalars(select(Train)).one()
    assert [t.name for t in train.teams] == ["Checkout"]
    assert [i.name for i in train.pis[0].iterations] == ["PI 26.4 · I1"]
    assert train.pis[0].iterations[0].pi.train.name == "Payments ART"


def _source(session: Session, name: str = "jira") -> Source:
    src = Source(name=name, kind="jira", url="https://x")
    session.add(src)
    session.flush()
    return src


def test_work_item_is_unique_per_source_and_tracker_id(session: Session) -> None:
    jira, other = _source(session), _source(session, "jira-dc")
    session.add_all([work_item(jira, "1", "CHK-1"), work_item(other, "1", "CHK-1")])
    session.commit()
    session.add(work_item(jira, "1", "CHK-1-moved"))
    with pytest.raises(IntegrityError):
        session.commit()


def _link(source: Source, origin: str, link_key: str) -> Link:
    return Link(
        source_id=source.id,
        origin=origin,
        link_key=link_key,
        blocker_tracker="jira",
        blocker_key="A-1",
        blocked_tracker="jira",
        blocked_key="A-2",
        created_at=T0,
        first_seen_at=T0,
        last_seen_at=T0,
    )


def test_link_is_unique_per_source_origin_and_key(session: Session) -> None:
    src = _source(session)
    session.add_all([_link(src, "jira_link", "1"), _link(src, "jira_remote_link", "1")])
    session.commit()
    session.add(_link(src, "jira_link", "1"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_event_is_unique_per_source_and_key(session: Session) -> None:
    src = _source(session)
    item = work_item(src, "1", "A-1")
    session.add(item)
    session.flush()

    def event(key: str) -> Event:
        return Event(source_id=src.id, event_key=key, item_id=item.id, at=T0, field="status")

    session.add_all([event("e1"), event("e2")])
    session.commit()
    session.add(event("e1"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_sync_state_is_one_row_per_source_and_mode(session: Session) -> None:
    src = _source(session)
    session.add_all(
        [
            SyncState(source_id=src.id, mode="incremental"),
            SyncState(source_id=src.id, mode="backfill"),
        ]
    )
    session.commit()
    session.add(SyncState(source_id=src.id, mode="incremental"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_aware_datetimes_come_back_in_utc(session: Session) -> None:
    src = _source(session)
    session.add(
        SyncRun(
            source_id=src.id,
            mode="incremental",
            started_at=datetime(2026, 3, 29, 2, 30, tzinfo=CET),
        )
    )
    session.commit()
    session.expunge_all()
    started = session.scalars(select(SyncRun.started_at)).one()
    assert started == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert started.tzinfo is UTC


def test_naive_datetimes_are_refused(session: Session) -> None:
    src = _source(session)
    session.add(SyncRun(source_id=src.id, mode="incremental", started_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_utc_type_directly() -> None:
    sqlite, postgresql = (create_engine(url) for url in ("sqlite://", "postgresql+psycopg://"))
    utc = UTCDateTime()
    with pytest.raises(ValueError, match="aware UTC datetimes only"):
        utc.process_bind_param(datetime(2026, 1, 1), sqlite.dialect)
    stored = utc.process_bind_param(datetime(2026, 1, 1, 1, tzinfo=CET), sqlite.dialect)
    assert stored == datetime(2026, 1, 1, 0, 0)  # SQLite keeps UTC wall time
    assert utc.process_bind_param(datetime(2026, 1, 1, 1, tzinfo=CET), postgresql.dialect) == (
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    )
    assert utc.process_result_value("2026-01-01 00:00:00.000000", sqlite.dialect) == datetime(
        2026, 1, 1, tzinfo=UTC
    )
    assert utc.process_result_value(datetime(2026, 1, 1, 1, tzinfo=CET), postgresql.dialect) == (
        datetime(2026, 1, 1, 0, tzinfo=UTC)
    )
    assert utc.process_bind_param(None, sqlite.dialect) is None
    assert utc.process_result_value(None, sqlite.dialect) is None


# -- engines and migrations -----------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = open_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_foreign_keys_cascade(sqlite_url: str) -> None:
    engine = open_engine(sqlite_url)
    try:
        with Session(engine) as session:
            src = _source(session)
            session.add(SyncState(source_id=src.id, mode="incremental"))
            session.commit()
            session.execute(text("DELETE FROM sources"))
            session.commit()
            assert session.scalars(select(SyncState)).all() == []
    finally:
        engine.dispose()


def test_open_engine_migrates_on_first_use_and_not_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = create_db_engine(db_url)
    assert current_revision(bare) is None
    bare.dispose()
    engine = open_engine(db_url)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    engine.dispose()

    def no_second_migration(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("migrations ran on a current schema")

    monkeypatch.setattr("alembic.command.upgrade", no_second_migration)
    again = open_engine(db_url)
    assert upgrade(again) == (head_revision(), head_revision())
    again.dispose()


def config_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "trainyard.toml"
    path.write_text(f'[database]\nurl = "{url}"\n[train]\nname = "ART"\n', encoding="utf-8")
    return path


def test_db_upgrade_command(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file(tmp_path, db_url)
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    first = capsys.readouterr().out
    assert f"upgraded schema from empty to {head_revision()}" in first
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    assert f"schema is current (revision {head_revision()})" in capsys.readouterr().out
    engine = create_db_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_db_upgrade_never_prints_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file(tmp_path, "postgresql+psycopg://rte:hunter2@127.0.0.1:1/nowhere")
    assert main(["db", "upgrade", "--config", str(path)]) == 1
    captured = capsys.readouterr()
    assert "hunter2" not in captured.err + captured.out
    assert "rte:***@127.0.0.1:1/nowhere" in captured.err


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("not a url", 2, "is not usable"),
        ("nonsense://db", 2, "Can't load plugin"),
        ("mysql://u@localhost/db", 2, "install its driver"),
        ("sqlite:////nonexistent-dir/sub/x.db", 1, "unable to open database file"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/test", 1, "cannot reach database"),
    ],
    ids=["unparseable", "unknown-dialect", "driver-missing", "sqlite-dir-missing", "unreachable"],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["status"]], ids=["db-upgrade", "status"])
def test_bad_database_url_is_one_line(
    url: str,
    code: int,
    words: str,
    command: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = config_file(tmp_path, url)
    assert main([*command, "--config", str(path)]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert words in lines[0]
    assert f"[database] url in {path}" in lines[0]


# -- the catalog: config → train, teams, PIs, iterations, sources ---------------------------

CATALOG_CONFIG = """\
[train]
name = "Payments ART"
timezone = "Europe/Berlin"
[[train.teams]]
name = "Checkout"
[[train.teams]]
name = "Payments"
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[calendar.pis]]
name = "PI 27.1"
start = 2026-12-28
iterations = 3
iteration_days = 7
ip_iteration = false
[[sources]]
name = "github"
kind = "github"
token_env = "GITHUB_TOKEN"
repos = ["acme/web"]
"""


def test_catalog_creates_the_train_idempotently(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG_CONFIG, encoding="utf-8")
    config = load(path)
    for _ in range(2):
        ensure_catalog(session, config)
        session.commit()
    session.expunge_all()
    train = session.scalars(select(Train)).one()
    assert (train.name, train.timezone) == ("Payments ART", "Europe/Berlin")
    assert sorted(t.name for t in train.teams) == ["Checkout", "Payments"]
    pis = {p.name: p for p in train.pis}
    assert (pis["PI 26.4"].start, pis["PI 26.4"].end) == (date(2026, 10, 5), date(2026, 12, 28))
    first = [(i.seq, i.name, i.start, i.end, i.is_ip) for i in pis["PI 26.4"].iterations]
    assert first[0] == (1, "PI 26.4 · I1", date(2026, 10, 5), date(2026, 10, 19), False)
    assert first[4] == (5, "PI 26.4 · I5", date(2026, 11, 30), date(2026, 12, 14), False)
    assert first[5] == (6, "PI 26.4 · IP", date(2026, 12, 14), date(2026, 12, 28), True)
    assert [i.name for i in pis["PI 26.4"].iterations] == [
        "PI 26.4 · I1",
        "PI 26.4 · I2",
        "PI 26.4 · I3",
        "PI 26.4 · I4",
        "PI 26.4 · I5",
        "PI 26.4 · IP",
    ]
    second = [(i.name, i.start, i.end, i.is_ip) for i in pis["PI 27.1"].iterations]
    assert second == [
        ("PI 27.1 · I1", date(2026, 12, 28), date(2027, 1, 4), False),
        ("PI 27.1 · I2", date(2027, 1, 4), date(2027, 1, 11), False),
        ("PI 27.1 · I3", date(2027, 1, 11), date(2027, 1, 18), False),
    ]
    assert session.scalars(select(Iteration)).all().__len__() == 9
    (source,) = session.scalars(select(Source)).all()
    assert (source.name, source.kind, source.url) == ("github", "github", "https://api.github.com")


def test_catalog_follows_a_changed_calendar_and_keeps_removed_teams(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG_CONFIG, encoding="utf-8")
    ensure_catalog(session, load(path))
    session.commit()
    changed = CATALOG_CONFIG.replace('name = "Payments"\n', 'name = "Payments Core"\n').replace(
        "iterations = 3", "iterations = 2"
    )
    path.write_text(changed, encoding="utf-8")
    ensure_catalog(session, load(path))
    session.commit()
    session.expunge_all()
    teams = sorted(session.scalars(select(Team.name)).all())
    assert teams == ["Checkout", "Payments", "Payments Core"]  # history may reference the old
    pi = session.scalars(select(PI).where(PI.name == "PI 27.1")).one()
    assert [i.name for i in pi.iterations] == ["PI 27.1 · I1", "PI 27.1 · I2"]
    assert pi.end == date(2027, 1, 11)


def test_engine_fixture_is_migrated(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_two_processes_mirroring_the_catalog_at_once_both_succeed(
    engine: Engine, tmp_path: Path
) -> None:
    """Two ``serve`` starting together: the second waits for the first and finds its train."""
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG_CONFIG, encoding="utf-8")
    config = load(path)
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with Session(engine) as other, other.begin():
                outcome["train"] = ensure_catalog(other, config).name
        except Exception as exc:  # the assertion below names it
            outcome["error"] = exc

    with Session(engine) as first, first.begin():
        ensure_catalog(first, config)
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive(), "the second writer should wait for the first one's commit"
    racer.join(20)
    assert outcome == {"train": config.train.name}
    with Session(engine) as check:
        assert len(check.scalars(select(Train)).all()) == 1
        assert len(check.scalars(select(Source)).all()) == 1
