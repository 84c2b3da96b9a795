"""Database leases on SQLite and PostgreSQL: one holder at a time, renewal, expiry, takeover,
and the job's outcome recorded on the row."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from model.tables import ServiceLease
from sync.service.leases import holder_of, leased, try_acquire
from tests.engine.scripted import T0, Clock


def row(db: Engine, name: str) -> ServiceLease:
    with Session(db) as s:
        lease = s.get(ServiceLease, name)
        assert lease is not None
        return lease


def test_one_holder_at_a_time_until_it_releases(engine: Engine) -> None:
    clock = Clock(T0)
    first = try_acquire(engine, "reports", "a:1:x", 60, clock)
    assert first is not None
    assert try_acquire(engine, "reports", "b:2:y", 60, clock) is None
    assert holder_of(engine, "reports") == ("a:1:x", T0 + timedelta(seconds=60))
    first.release("success", None)
    second = try_acquire(engine, "reports", "b:2:y", 60, clock)
    assert second is not None
    assert row(engine, "reports").last_holder == "b:2:y"


def test_an_expired_lease_is_taken_over_and_its_holder_learns_it(engine: Engine) -> None:
    clock = Clock(T0)
    dead = try_acquire(engine, "digest", "a:1:x", 30, clock)
    assert dead is not None  # and then its process is killed: no renewal, no release
    clock.tick(seconds=29)
    assert try_acquire(engine, "digest", "b:2:y", 30, clock) is None
    clock.tick(seconds=2)
    taker = try_acquire(engine, "digest", "b:2:y", 30, clock)
    assert taker is not None
    assert not dead.renew()
    assert dead.lost
    dead.release("success", None)  # a late release of a lost lease changes nothing
    assert holder_of(engine, "digest")[0] == "b:2:y"


def test_renewal_keeps_the_lease(engine: Engine) -> None:
    clock = Clock(T0)
    lease = try_acquire(engine, "reports", "a:1:x", 30, clock)
    assert lease is not None
    clock.tick(seconds=25)
    assert lease.renew()
    clock.tick(seconds=25)  # 50 s after taking it, 25 s after the renewal
    assert try_acquire(engine, "reports", "b:2:y", 30, clock) is None
    assert holder_of(engine, "reports")[1] == T0 + timedelta(seconds=55)


def test_leased_records_success_and_failure(engine: Engine) -> None:
    clock = Clock(T0)
    with leased(engine, "reports", "a:1:x", 30, clock) as lease:
        assert lease is not None
        clock.tick(seconds=3)
    done = row(engine, "reports")
    assert (done.holder, done.last_outcome, done.last_error) == (None, "success", None)
    assert done.last_success_at == T0 + timedelta(seconds=3)

    def fail() -> None:
        with leased(engine, "reports", "a:1:x", 30, clock):
            clock.tick(seconds=4)
            raise OSError("disk\nfull")

    with pytest.raises(OSError, match="disk"):
        fail()
    failed = row(engine, "reports")
    assert (failed.holder, failed.last_outcome, failed.last_error) == (None, "failed", "disk full")
    assert failed.last_success_at == T0 + timedelta(seconds=3)  # the last success stays
    assert failed.last_finished_at == T0 + timedelta(seconds=7)


def test_leased_runs_nothing_while_another_holds_it(engine: Engine) -> None:
    assert try_acquire(engine, "digest", "b:2:y", 60) is not None
    with leased(engine, "digest", "a:1:x", 60) as lease:
        assert lease is None
    assert holder_of(engine, "digest")[0] == "b:2:y"


def test_the_lease_is_renewed_in_the_background_while_the_job_runs(engine: Engine) -> None:
    with leased(engine, "reports", "a:1:x", 6) as lease:
        assert lease is not None
        first = holder_of(engine, "reports")[1]
        threading.Event().wait(2.5)  # a renewal every 2 s
        assert holder_of(engine, "reports")[1] > first  # type: ignore[operator]


def test_racing_processes_get_the_lease_once(engine: Engine) -> None:
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def contend(n: int) -> None:
        barrier.wait()
        if try_acquire(engine, "reports", f"h:{n}:t", 60) is not None:
            winners.append(f"h:{n}:t")

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert holder_of(engine, "reports")[0] == winners[0]
