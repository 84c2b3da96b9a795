"""Benchmark: GitHub backfill and a no-change incremental sync against the loopback fake.

Prints figures (not timed assertions). The fake serves from this process; every sync runs in a
child process so its peak RSS is the syncing process's own.

    .venv/bin/python tests/benchmarks/bench_github.py [--issues 20000] [--repos 10]

Runs: (A) ``backfill`` of every issue; (B) the first incremental sync (no incremental cursor yet:
a full walk that finds nothing changed, plus the first dependency sweep, which stores the
open-list ETags); (C) a no-change incremental sync with the dependency sweep. For (C) the aim is
one request per repository plus 304s, and no rate-limit budget for unchanged dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
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
[sync]
lookback_minutes = 15
"""


def child(config_path: str, mode: str) -> None:
    """Run one sync in this process and print its figures as JSON."""
    from sync.config import load
    from sync.engine import SyncEngine, engine_for_config

    config = load(config_path)
    started = time.perf_counter()
    with engine_for_config(config) as db:
        engine = SyncEngine(config, db)
        if mode == "backfill":
            result = engine.backfill("github")
        else:
            [result] = engine.sync("github", full_sweep=True)
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
            }
        )
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
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from tests.fakes.fake_github import TOKEN, FakeGitHub

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
        repos = ", ".join(f'"{name}"' for name in fake.repos)
        path.write_text(CONFIG.format(db=Path(tmp) / "bench.db", base=base, repos=repos))
        for label, mode in (
            ("A backfill", "backfill"),
            ("B first incremental + first sweep", "incremental"),
            ("C no-change incremental + sweep", "incremental"),
        ):
            budget, logged = fake.remaining, len(fake.log)
            figures = run_child(path, mode)
            log = fake.log[logged:]
            spent = budget - fake.remaining
            not_modified = sum(1 for r in log if r.status == 304)
            lists = sum(1 for r in log if r.path.endswith("/issues") and r.status != 304)
            rate = figures["items"] / figures["elapsed"] if figures["elapsed"] else 0.0
            print(
                f"{label}: {figures['outcome']} in {figures['elapsed']:.1f}s; "
                f"{figures['items']} items written ({rate:.0f} items/s), "
                f"{figures['links']} links, {figures['events']} events, {figures['pages']} pages; "
                f"{len(log)} requests ({len(log) / max(issues, 1):.3f} per issue; "
                f"{figures['api_requests']} counted by the connector), "
                f"{not_modified} answered 304, "
                f"{lists} issue-list requests that cost budget; rate-limit budget spent {spent}; "
                f"peak RSS {figures['rss_mb']:.0f} MB"
            )
            if figures["error"]:
                print(f"  error: {figures['error']}")
    fake.stop()


if __name__ == "__main__":
    main()
