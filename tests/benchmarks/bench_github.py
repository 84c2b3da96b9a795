"""Benchmark: GitHub current state first, the history pass, and a no-change sync (loopback fake).

Prints figures (not timed assertions). The fake serves from this process; every sync runs in a
child process so its peak RSS is the syncing process's own.

    nice -n 10 .venv/bin/python tests/benchmarks/bench_github.py [--issues 20000] [--repos 10]
        [--history-per-sync 2000] [--follow 10]

Runs: (A) ``backfill`` of every issue, as a new user loads it: the first pass (every issue, its
relations where the summaries name any, milestones) and then ``history_per_sync`` timelines;
the figures say when the first pass was complete (the board is complete then: only dates are
provisional) and what it cost per 100 issues. (B) incremental syncs, each reading the next
``history_per_sync`` deferred timelines, until none is pending (or ``--follow`` syncs). (C) a
no-change incremental sync with the full dependency sweep: the aim is one request per
repository plus 304s.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CONFIG = """
[database]
url = "sqlite:///{db}"
[train]
name = "Bench ART"
timezone = "UTC"
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[sources]]
name = "github"
kind = "github"
base_url = "{base}"
token_env = "BENCH_GITHUB_TOKEN"
repos = [{repos}]
text_references = true
dependency_sweep_minutes = 0
history_per_sync = {history}
[sync]
lookback_minutes = 15
"""


def child(config_path: str, mode: str) -> None:
    """Run one sync in this process and print its figures as JSON."""
    from collections.abc import Iterator

    from connectors.base import Page, SyncRequest
    from connectors.github import GitHubConnector
    from sync.config import load
    from sync.engine import SyncEngine, engine_for_config

    marks: dict[str, float] = {}
    started = time.perf_counter()

    class Timed(GitHubConnector):
        """Notes when the history pass starts: every earlier page is stored by then."""

        def _history(self, request: SyncRequest) -> Iterator[Page]:
            marks["first_pass_s"] = time.perf_counter() - started
            marks["first_pass_requests"] = float(self.stats()["requests"])
            yield from super()._history(request)

    config = load(config_path)
    with engine_for_config(config) as db:
        engine = SyncEngine(config, db, connector_classes={"github": Timed})
        if mode == "backfill":
            result = engine.backfill("github")
        elif mode == "sweep":
            [result] = engine.sync("github", full_sweep=True)
        else:
            [result] = engine.sync("github")
    elapsed = time.perf_counter() - started
    from tests.benchmarks.memory import peak_rss_mb

    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "rss_mb": peak_rss_mb(),
                "outcome": result.outcome,
                "items": result.items,
                "links": result.links,
                "events": result.events,
                "pages": result.pages,
                "api_requests": result.api_requests,
                "error": result.error,
                **marks,
            }
        )
    )


def pending(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT count(*) FROM work_items WHERE history_pending").fetchone()[0]
        )


def run_child(config_path: Path, mode: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(config_path), mode],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000, help="issues (PRs come on top)")
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--history-per-sync", type=int, default=2000)
    parser.add_argument("--follow", type=int, default=10, help="history syncs after (A) at most")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from sync.sandbox.github import TOKEN, FakeGitHub

    pr_ratio = 0.15
    per_repo = round(args.issues / args.repos / (1 - pr_ratio))
    t0 = time.perf_counter()
    fake = FakeGitHub(
        repos=args.repos, issues_per_repo=per_repo, pr_ratio=pr_ratio, rate_limit=1_000_000
    )
    issues = sum(1 for _ in fake.issues())
    prs = sum(1 for _ in fake.issues(prs=True)) - issues
    open_blocked = sum(
        1
        for r in fake.issues()
        if r["state"] == "open" and r["issue_dependencies_summary"]["total_blocked_by"]
    )
    print(
        f"data set: {issues} issues + {prs} pull requests over {args.repos} repos, "
        f"{sum(len(v) for v in fake.blocked_by.values())} dependencies "
        f"({open_blocked} open issues with blockers); built in {time.perf_counter() - t0:.1f}s"
    )
    base = fake.start()
    os.environ["BENCH_GITHUB_TOKEN"] = TOKEN
    with tempfile.TemporaryDirectory(prefix="trainyard-bench-gh-") as tmp:
        path = Path(tmp) / "trainyard.toml"
        db = Path(tmp) / "bench.db"
        repos = ", ".join(f'"{name}"' for name in fake.repos)
        path.write_text(CONFIG.format(db=db, base=base, repos=repos, history=args.history_per_sync))
        total = 0

        def step(label: str, mode: str) -> dict[str, Any]:
            nonlocal total
            budget, logged = fake.remaining, len(fake.log)
            figures = run_child(path, mode)
            log = fake.log[logged:]
            total += len(log)
            spent = budget - fake.remaining
            not_modified = sum(1 for r in log if r.status == 304)
            timelines = sum(1 for r in log if r.path.endswith("/timeline"))
            print(
                f"{label}: {figures['outcome']} in {figures['elapsed']:.1f}s; "
                f"{figures['items']} items, {figures['links']} links, {figures['events']} events, "
                f"{figures['pages']} pages; {len(log)} requests ({timelines} timelines, "
                f"{not_modified} answered 304; budget spent {spent}); "
                f"{pending(db)} items still provisional; peak RSS {figures['rss_mb']:.0f} MB"
            )
            if figures["error"]:
                print(f"  error: {figures['error']}")
            return figures

        first = step("A backfill (first pass + history)", "backfill")
        at, asked = first.get("first_pass_s", 0.0), first.get("first_pass_requests", 0.0)
        print(
            f"  first pass complete after {at:.1f}s and {asked:.0f} requests: "
            f"{issues / at if at else 0:.0f} issues/s, {100 * asked / max(issues, 1):.2f} requests "
            f"per 100 issues; the board is complete from here, dates provisional until read"
        )
        follow = 0
        while pending(db) and follow < args.follow:
            follow += 1
            step(f"B history sync {follow}", "incremental")
        left = pending(db)
        print(
            f"  history {'complete' if not left else f'{left} items still pending'} after "
            f"{total} requests in all ({100 * total / max(issues, 1):.1f} per 100 issues)"
        )
        step("C no-change incremental + full sweep", "sweep")
    fake.stop()


if __name__ == "__main__":
    main()
