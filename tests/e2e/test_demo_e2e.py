"""``trainyard demo`` end to end: the bundled train through the real connectors, the reports,
the board and both digests, checked against the answers worked out by hand (``sync.demo.known``).
"""

from __future__ import annotations

import email
import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from sync.cli import main
from sync.demo import known
from sync.demo.run import DemoResult, run_demo
from tests.digest.conftest import Mailbox, free_port, start_smtp


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoResult, Mailbox, float]]:
    mailbox = Mailbox()
    port = free_port()
    controller = start_smtp(port, mailbox)
    started = time.monotonic()
    try:
        result = run_demo(tmp_path_factory.mktemp("demo") / "out", smtp=("127.0.0.1", port))
        yield result, mailbox, time.monotonic() - started
    finally:
        controller.stop()


class Named:
    """Report JSON read back with items named by the train's refs."""

    def __init__(self, result: DemoResult, folder: str) -> None:
        assert result.world is not None
        self.ref = {key: ref for ref, key in result.world.keys.items()}
        self.folder = result.directory / folder

    def doc(self, name: str) -> dict[str, Any]:
        return json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def name(self, item: dict[str, Any]) -> str:
        return self.ref.get(item["key"], item["key"])

    def pair(self, dep: dict[str, Any]) -> tuple[str, str]:
        return self.name(dep["blocker"]), self.name(dep["blocked"])


def test_the_dependencies_now_and_a_week_ago(demo: tuple[DemoResult, Mailbox, float]) -> None:
    result = demo[0]
    for folder, expected in (("reports", known.OPEN_NOW), ("first-sync", known.OPEN_WEEK_AGO)):
        r = Named(result, folder)
        deps = r.doc("dependencies")["dependencies"]
        assert {r.pair(d): d["health"] for d in deps if d["state"] == "open"} == expected, folder


def test_blocked_work_root_blockers_stalled_and_hygiene(
    demo: tuple[DemoResult, Mailbox, float],
) -> None:
    r = Named(demo[0], "reports")
    doc = r.doc("blocked")
    assert {r.name(b["item"]) for b in doc["blocked"]} == known.BLOCKED_NOW
    roots = {r.name(x["item"]): x["impact"] for x in doc["root_blockers"]}
    assert roots == known.ROOT_BLOCKERS_NOW
    assert {r.name(s["item"]) for s in doc["stalled"]} == known.STALLED_NOW
    week_ago = Named(demo[0], "first-sync")
    assert {week_ago.name(s["item"]) for s in week_ago.doc("blocked")["stalled"]} == (
        known.STALLED_WEEK_AGO
    )
    unblock = [h for h in doc["hygiene"] if h["kind"] == "should_be_unblocked"]
    assert {r.name(h["items"][0]) for h in unblock} == known.SHOULD_BE_UNBLOCKED
    outside = [h for h in doc["hygiene"] if h["kind"] == "blocker_outside_train"]
    assert {r.name(h["items"][1]) for h in outside} == known.OUTSIDE


def test_the_board_its_strings_and_its_html(demo: tuple[DemoResult, Mailbox, float]) -> None:
    r = Named(demo[0], "reports")
    board = r.doc("board")
    assert len(board["cards"]) == known.BOARD_CARDS
    assert {r.pair(d): d["health"] for d in board["dependencies"]} == known.BOARD_STRINGS
    assert [i["ip"] for i in board["iterations"]] == [False] * 5 + [True]
    html = (r.folder / "board.html").read_text(encoding="utf-8")
    assert "Acme Payments ART" in html
    assert "<script src=" not in html


def test_drift_against_the_reconstructed_baseline(demo: tuple[DemoResult, Mailbox, float]) -> None:
    r = Named(demo[0], "reports")
    drift = r.doc("drift")
    moved = {r.name(f["item"]): f["iterations_moved"] for f in drift["features"]}
    for ref, by in known.MOVED_LATER.items():  # a Jira sprint move and a GitHub milestone move
        assert moved[ref] == by, ref
    assert {r.name(a["item"]) for a in drift["added"]} == known.ADDED_AFTER_BASELINE
    assert {r.pair(d) for d in drift["turned_red"]} == known.GREEN_THEN_RED


