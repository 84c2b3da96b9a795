"""HA: two real ``trainyard serve`` processes on one PostgreSQL database. Only one syncs a
source at a time (the source lock); the holder is killed with ``-9`` in the middle of its sync;
the other takes the source over at its next interval, marks the dead run interrupted, loses and
doubles nothing, and writes the reports under the reports lease."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from model import tables as t
from model.db import open_engine
from tests.service.serving import Serve, wait_for, world

pytestmark = pytest.mark.slow


def lock_holder(db: Engine, source: str) -> int | None:
    with Session(db) as s:
        return s.scalar(
            select(t.SyncLock.pid)
            .join(t.Source, t.Source.id == t.SyncLock.source_id)
            .where(t.Source.name == source)
        )


def github_runs(db: Engine) -> list[tuple[int | None, str, int]]:
    with Session(db) as s:
        rows = s.execute(
            select(t.SyncRun.pid, t.SyncRun.outcome, t.SyncRun.items_written)
            .join(t.Source, t.Source.id == t.SyncRun.source_id)
            .where(t.Source.name == "github")
            .order_by(t.SyncRun.id)
        ).all()
        return [(pid, outcome, items) for pid, outcome, items in rows]


def test_a_killed_holder_is_taken_over_by_the_other_process(
    tmp_path: Path, pg_schema_url: str
) -> None:
    with world(tmp_path, pg_schema_url, issues=250) as w:
        w.github.latency = 0.04  # the GitHub sync takes long enough to be killed in it
        first = w.serve(w.config("a.toml", cron=""))
        second = w.serve(w.config("b.toml", cron=""))
        by_pid = {first.pid: first, second.pid: second}
        db = open_engine(pg_schema_url)
        try:
            holder_pid = wait_for(
                "one process to hold the github lock",
                lambda: lock_holder(db, "github"),
                60,
                first,
                second,
            )
            holder = by_pid[holder_pid]
            other: Serve = second if holder is first else first
            wait_for(
                "the other process to be refused the source",
                lambda: other.logged("sync:github skipped: source github is being synced by pid"),
                30,
                other,
            )
            wait_for(
                "the holder to store a page",
                lambda: github_runs(db) and github_runs(db)[-1][2] > 0,
                60,
                holder,
            )
            holder.kill()  # SIGKILL in the middle of the run: no cleanup of any kind
            assert github_runs(db)[-1][:2] == (holder_pid, "running")
            wait_for(
                "the other process to sync github",
                lambda: (other.pid, "success") in [r[:2] for r in github_runs(db)],
                100,
                other,
            )
            wait_for(
                "the reports after the takeover",
                lambda: _reports_by(db, other.pid),
                30,
                other,
            )
            runs = github_runs(db)
            assert runs[0][:2] == (holder_pid, "interrupted")  # marked by the next lock holder
            assert [r[0] for r in runs[1:]] == [other.pid]
            assert lock_holder(db, "github") is None
            with Session(db) as s:
                keys = s.scalars(
                    select(t.WorkItem.key)
                    .join(t.Source, t.Source.id == t.WorkItem.source_id)
                    .where(t.Source.name == "github")
                )
                stored = list(keys)
            expected = {
                f"{raw['repository_url'].rsplit('/repos/', 1)[1]}#{raw['number']}"
                for raw in w.github.issues()
            }
            assert len(stored) == len(set(stored))  # nothing doubled
            assert set(stored) >= expected  # nothing lost
            code, seconds = other.terminate()
            assert code == 0
            assert seconds < 10
        finally:
            db.dispose()
    assert (tmp_path / "out" / "dependencies.html").exists()


def _reports_by(db: Engine, pid: int) -> bool:
    with Session(db) as s:
        lease = s.get(t.ServiceLease, "reports")
        return (
            lease is not None
            and lease.last_outcome == "success"
            and f":{pid}:" in (lease.last_holder or "")
            and lease.holder is None
        )
