"""Benchmark: the Jira connector + engine against the loopback fake Jira, beside Perceval.

    .venv/bin/python tests/benchmarks/bench_jira.py                   # 20,000 and 100,000 issues
    .venv/bin/python tests/benchmarks/bench_jira.py --sizes 2000      # a quick look
    .venv/bin/python tests/benchmarks/bench_jira.py --perceval none   # without Perceval

For each size: the fake serves that many in-scope issues (plus the outside SEC project) from its
own process; every sync runs in a fresh child process, which reports its own peak RSS, so the
figures are the syncing process's alone. Steps: a full backfill as a new user runs it (Cloud):
the time, requests (by endpoint) and issues/s until the **first pass is complete** (census,
bulkfetch, changelog bulkfetch, remote links where the history shows one: every issue and its
history stored, the cursor at the run's start), then the whole run with the remote-link sweep
pass; the first incremental sync after it (aim: 2 requests, as a no-change sync), a no-change
incremental sync, and an incremental sync after 500 issues changed (aim: ≤ 13 requests).

Then **Perceval** (``pip install perceval`` into a separate venv, never a project dependency;
``--perceval`` names its Python) reads the same data from a second fake serving it as Data
Center (Perceval cannot use Cloud's search; the fake's 10,000-result window is lifted for it,
as its offset paging would fail there), one ``perceval jira --project`` fetch per project. The
ratio of issues/s (trainyard's first pass over Perceval's whole fetch) is the figure to watch:
this shared machine's absolute rates vary between runs. Figures, not assertions.
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
    from sync.engine import RunProgress, SyncEngine, engine_for_config

    cfg = load(config)
    first: dict[str, float] = {}

    def first_pass(progress: RunProgress) -> None:
        if progress.total is not None and not first:  # the page that completes the first pass
            first.update(seconds=time.perf_counter() - started, requests=progress.requests)

    with engine_for_config(cfg) as db:
        engine = SyncEngine(cfg, db, progress=first_pass)
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
                "first_seconds": first.get("seconds", seconds),
                "first_requests": first.get("requests", result.api_requests),
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


def serve(total: int, *extra: str) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "sync.sandbox.jira", "--issues", str(total), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def run_size(in_scope: int, perceval: str | None) -> None:
    total = in_scope * 6 // 5  # the fake puts one issue in six into the outside SEC project
    print(f"\n== {in_scope:,} in-scope issues ({total:,} in the fake) ==")
    ours = run_trainyard(in_scope, total)
    if perceval is None:
        return
    theirs = run_perceval(in_scope, total, perceval)
    if theirs:
        print(
            f"{'trainyard / Perceval':28s} {ours / theirs:8.2f} x issues/s "
            "(trainyard's first pass, Cloud; Perceval's fetch, Data Center)"
        )


def run_trainyard(in_scope: int, total: int) -> float:
    """The four sync steps; returns the first pass's in-scope issues/s."""
    server, url = serve(total)
    rate = 0.0
    try:
        env = {
            **os.environ,
            "BENCH_JIRA_USER": "sync-bot@acme.example",
            "BENCH_JIRA_TOKEN": "fake-jira-token",
        }
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "trainyard.toml"
            config.write_text(CONFIG.format(db=Path(tmp) / "bench.db", url=url))
            steps = [
                ("backfill", "backfill", None),
                ("first incremental", "sync", None),
                ("no-change incremental", "sync", None),
                ("incremental, 500 changed", "sync", 500),
            ]
            for label, mode, touch in steps:
                if touch:
                    control(url, "/__fake/touch", {"count": touch, "start": 1000})
                control(url, "/__fake/reset-log", {})
                fig = sync_in_child(config, mode, env)
                stats = control(url, "/__fake/stats")
                if mode == "backfill":
                    rate = in_scope / fig["first_seconds"]
                    per100 = 100 * fig["first_requests"] / in_scope
                    print(
                        f"{'backfill: first pass':28s} {fig['first_seconds']:8.1f} s  "
                        f"{in_scope:7d} issues ({rate:7.0f}/s)  {fig['first_requests']:6d} "
                        f"requests ({per100:.2f} per 100 issues)"
                    )
                    label = "backfill: with sweep pass"
                items_rate = fig["items"] / fig["seconds"] if fig["seconds"] else 0.0
                print(
                    f"{label:28s} {fig['seconds']:8.1f} s  {fig['items']:7d} items "
                    f"({items_rate:7.0f}/s)  {stats['requests']:6d} requests  "
                    f"peak RSS {fig['rss_mb']:6.0f} MB  [{fig['outcome']}]"
                )
                if mode == "backfill" or touch:
                    top = sorted(stats["by_path"].items(), key=lambda kv: -kv[1])[:6]
                    print("    by endpoint: " + ", ".join(f"{p} {n}" for p, n in top))
    finally:
        server.terminate()
        server.wait()
    return rate


def run_perceval(in_scope: int, total: int, python: str) -> float:
    """Perceval over the same data served as Data Center; returns its issues/s."""
    if not Path(python).exists():
        print(f"Perceval: {python} not found; pip install perceval into a venv of its own")
        return 0.0
    server, url = serve(total, "--dc", "--max-result-window", str(10 * total))
    try:
        out = subprocess.run(
            [
                python,
                str(ROOT / "tests/benchmarks/perceval_jira.py"),
                url,
                "fake-jira-token",
                "CHK,PAY,PLAT,MOB,SRCH",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"Perceval failed: {out.stderr.strip().splitlines()[-1:]}")
            return 0.0
        fig = json.loads(out.stdout.strip().splitlines()[-1])
        stats = control(url, "/__fake/stats")
    finally:
        server.terminate()
        server.wait()
    rate = float(fig["items"]) / fig["seconds"]
    print(
        f"{'Perceval (Data Center)':28s} {fig['seconds']:8.1f} s  {fig['items']:7d} issues "
        f"({rate:7.0f}/s)  {stats['requests']:6d} requests "
        f"({100 * stats['requests'] / max(fig['items'], 1):.2f} per 100 issues)  "
        f"peak RSS {fig['rss_mb']:6.0f} MB"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000", help="comma-separated issue counts")
    parser.add_argument(
        "--perceval",
        default="/tmp/perceval-venv/bin/python",
        help="the Python of a venv with perceval installed, or 'none'",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="sync", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.mode)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        run_size(size, None if args.perceval == "none" else args.perceval)


if __name__ == "__main__":
    main()
