"""Link ends through aliases, and read-dated links, on SQLite and PostgreSQL (issue 10 §3).

A scripted connector feeds the real engine and store: old keys learnt from history (``Alias``),
from a key that changed between two reads, or from a ``Move``, resolve links naming them in
either order; text references only ever get older.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connectors import base as rec
from model import tables as t
from sync.engine import SyncEngine
from tests.engine.scripted import T0, Script, item, make_config, make_engine, ref

GH_BLOCKED = rec.ItemRef("github", "acme/pay#7", tracker_id="700", source="github")


def text_ref(jira_key: str, at: object = T0) -> rec.Link:
    return rec.Link(
        f"jira:{jira_key}>700", "text_reference", ref(jira_key), GH_BLOCKED, created_at=at
    )  # type: ignore[arg-type]


def gh_item(**kw: object) -> rec.WorkItem:
    return item("700", "acme/pay#7", tracker="github", **kw)  # type: ignore[arg-type]


def the_link(db: Engine) -> t.Link:
    with Session(db) as s:
        return s.scalars(select(t.Link)).one()


def item_id(db: Engine, tracker_id: str) -> int:
    with Session(db) as s:
        return s.scalars(select(t.WorkItem.id).where(t.WorkItem.tracker_id == tracker_id)).one()


@pytest.fixture
def scripts() -> dict[str, Script]:
    return {"jira": Script(), "github": Script()}


@pytest.fixture
def world(
    tmp_path: Path, db_url: str, engine: Engine, scripts: dict[str, Script]
) -> tuple[Engine, SyncEngine]:
    return engine, make_engine(make_config(tmp_path, db_url), engine, scripts)


@pytest.mark.parametrize("alias_first", [True, False], ids=["alias-first", "link-first"])
def test_a_reference_to_an_old_key_resolves_to_the_moved_issue(
    world: tuple[Engine, SyncEngine], scripts: dict[str, Script], alias_first: bool
) -> None:
    db, engine = world
    moved = rec.Page(
        items=[item("18", "PAY-33")], aliases=[rec.Alias("18", "CHK-18", T0 - timedelta(days=1))]
    )
    scripts["jira"].pages = [moved]
    scripts["github"].pages = [rec.Page(items=[gh_item()], links=[text_ref("CHK-18")])]
    for source in ("jira", "github") if alias_first else ("github", "jira"):
        engine.sync(source)
    link = the_link(db)
    assert (link.blocker_key, link.blocker_item_id) == ("CHK-18", item_id(db, "18"))
    with Session(db) as s:
        alias = s.scalars(select(t.ItemAlias)).one()
        assert (alias.key, alias.item_id, alias.at) == (
            "CHK-18",
            item_id(db, "18"),
            T0 - timedelta(days=1),
        )


def test_a_key_that_changed_between_two_reads_becomes_an_alias(
    world: tuple[Engine, SyncEngine], scripts: dict[str, Script]
) -> None:
    db, engine = world
    scripts["jira"].pages = [rec.Page(items=[item("18", "CHK-18")])]
    engine.sync("jira")
    scripts["jira"].pages = [rec.Page(items=[item("18", "PAY-33", updated=T0 + timedelta(1))])]
    engine.sync("jira")
    scripts["github"].pages = [rec.Page(items=[gh_item()], links=[text_ref("CHK-18")])]
    engine.sync("github")
    assert the_link(db).blocker_item_id == item_id(db, "18")


def test_a_live_key_wins_over_an_alias_and_an_alias_of_a_live_key_is_not_stored(
    world: tuple[Engine, SyncEngine], scripts: dict[str, Script]
) -> None:
    db, engine = world
    scripts["jira"].pages = [
        rec.Page(
            items=[item("18", "PAY-33"), item("19", "CHK-18")],
            aliases=[rec.Alias("18", "CHK-18"), rec.Alias("18", "CHK-17")],
        )
    ]
    scripts["github"].pages = [rec.Page(items=[gh_item()], links=[text_ref("CHK-18")])]
    engine.sync("jira")
    engine.sync("github")
    assert the_link(db).blocker_item_id == item_id(db, "19")
    with Session(db) as s:
        assert list(s.scalars(select(t.ItemAlias.key))) == ["CHK-17"]


@pytest.mark.parametrize("move_first", [True, False], ids=["move-first", "link-first"])
def test_a_transfer_renames_the_item_and_its_old_key_still_resolves(
    world: tuple[Engine, SyncEngine], scripts: dict[str, Script], move_first: bool
) -> None:
    db, engine = world
    old = rec.ItemRef("github", "Acme/Pay#7", url="https://github.com/Acme/Pay/issues/7")
    scripts["github"].pages = [rec.Page(items=[gh_item()])]
    engine.sync("github")
    transfer = rec.Page(
        moves=[rec.Move("700", "acme/ops#3", "https://github.com/acme/ops/issues/3")]
    )
    scripts["jira"].pages = [
        rec.Page(
            items=[item("1", "PAY-1")],
            links=[rec.Link("RL1", "jira_remote_link", blocker=old, blocked=ref("PAY-1", "1"))],
        )
    ]
    scripts["github"].pages = [transfer]
    for source in ("github", "jira") if move_first else ("jira", "github"):
        engine.sync(source)
    with Session(db) as s:
        moved = s.scalars(select(t.WorkItem).where(t.WorkItem.tracker_id == "700")).one()
        assert (moved.key, moved.url, moved.missing_reason) == (
            "acme/ops#3",
            "https://github.com/acme/ops/issues/3",
            "moved",
        )
        assert list(s.scalars(select(t.ItemAlias.key))) == ["acme/pay#7"]
    assert the_link(db).blocker_item_id == item_id(db, "700")


def test_text_references_date_from_the_first_read_and_only_ever_get_older(
    world: tuple[Engine, SyncEngine], scripts: dict[str, Script]
) -> None:
    db, engine = world
    created = T0 - timedelta(days=10)  # the builder's created_at
    scripts["jira"].pages = [rec.Page(items=[item("18", "CHK-18")])]
    engine.sync("jira")
    first_read = rec.Page(items=[gh_item()], links=[text_ref("CHK-18", at=T0)])
    scripts["github"].pages = [first_read]
    engine.sync("github")
    assert (the_link(db).created_at, the_link(db).created_from_history) == (created, False)

    later = T0 + timedelta(days=2)
    scripts["github"].pages = [
        rec.Page(items=[gh_item(updated=later)], links=[text_ref("CHK-18", at=later)])
    ]
    engine.sync("github")
    assert the_link(db).created_at == created  # a later read never makes it younger
    with Session(db) as s:
        added = s.scalars(select(t.Event.at).where(t.Event.field == "link")).all()
    assert added == [created]


def test_a_reference_stored_before_the_dating_rule_moves_back_to_the_read(
    world: tuple[Engine, SyncEngine], scripts: dict[str, Script]
) -> None:
    """Rows stored while text references were dated "first seen" get the read's date."""
    db, engine = world
    scripts["github"].pages = [rec.Page(items=[gh_item()])]
    engine.sync("github")
    scripts["github"].pages = [
        rec.Page(items=[gh_item(updated=T0)], links=[text_ref("CHK-18", at=None)])
    ]
    engine.sync("github")
    assert the_link(db).created_at == T0  # first seen: the engine's now
    read = T0 - timedelta(hours=5)
    scripts["github"].pages = [
        rec.Page(items=[gh_item(updated=read)], links=[text_ref("CHK-18", at=read)])
    ]
    engine.sync("github")
    assert the_link(db).created_at == read
    with Session(db) as s:
        assert s.scalars(select(t.Event.at).where(t.Event.field == "link")).all() == [read]
