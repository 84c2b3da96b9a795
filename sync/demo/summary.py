"""What the demo prints at the end: where each file is, how to open the board, what it shows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sync.demo.run import DemoResult


def board_counts(board_json: Path) -> dict[str, int]:
    """Headline numbers of the board as written (its JSON twin)."""
    board: dict[str, Any] = json.loads(board_json.read_text(encoding="utf-8"))
    health = Counter(d["health"] for d in board["dependencies"])
    cards = board["cards"]
    return {
        "cards": len(cards),
        "open dependencies": len(board["dependencies"]),
        "red": health["red"],
        "amber": health["amber"],
        "green": health["green"],
        "blocked cards": sum(1 for c in cards if c["blocked"]),
        "stalled cards": sum(1 for c in cards if c["stalled"]),
    }


def print_summary(result: DemoResult) -> None:
    d = result.directory
    board = d / "reports" / "board.html"
    print(f"\ntrainyard demo: done. Everything is in {d}/")
    print(f"  config     {result.config}  (use it: trainyard status --config {result.config})")
    print(f"  database   {d / 'trainyard.db'}")
    print(f"  reports    {d / 'reports'}/  (now: {_names(result.reports)})")
    print(f"  a week ago {d / 'first-sync'}/  (the same reports at the first sync)")
    for n, digest in enumerate(result.digests, 1):
        print(f"  digest {n}   {digest}  (open it with a mail client)")
    if (d / "reports" / "board.json").exists():
        counts = board_counts(d / "reports" / "board.json")
        print(
            f"\nThe board: {counts['cards']} feature cards, {counts['open dependencies']} open "
            f"dependencies ({counts['red']} red, {counts['amber']} amber, {counts['green']} "
            f"green), {counts['blocked cards']} blocked, {counts['stalled cards']} stalled."
        )
    print(f"Open the board: {board.resolve().as_uri()}")
    if result.sent:
        print(f"Digests sent: {result.sent}.")


def _names(paths: list[Path]) -> str:
    stems = sorted({p.stem for p in paths})
    return ", ".join(stems) if stems else "none"