def test_predictability_per_team_and_train(demo: tuple[DemoResult, Mailbox, float]) -> None:
    rows = {
        row["team"] or "Train": row
        for row in Named(demo[0], "reports").doc("predictability")["rows"]
    }
    for team, ratio in known.PREDICTABILITY.items():
        assert rows[team]["predictability_percent"] == pytest.approx(100 * ratio, abs=0.05)


def _messages(demo: tuple[DemoResult, Mailbox, float]) -> list[EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=default_policy)  # type: ignore[misc]
        for p in demo[0].digests
    ]


def test_two_digests_written_and_sent_once_each(demo: tuple[DemoResult, Mailbox, float]) -> None:
    _result, mailbox, _ = demo
    written = _messages(demo)
    assert len(written) == 2
    assert len(mailbox.messages) == 2
    assert [m["Message-ID"] for m in mailbox.messages] == [m["Message-ID"] for m in written]
    assert all(m["To"] == "rte@acme.example" for m in written)


def test_the_second_digest_tells_the_week(demo: tuple[DemoResult, Mailbox, float]) -> None:
    result = demo[0]
    assert result.world is not None
    keys = result.world.keys
    body = _messages(demo)[1].get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    changed = text.split("WHAT CHANGED SINCE", 1)[1].split("OLDEST OPEN", 1)[0]
    sections = {
        "New dependencies": known.DIGEST_NEW,
        "Resolved dependencies": known.DIGEST_RESOLVED,
        "Turned red": known.DIGEST_TURNED_RED,
    }
    for title, pairs in sections.items():
        block = _section(changed, f"{title} ({len(pairs)}):")
        for blocker, blocked in pairs:
            assert f'{keys[blocker]} "' in block, title
            assert f" blocks {keys[blocked]} " in block, title
    assert "Done) blocks" in _section(changed, "Resolved dependencies (1):")
    for title, refs in (
        ("Newly blocked", known.NEWLY_BLOCKED),
        ("Unblocked", known.NEWLY_UNBLOCKED),
        ("Became stalled", known.DIGEST_NEWLY_STALLED),
    ):
        block = _section(changed, f"{title} ({len(refs)}):")
        assert {keys[ref] for ref in refs} <= set(block.replace('"', " ").split()), title
    assert "SYNC HEALTH" in text.split("WHAT CHANGED", 1)[0]


def _section(text: str, header: str) -> str:
    """The indented lines under ``header`` (which must be there)."""
    lines = text.split(header, 1)[1].split("\n")[1:]
    taken = []
    for line in lines:
        if not line.startswith("    "):
            break
        taken.append(line)
    assert taken, header
    return "\n".join(taken)


def test_it_runs_within_a_minute_and_the_config_works_with_the_usual_commands(
    demo: tuple[DemoResult, Mailbox, float], capsys: pytest.CaptureFixture[str]
) -> None:
    result, _, seconds = demo
    assert seconds < 60
    assert main(["status", "--config", str(result.config)]) == 0
    out = capsys.readouterr().out
    assert "jira" in out
    assert "github" in out
    assert "never synced" not in out


def test_serve_keeps_the_service_running_on_the_sandbox(tmp_path: Path) -> None:
    """``--serve``: the board over HTTP, /healthz green, and Ctrl-C stops it cleanly."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "demo", "--out", str(tmp_path / "d"), "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("serving: open "):
                url = line.split()[2]
                break
        assert url.endswith("/board.html"), "the demo printed no board URL"
        assert "Program board" in _get_when_up(url)
        health = url.replace("/board.html", "/healthz")
        with urllib.request.urlopen(health, timeout=10) as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _get_when_up(url: str, timeout: float = 15.0) -> str:
    """The page's text once the service listens (the URL is printed as it starts)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return str(resp.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
