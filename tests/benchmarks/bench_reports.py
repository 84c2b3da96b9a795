"""Benchmark: every report on a generated train of 100,000 items and 20,000 links with history.

    .venv/bin/python tests/benchmarks/bench_reports.py                 # SQLite and PostgreSQL
    .venv/bin/python tests/benchmarks/bench_reports.py --items 10000 --links 2000 --sqlite-only
    .venv/bin/python tests/benchmarks/bench_reports.py --churn 3       # 3x the status history
    .venv/bin/python tests/benchmarks/bench_reports.py --sqlite-only --cpu  # + CPU seconds

The train spans two years (8 PIs of six 14-day iterations, 10 teams, two sources): items are
created evenly over it and walk To Do → In Progress (→ Blocked) → Done with sprint moves,
flags and blocked labels; links are added between items (half of them among recent items so
dependencies are open), a third removed later, some re-added, some pointing at items that are
not stored. Each report runs in a fresh process (so peak RSS is its own), as of now and as of
45 days earlier, and prints wall time and peak RSS. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "reports"))
sys.path.insert(0, str(HERE.parents[1]))

from report_world import ItemSpec, LinkSpec, World  # noqa: E402

PG_URL = os.environ.get("TRAINYARD_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = date(2025, 1, 6)
PIS = 8
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # in the 4th iteration of the last PI
TEAMS = tuple(f"Team {n:02d}" for n in range(10))


def generate(items: int, links: int, churn: int, seed: int = 7) -> World:
    rnd = random.Random(seed)
    pis = tuple((f"PI {n + 1}", START + timedelta(days=84 * n), 5, 14, True) for n in range(PIS))
    world = World(train="Bench ART", teams=TEAMS, pis=pis)
    first = datetime(START.year, START.month, START.day, tzinfo=UTC)
    span = (NOW - first).total_seconds() - 86400
    for pi_no in range(PIS):
        for seq in range(1, 7):
            end = first + timedelta(days=84 * pi_no + 14 * seq)  # sprints close when they end
            closed = end if end <= NOW else None
            world.sprint("jira", f"{pi_no * 6 + seq}", f"PI {pi_no + 1}", seq, closed=closed)
    keys: list[str] = []
    for n in range(items):
        created = first + timedelta(seconds=span * n / items)
        key = f"P{n % 10}-{n}"
        spec = ItemSpec(
            key, "jira", created, TEAMS[n % 10] if n % 37 else None, f"Item {n}", "To Do", labels=()
        )
        sprint = str(min(int((created - first).days // 14) + 1, PIS * 6))
        spec.sprint = sprint
        _lifecycle(spec, rnd, churn)
        world.items[key] = spec
        keys.append(key)
    recent = keys[-items // 12 :]
    for n in range(links):
        pool = recent if n % 2 else keys
        blocker, blocked = rnd.sample(pool, 2)
        a, b = world.items[blocker], world.items[blocked]
        added = max(a.created, b.created) + timedelta(hours=rnd.randint(1, 240))
        if added >= NOW:
            added = max(a.created, b.created) + timedelta(minutes=1)
        end: str | tuple[str, str, str] = blocker
        if n % 50 == 0:
            end = ("github", f"acme/ext#{n}", f"https://github.com/acme/ext/issues/{n}")
        spec = LinkSpec(end, blocked, "jira_link", "jira", f"L{n}")
        spec.changes.append((added, "added"))
        if n % 3 == 0:
            gone = added + timedelta(days=rnd.randint(1, 40))
            if gone < NOW:
                spec.changes.append((gone, "removed"))
                back = gone + timedelta(days=rnd.randint(1, 20))
                if n % 15 == 0 and back < NOW:
                    spec.changes.append((back, "added"))
        world.links.append(spec)
    for source in ("jira", "github"):
        for k in range(96):
            world.sync(
                source, NOW - timedelta(minutes=15 * k + 5), census=items if k == 0 else None
            )
    return world


def _lifecycle(spec: ItemSpec, rnd: random.Random, churn: int) -> None:
    at = spec.created
    status = "To Do"

    def move(to: str, after: timedelta) -> bool:
        nonlocal at, status
        if at + after >= NOW:
            return False
        at += after
        spec.changes.append((at, "status", status, to, None))
        status = to
        return True

    for _ in range(churn):  # extra history: work started and put back
        if not (
            move("In Progress", timedelta(hours=rnd.randint(1, 48)))
            and move("To Do", timedelta(hours=rnd.randint(1, 48)))
        ):
            return
    if not move("In Progress", timedelta(hours=rnd.randint(1, 240))):
        return
    if rnd.random() < 0.1:
        flag_at = at + timedelta(hours=rnd.randint(1, 48))
        if flag_at < NOW:
            at = flag_at
            spec.changes.append((at, "flagged", "", "Impediment", "waiting on vendor"))
            clear = at + timedelta(hours=rnd.randint(1, 120))
            if clear < NOW:
                at = clear
                spec.changes.append((at, "flagged", "Impediment", "", None))
    if rnd.random() < 0.05 and move("Blocked", timedelta(hours=rnd.randint(1, 72))):
        move("In Progress", timedelta(hours=rnd.randint(1, 120)))
    if rnd.random() < 0.02:
        spec.changes.append((at, "label", None, "blocked", None))
        back = at + timedelta(hours=rnd.randint(1, 72))
        if back < NOW:
            at = back
            spec.changes.append((at, "label", "blocked", None, None))
    move("Done", timedelta(hours=rnd.randint(24, 24 * 30)))


def build(url: str, items: int, links: int, churn: int) -> float:
    from sqlalchemy.orm import Session

    from model.db import open_engine, refresh_statistics

    began = time.perf_counter()
    world = generate(items, links, churn)
    engine = open_engine(url)
    with Session(engine) as session:
        world.write(session)
    refresh_statistics(engine)  # as the sync engine does after a bulk run: plans see the data
    engine.dispose()
    return time.perf_counter() - began


def run_one(url: str, report: str, as_of: str) -> None:
    """In a child process: compute and render one report, print figures as JSON."""
    from sqlalchemy.orm import Session

    from model.db import create_db_engine
    from reports.blocked import blocked_report
    from reports.dependencies import dependency_report
    from reports.flow import flow_report
    from reports.render import render
    from reports.state import ReportContext

    builders = {"dependencies": dependency_report, "blocked": blocked_report, "flow": flow_report}
    engine = create_db_engine(url)
    with engine.connect() as conn:  # connect and warm the catalog outside the timing
        conn.exec_driver_sql("select 1")
    base = _rss_kb("VmRSS")
    ctx = ReportContext(
        train="Bench ART", as_of=datetime.fromisoformat(as_of), now=NOW, sources=("jira", "github")
    )
    began, cpu = time.perf_counter(), time.process_time()
    with Session(engine) as session:
        result = builders[report](session, ctx)
        text = render(result, "json")
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    peak = _rss_kb("VmHWM")
    doc = json.loads(text)
    rows = len(doc.get("dependencies") or doc.get("blocked") or doc.get("flow") or [])
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_mb": peak / 1024,
                "delta_mb": (peak - base) / 1024,
                "rows": rows,
            }
        )
    )


def _rss_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc (ru_maxrss survives exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(label: str, url: str, cpu: bool = False) -> None:
    """Each report as of now and 45 days earlier; ``cpu``: also this process's CPU seconds
    (SQLite runs in it: on a machine shared with other work, the steadier figure)."""
    for as_of in (NOW, NOW - timedelta(days=45)):
        for report in ("dependencies", "blocked", "flow"):
            out = subprocess.run(
                [sys.executable, __file__, "--run", url, report, as_of.isoformat()],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            fig = json.loads(out.strip().splitlines()[-1])
            when = "now" if as_of == NOW else "--as-of -45d"
            used = f"(cpu {fig['cpu_seconds']:5.2f} s)  " if cpu else ""
            print(
                f"{label:10} {report:12} {when:13} {fig['seconds']:6.2f} s  {used}"
                f"peak RSS {fig['peak_mb']:6.1f} MB (+{fig['delta_mb']:5.1f} MB for the report)  "
                f"{fig['rows']} rows",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--churn", type=int, default=0, help="extra status round trips per item")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--cpu", action="store_true", help="also print each report's CPU time")
    parser.add_argument(
        "--run", nargs=3, metavar=("URL", "REPORT", "AS_OF"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.run:
        run_one(*args.run)
        return
    print(f"train: {args.items} items, {args.links} links, churn {args.churn}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        seconds = build(url, args.items, args.links, args.churn)
        print(f"sqlite     generated and stored in {seconds:.1f} s")
        measure("sqlite", url, args.cpu)
    if args.sqlite_only:
        return
    _postgres(args)


def _postgres(args: argparse.Namespace) -> None:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # unreachable server: say so and stop
        print(f"postgres   skipped: {str(exc).splitlines()[0]}")
        return
    try:
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        seconds = build(url, args.items, args.links, args.churn)
        print(f"postgres   generated and stored in {seconds:.1f} s")
        measure("postgres", url, args.cpu)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
