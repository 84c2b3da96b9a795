"""The board's HTML, parsed (BeautifulSoup over html.parser), not string-matched: every open
dependency listed and drawn once with its colour and line style, cards in their cells, hostile
tracker text inert, the embedded data and the script allowed by the page's CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from board_world import CELLS, HOSTILE_KEY, HOSTILE_TITLE, STRINGS, board_html, board_world
from bs4 import BeautifulSoup, Tag
from sqlalchemy.orm import Session

STYLES = {"red": "solid", "amber": "dashed", "green": "dotted"}


@pytest.fixture
def page(session: Session) -> BeautifulSoup:
    board_world().write(session)
    return BeautifulSoup(board_html(session), "html.parser")


def data(page: BeautifulSoup) -> dict[str, Any]:
    script = page.find("script", id="board-data")
    assert isinstance(script, Tag)
    loaded: dict[str, Any] = json.loads(script.get_text())
    return loaded


def element(page: BeautifulSoup, el_id: str) -> Tag:
    found = page.find(id=el_id)
    assert isinstance(found, Tag), el_id
    return found


def test_every_string_listed_once_with_colour_and_style(page: BeautifulSoup) -> None:
    items = page.select("#strings li.string")
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for li in items:
        ends = tuple(str(element(page, str(li[a]))["data-key"]) for a in ("data-from", "data-to"))
        assert ends not in seen, ends
        seen[ends] = (str(li["data-health"]), str(li["data-style"]))  # type: ignore[index]
        assert str(li["data-health"]) in li["class"]
    assert seen == {ends: (health, STYLES[health]) for ends, (health, _) in STRINGS.items()}


def test_drawing_data_matches_the_list(page: BeautifulSoup) -> None:
    strings = data(page)["strings"]
    listed = {
        str(li["data-string"]): (li["data-from"], li["data-to"], li["data-health"])
        for li in page.select("#strings li.string, #done-strings li.string")
    }
    assert {s["id"]: (s["from"], s["to"], s["health"]) for s in strings} == listed
    open_ones = [s for s in strings if not s["done"]]
    assert all(s["style"] == STYLES[s["health"]] for s in open_ones)
    assert len(open_ones) == len(STRINGS)
    done = [s for s in strings if s["done"]]
    assert [(s["style"], s["health"]) for s in done] == [("dash-dot", "green")]
    (li,) = page.select("#done-strings li.done-string")
    assert str(li["data-string"]) == done[0]["id"]
    ends = [str(element(page, str(li[a]))["data-key"]) for a in ("data-from", "data-to")]
    assert ends == ["F13", "F12"]


def test_cards_sit_in_their_cells(page: BeautifulSoup) -> None:
    found: dict[str, tuple[str, str | None]] = {}
    for card in page.select("article.card"):
        cell = card.find_parent("td")
        assert isinstance(cell, Tag)
        column = str(cell["data-column"]) or None
        found[str(card["data-key"])] = (str(cell["data-row"]), column)
    assert found == CELLS
    header = [str(th["data-column"]) for th in page.select("#board thead th.col")]
    assert header == [*(f"PI 1 · I{n}" for n in range(1, 6)), "PI 1 · IP", ""]
    ip = page.select("#board thead th.ip")
    assert [str(th["data-column"]) for th in ip] == ["PI 1 · IP"]


def test_stubs_sit_in_their_rows(page: BeautifulSoup) -> None:
    found = {}
    for stub in page.select("aside.stub"):
        cell = stub.find_parent("td")
        assert isinstance(cell, Tag)
        found[str(stub["data-key"])] = (str(cell["data-row"]), str(cell["data-column"]))
        assert "↗" in stub.get_text()
    assert found == {
        "acme/ext#9": ("(outside the train)", "PI 1 · I2"),  # beside F7
        HOSTILE_KEY: ("(outside the train)", "PI 1 · I3"),  # beside F16
        "F10": ("Beta", "PI 1 · I2"),  # beside F11: planned in PI 2
        "ST1": ("Alpha", "PI 1 · I2"),  # a story, where it is planned
    }
    f10 = page.select_one('aside.stub[data-key="F10"]')
    assert f10 is not None
    assert "jira · PI 2 · I1" in f10.get_text()


def test_hostile_text_is_inert(page: BeautifulSoup) -> None:
    scripts = page.find_all("script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    assert page.find("img") is None
    assert page.find("b") is None
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag.name
        href = tag.get("href")
        if href is not None:
            assert re.match(r"https?://", str(href)), href
    card = page.select_one('article.card[data-key="F16"]')
    assert card is not None
    assert card.select_one(".title").get_text() == HOSTILE_TITLE  # type: ignore[union-attr]
    assert card.select_one("a.key") is None  # a javascript: URL is not a link
    raw = page.find("script", id="board-data")
    assert isinstance(raw, Tag)
    assert "</" not in raw.get_text()
    assert "<" not in raw.get_text()
    assert HOSTILE_KEY in json.dumps(data(page), ensure_ascii=False)


def test_the_script_is_the_only_one_the_csp_allows(page: BeautifulSoup) -> None:
    meta = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert isinstance(meta, Tag)
    policy = str(meta["content"])
    assert "default-src 'none'" in policy
    script = page.find_all("script")[-1].get_text()
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_header_marks_stale_sources_and_counts(page: BeautifulSoup) -> None:
    stale = page.select("#freshness li.stale")
    assert [str(li["data-source"]) for li in stale] == ["github"]
    assert page.select_one("#stale-warning") is not None
    counts = page.select_one("#counts")
    assert counts is not None
    text = " ".join(counts.get_text().split())
    assert "5 red strings" in text
    assert "10 blocked" in text
    assert "1 unmapped" in text
    assert "As of Fri 20 Feb 12:00 UTC" in page.get_text()


def test_card_marks(page: BeautifulSoup) -> None:
    f17 = page.select_one('article.card[data-key="F17"]')
    assert f17 is not None
    assert "is-blocked" in f17["class"]
    mark = f17.select_one(".blocked-mark")
    assert mark is not None
    assert " ".join(mark.get_text().split()) == (
        "blocked flagged, dependency — waiting on <vendor>"
    )
    f18 = page.select_one('article.card[data-key="F18"] .carried')
    assert f18 is not None
    assert "planned in PI 1 · I1" in f18.get_text()
    f6 = page.select_one('article.card[data-key="F6"]')
    assert f6 is not None
    assert "is-stalled" in f6["class"]
    assert f6.select_one(".stalled-mark") is not None
    f12 = page.select_one('article.card[data-key="F12"] .unblock-mark')
    assert f12 is not None
    assert "should be unblocked" in f12.get_text()
    for card in page.select("article.card"):
        assert card.get("tabindex") == "0"  # keyboard reachable
