"""Benchmark: the Jira connector + engine against the loopback fake Jira (Cloud).

    .venv/bin/python tests/benchmarks/bench_jira.py                   # 20,000 and 100,000 issues
    .venv/bin/python tests/benchmarks/bench_jira.py --sizes 2000      # a quick look

For each size: the fake serves that many in-scope issues (plus the outside SEC project) from its
own process; every sync runs in a fresh child process, which reports its own peak RSS, so the
figures are the syncing process's alone. Steps: a full backfill (issues/s, API requests by
endpoint, peak RSS), the first incremental sync after it (no cursor yet: a census walk that
fetches nothing), a no-change incremental sync (aim: ≤ 3 requests), and an incremental sync
after 500 issues changed (aim: ≤ 3 + 2 x ceil(500/100) = 13). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CONFIG = """
[database]
url = "sqlite:///{db}"
[train]
name = "Bench ART"
[[train.teams]]
name = "Checkout"
jira_projects = ["CHK"]
[[train.teams]]
name = "Payments"
jira_projects = ["PAY"]
[[sources]]
name = "jira"
kind = "jira"
url = "{url}"
user_env = "BENCH_JIRA_USER"
token_env = "BENCH_JIRA_TOKEN"
projects = ["CHK", "PAY", "PLAT", "MOB", "SRCH"]
[sync]
lookback_minutes = 15
"""


def child(config: str, mode: str) -> None:
    """Runs one sync in this (fresh) process and prints its figures as JSON."""
    from sync.config import load
    from sync.engine import SyncEngine, engine_for_config

    cfg = load(config)
    with engine_for_config(cfg) as db:
        engine = SyncEngine(cfg, db)
        started = time.perf_counter()
        result = engine.backfill("jira") if mode == "backfill" else engine.sync("jira")[0]
        seconds = time.perf_counter() - started
    from tests.benchmarks.memory import peak_rss_mb

    print(
        json.dumps(
            {
                "seconds": seconds,
                "items": result.items,
                "links": result.links,
                "events": result.events,
                "pages": result.pages,
                "requests": result.api_requests,
                "outcome": result.outcome,
                "rss_mb": peak_rss_mb(),
            }
        )
    )


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body or {}).encode() if body is not None else None
    req = urllib.request.Request(
        url + path,
        data=data,
        method="POST" if data else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read())


def sync_in_child(config: Path, mode: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(config), "--mode", mode],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"sync failed: {out.stderr.strip().splitlines()[-1:]}")
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def run_size(in_scope: int) -> None:
    total = in_scope * 6 // 5  # the fake puts one issue in six into the outside SEC project
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_jira", "--issues", str(total)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        env = {
            **os.environ,
            "BENCH_JIRA_USER": "sync-bot@acme.example",
            "BENCH_JIRA_TOKEN": "fake-jira-token",
        }
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "trainyard.toml"
            config.write_text(CONFIG.format(db=Path(tmp) / "bench.db", url=url))
            print(f"\n== {in_scope:,} in-scope issues ({total:,} in the fake) ==")
            steps = [
                ("backfill", "backfill", None),
                ("first incremental (census)", "sync", None),
                ("no-change incremental", "sync", None),
                ("incremental, 500 changed", "sync", 500),
            ]
            for label, mode, touch in steps:
                if touch:
                    control(url, "/__fake/touch", {"count": touch, "start": 1000})
                control(url, "/__fake/reset-log", {})
                fig = sync_in_child(config, mode, env)
                stats = control(url, "/__fake/stats")
                rate = fig["items"] / fig["seconds"] if fig["seconds"] else 0.0
                print(
                    f"{label:28s} {fig['seconds']:8.1f} s  {fig['items']:7d} items "
                    f"({rate:7.0f}/s)  {stats['requests']:6d} requests  "
                    f"peak RSS {fig['rss_mb']:6.0f} MB  [{fig['outcome']}]"
                )
                if mode == "backfill" or touch:
                    top = sorted(stats["by_path"].items(), key=lambda kv: -kv[1])[:6]
                    print("    by endpoint: " + ", ".join(f"{p} {n}" for p, n in top))
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000", help="comma-separated issue counts")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="sync", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.mode)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        run_size(size)


if __name__ == "__main__":
    main()
