"""Hostile tracker text: inert in HTML, intact in JSON and CSV, harmless in Markdown."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from typing import Any

import pytest
from report_world import World, at, report
from sqlalchemy.orm import Session

from reports.blocked import blocked_report
from reports.dependencies import dependency_report
from reports.flow import flow_report
from reports.render import render
from reports.state import ReportContext

SCRIPT = "<script>alert('x')</script>"
QUOTES = 'He said "stop" & it\'s <b>bold</b>'
RTL = "\u202eevil\u202c مرحبا"
EMOJI = "ship it 🚢🔥 👩🏽‍💻"
LONG = "x" * 10_000
HOSTILE = (SCRIPT, QUOTES, RTL, EMOJI, LONG)


@pytest.fixture
def hostile(session: Session) -> Session:
    w = World()
    w.item("A-1", at("2026-01-05"), title=SCRIPT)
    w.item("B-1", at("2026-01-05"), title=QUOTES, team="Beta")
    w.item("C-1", at("2026-01-05"), title=RTL, team="Gamma")
    w.item("D-1", at("2026-01-05"), title=EMOJI)
    w.item("E-1", at("2026-01-05"), title=LONG)
    for blocker, blocked in (("B-1", "A-1"), ("C-1", "B-1"), ("D-1", "C-1"), ("E-1", "D-1")):
        w.link(blocker, blocked, at("2026-01-06"))
    w.flag("E-1", at("2026-01-06"), reason="<img src=x onerror=alert(1)>")
    bad_url = ("github", 'o/r#1"><script>', "javascript:alert(1)")
    w.link(bad_url, "A-1", at("2026-01-06"), origin="text_reference", source="github")
    w.write(session)
    return session


def built(session: Session, name: str) -> Any:
    ctx = ReportContext(train="ART", as_of=at("2026-01-07"), now=at("2026-01-07"))
    if name == "dependencies":
        return dependency_report(session, ctx)
    return blocked_report(session, ctx) if name == "blocked" else flow_report(session, ctx)


@pytest.mark.parametrize("name", ["dependencies", "blocked"])
def test_titles_intact_in_json(hostile: Session, name: str) -> None:
    doc = json.loads(render(built(hostile, name), "json"))
    items = doc["dependencies"] if name == "dependencies" else doc["blocked"]
    titles = {t for d in items for t in _titles(d)}
    assert set(HOSTILE) <= titles
    assert doc["hygiene"]  # the flag reason and the outside blocker are findings


def _titles(entry: dict[str, Any]) -> list[str]:
    return [entry[k]["title"] for k in ("blocker", "blocked", "item") if k in entry]


@pytest.mark.parametrize("name", ["dependencies", "blocked"])
def test_titles_intact_in_csv(hostile: Session, name: str) -> None:
    rows = list(csv.DictReader(io.StringIO(render(built(hostile, name), "csv"))))
    titles = {v for r in rows for k, v in r.items() if k.endswith("title")}
    assert set(HOSTILE) <= titles


class _Tags(HTMLParser):
    """Every element and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.css = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.extend(attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css += data


SAFE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "p",
    "table",
    "tr",
    "th",
    "td",
    "span",
    "a",
    "ul",
    "li",
    "strong",
}


@pytest.mark.parametrize("name", ["dependencies", "blocked", "flow"])
def test_html_is_inert_and_self_contained(hostile: Session, name: str) -> None:
    html = render(built(hostile, name), "html")
    parsed = _Tags()
    parsed.feed(html)
    assert parsed.tags <= SAFE_TAGS  # no script, img, link, iframe, ...
    names = {attr for attr, _ in parsed.attrs}
    assert not {n for n in names if n.startswith("on")}
    assert "src" not in names
    hrefs = [value or "" for attr, value in parsed.attrs if attr == "href"]
    assert all(h.startswith(("https://", "http://")) for h in hrefs)
    assert "url(" not in parsed.css  # nothing from the network
    assert "@import" not in parsed.css
    if name != "flow":
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "He said &#34;stop&#34; &amp; it&#39;s &lt;b&gt;bold&lt;/b&gt;" in html
        for text in (RTL, EMOJI, LONG):
            assert text in html
        assert "https://jira.example/A-1" in hrefs
        assert not any("javascript" in h for h in hrefs)


def test_markdown_cells_stay_in_their_cells(hostile: Session) -> None:
    md = render(built(hostile, "dependencies"), "md")
    assert "<script" not in md
    assert "&lt;script&gt;" in md
    for line in md.splitlines():
        if line.startswith("| open"):
            assert line.count(" | ") >= 8


def test_report_helper_matches_direct_rendering(hostile: Session) -> None:
    doc = report(hostile, "blocked", at("2026-01-07"))
    assert doc["report"] == "blocked"
    roots = [(r["item"]["key"], r["impact"]) for r in doc["root_blockers"]]
    assert roots == [("E-1", 4), ('o/r#1"><script>', 1)]
