"""The board in a real browser: headless Debian Chromium through Playwright (``board_browser``).

Opened from disk and served over loopback HTTP: no script from tracker text runs, the console
stays clean, every string's drawn end points sit on the right cards (SVG path geometry against
element boxes), the filters and the URL fragment change what is visible, focus highlights a
card's strings, and a screenshot is saved under ``test-artifacts/`` (gitignored).
Skips with the reason printed only where no browser can run (``scripts/test`` installs one).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from board_browser import browser_page, open_board, unavailable
from board_world import STRINGS, board_html, board_world
from sqlalchemy.orm import Session

from model.db import open_engine

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REASON = unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

# Per path: its drawn start and end (SVG geometry in page coordinates) and the boxes of the
# elements it names, so the test compares what was drawn with where the cards are.
GEOMETRY = """() => Array.from(document.querySelectorAll('#strings-layer path')).map(p => {
  const svg = p.ownerSVGElement.getBoundingClientRect();
  const a = p.getPointAtLength(0), b = p.getPointAtLength(p.getTotalLength());
  const box = id => { const r = document.getElementById(id).getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  return {from: p.dataset.from, to: p.dataset.to, health: p.getAttribute('class'),
          dash: getComputedStyle(p).strokeDasharray, colour: getComputedStyle(p).stroke,
          start: {x: svg.left + a.x, y: svg.top + a.y}, end: {x: svg.left + b.x, y: svg.top + b.y},
          fromBox: box(p.dataset.from), toBox: box(p.dataset.to)};
})"""
KEYS = "id => document.getElementById(id).dataset.key"
VISIBLE_CARDS = """() => Array.from(document.querySelectorAll('article.card'))
  .filter(c => c.offsetParent !== null).map(c => c.dataset.key).sort()"""
PATHS = "() => document.querySelectorAll('#strings-layer path').length"


@pytest.fixture(scope="module")
def board_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("board")
    engine = open_engine(f"sqlite:///{folder / 'board.db'}")
    with Session(engine) as session:
        board_world().write(session)
        html = board_html(session)
    engine.dispose()
    path = folder / "board.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture
def page() -> Iterator[Any]:
    with browser_page() as opened:
        yield opened


def on(point: dict[str, float], box: dict[str, float], slack: float = 1.5) -> bool:
    return (
        box["left"] - slack <= point["x"] <= box["right"] + slack
        and box["top"] - slack <= point["y"] <= box["bottom"] + slack
    )


def test_strings_end_on_their_cards_and_nothing_hostile_runs(page: Any, board_file: Path) -> None:
    open_board(page, board_file.as_uri())
    assert page.evaluate("typeof window.__pwned") == "undefined"
    drawn = page.evaluate(GEOMETRY)
    found = {}
    for path in drawn:
        ends = (page.evaluate(KEYS, path["from"]), page.evaluate(KEYS, path["to"]))
        assert on(path["start"], path["fromBox"]), (ends, path)
        assert on(path["end"], path["toBox"]), (ends, path)
        found[ends] = path["health"]
    assert found == {ends: health for ends, (health, _) in STRINGS.items()}
    styles = {p["health"]: (p["colour"], p["dash"]) for p in drawn}
    assert styles["red"][1] == "none"  # solid, dashed, dotted: never colour alone
    assert styles["amber"][1] != "none"
    assert styles["green"][1] != "none"
    assert len({dash for _, dash in styles.values()}) == 3
    assert len({colour for colour, _ in styles.values()}) == 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)
    assert (ARTIFACTS / "board.png").stat().st_size > 10_000
    assert page.problems == []


def test_filters_change_what_is_visible_and_live_in_the_fragment(
    page: Any, board_file: Path
) -> None:
    open_board(page, board_file.as_uri())
    everything = page.evaluate(VISIBLE_CARDS)
    assert len(everything) == 18
    assert page.evaluate(PATHS) == len(STRINGS)
    page.check("#f-hide-done")
    assert set(everything) - set(page.evaluate(VISIBLE_CARDS)) == {"F13", "F19"}
    assert "hide-done=1" in page.evaluate("location.hash")
    page.uncheck("#f-hide-done")
    page.check("#f-problems")
    assert page.evaluate(PATHS) == len(STRINGS) - 2  # the two green strings
    page.uncheck("#f-problems")
    page.check("#f-hide-same")
    assert page.evaluate(PATHS) == len(STRINGS) - 1  # F14 → F15
    page.uncheck("#f-hide-same")
    page.check("#f-done-strings")  # the link to the done blocker F13, grey dash-dot
    done = [p for p in page.evaluate(GEOMETRY) if p["health"] == "done"]
    assert [(page.evaluate(KEYS, p["from"]), page.evaluate(KEYS, p["to"])) for p in done] == [
        ("F13", "F12")
    ]
    assert on(done[0]["start"], done[0]["fromBox"])
    assert on(done[0]["end"], done[0]["toBox"])
    page.check("#f-hide-done")
    assert page.evaluate(PATHS) == len(STRINGS)  # done items hidden: their links too
    page.uncheck("#f-hide-done")
    page.uncheck("#f-done-strings")
    page.select_option("#f-team", "Beta")
    # Beta's cards and the other ends of Beta's strings: F2 → F1, F4 → F3, F8 → F9, F10 → F11
    beta = ["F1", "F11", "F13", "F18", "F2", "F3", "F4", "F8", "F9"]
    assert page.evaluate(VISIBLE_CARDS) == beta
    assert page.evaluate(PATHS) == 4
    assert page.is_visible('aside.stub[data-key="F10"]')
    assert not page.is_visible('tr.row[data-row="(unmapped)"]')
    assert page.evaluate("location.hash") == "#team=Beta"
    assert page.problems == []


def test_a_link_with_a_fragment_reproduces_the_view(page: Any, board_file: Path) -> None:
    open_board(page, board_file.as_uri() + "#team=Gamma&problems=1&drift=1")
    assert page.input_value("#f-team") == "Gamma"
    assert page.is_checked("#f-problems")
    assert page.is_checked("#f-drift")
    assert page.evaluate("document.body.classList.contains('show-drift')")
    keys = [page.evaluate(KEYS, p["to"]) for p in page.evaluate(GEOMETRY)]
    assert sorted(keys) == ["F11", "F16", "F3"]  # Gamma's strings, green F6 → F5 hidden
    assert page.problems == []


def test_keyboard_focus_highlights_a_cards_strings(page: Any, board_file: Path) -> None:
    open_board(page, board_file.as_uri())
    page.focus("#f-drift")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "card-0"
    f2 = page.evaluate("document.querySelector('article.card[data-key=\"F2\"]').id")
    page.focus(f"#{f2}")
    lit = page.evaluate(
        "Array.from(document.querySelectorAll('#strings-layer path.hl')).map(p => p.dataset.to)"
    )
    assert [page.evaluate(KEYS, el) for el in lit] == ["F1"]
    assert page.evaluate("document.body.classList.contains('focusing')")
    page.hover('article.card[data-key="F4"]')
    lit = page.evaluate(
        "Array.from(document.querySelectorAll('#strings-layer path.hl')).map(p => p.dataset.to)"
    )
    assert [page.evaluate(KEYS, el) for el in lit] == ["F3"]
    assert page.problems == []


def test_served_over_http_too(page: Any, board_file: Path, tmp_path: Path) -> None:
    shutil.copy(board_file, tmp_path / "board.html")
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        open_board(page, f"http://127.0.0.1:{port}/board.html#problems=1")
        assert page.evaluate(PATHS) == len(STRINGS) - 2
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.problems == []
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def demo_board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sync.demo.run import run_demo

    result = run_demo(tmp_path_factory.mktemp("demo") / "out")
    return result.directory / "reports" / "board.html"


def test_the_demo_board_draws_every_string_on_its_cards(page: Any, demo_board: Path) -> None:
    """The bundled train's board (the README's screenshot: ``scripts/refresh-screenshot`` takes
    ``test-artifacts/demo-board.png`` from here)."""
    from sync.demo import known

    open_board(page, demo_board.as_uri())
    drawn = page.evaluate(GEOMETRY)
    assert len(drawn) == len(known.BOARD_STRINGS)
    for path in drawn:
        assert on(path["start"], path["fromBox"]), path
        assert on(path["end"], path["toBox"]), path
    assert sorted(p["health"] for p in drawn) == sorted(known.BOARD_STRINGS.values())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-board.png"), full_page=True)
    assert page.problems == []
