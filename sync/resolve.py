"""Which stored work item an ``ItemRef`` means, and link ends that waited for one.

A ref resolves, in this order, by
1. the tracker's stable id, within the ref's own source;
2. the item's current key (or the key in a URL) across the sources of that tracker kind,
   the storing source's own items first;
3. an alias: a key the item was known by before (``item_aliases``): a Jira issue moved to
   another project ("blocked by ATL-18" after ATL-18 became BOR-33), a GitHub issue
   transferred to another repository (a Jira remote link to its old URL).

Link ends and parents that named an item before it (or its alias) was stored keep their
tracker, key and url with no item id; ``resolve_waiting`` fills them in when the item or the
alias arrives, so references resolve in either sync order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from connectors import base as rec
from model import tables as t

CHUNK = 500  # ids per IN (...) query: well under SQLite's variable limit
V = TypeVar("V")


def norm_key(tracker: str, key: str) -> str:
    """GitHub owner and repository names are case-insensitive: "Acme/Web#7" is "acme/web#7",
    so references typed by people and URLs from Jira resolve to the same item."""
    return key.lower() if tracker == "github" else key


def ref_key(ref: rec.ItemRef) -> tuple[str, str]:
    if ref.tracker_id:
        return ("id", ref.tracker_id)
    return ("key", f"{ref.tracker}:{norm_key(ref.tracker, ref.key)}")


def chunks(values: list[V], size: int = CHUNK) -> Iterable[list[V]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Resolver:
    """Ref resolution and alias bookkeeping for the pages of one source."""

    def __init__(self, session: Session, source: t.Source) -> None:
        self.s = session
        self.source = source
        self.src_id = source.id
        self.kind = source.kind

    # -- refs -----------------------------------------------------------------------------------

    def refs(self, refs: Iterable[rec.ItemRef]) -> dict[tuple[str, str], int]:
        """ItemRef → stored work item id, by tracker id in this source, else by key or alias."""
        refs = list(refs)
        found: dict[tuple[str, str], int] = {}
        own_ids = {r.tracker_id for r in refs if r.tracker_id and self._is_own(r)}
        for tracker_id, item_id in self.ids_by_tracker_id(own_ids).items():
            found[("id", tracker_id)] = item_id
        by_kind: dict[str, set[str]] = {}
        for ref in refs:
            if ref_key(ref) not in found:
                by_kind.setdefault(ref.tracker, set()).add(norm_key(ref.tracker, ref.key))
        for kind, keys in by_kind.items():
            hits = self._by_key(kind, keys)
            hits.update(self._by_alias(kind, keys - set(hits)))
            found.update({("key", f"{kind}:{key}"): item_id for key, item_id in hits.items()})
        result: dict[tuple[str, str], int] = {}
        for ref in refs:
            by_key = ("key", f"{ref.tracker}:{norm_key(ref.tracker, ref.key)}")
            hit = found.get(ref_key(ref)) or found.get(by_key)
            if hit is not None:
                result[ref_key(ref)] = hit
        return result

    def _is_own(self, ref: rec.ItemRef) -> bool:
        return ref.source == self.source.name or (ref.source is None and ref.tracker == self.kind)

    def _by_key(self, kind: str, keys: set[str]) -> dict[str, int]:
        """Current keys, this source's items first (another source may reuse a Jira key)."""
        return self._first_ids(t.WorkItem, t.WorkItem.key, t.WorkItem.id, kind, keys)

    def _by_alias(self, kind: str, keys: set[str]) -> dict[str, int]:
        return self._first_ids(t.ItemAlias, t.ItemAlias.key, t.ItemAlias.item_id, kind, keys)

    def _first_ids(
        self, table: Any, key_col: Any, item_col: Any, kind: str, keys: set[str]
    ) -> dict[str, int]:
        """key → item id in ``table`` among sources of ``kind``, this source's rows first."""
        out: dict[str, int] = {}
        for chunk in chunks(sorted(keys)):
            rows = self.s.execute(
                select(key_col, item_col)
                .join(t.Source, t.Source.id == table.source_id)
                .where(t.Source.kind == kind, key_col.in_(chunk))
                .order_by((table.source_id == self.src_id).desc(), table.id)
            ).all()
            for key, item_id in rows:
                out.setdefault(key, item_id)
        return out

    def ids_by_tracker_id(self, tracker_ids: set[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in chunks(sorted(tracker_ids)):
            out.update(
                self.s.execute(
                    select(t.WorkItem.tracker_id, t.WorkItem.id).where(
                        t.WorkItem.source_id == self.src_id, t.WorkItem.tracker_id.in_(chunk)
                    )
                ).all()
            )
        return out

    # -- aliases ----------------------------------------------------------------------------------

    def learn(self, aliases: Iterable[tuple[int, str, datetime | None]]) -> None:
        """Store (item id, old key, renamed at) aliases of this source; ends waiting for the old
        key resolve now. An alias equal to a key an item has now is no alias and is skipped."""
        wanted: dict[str, tuple[int, datetime | None]] = {}
        for item_id, key, at in aliases:
            wanted[norm_key(self.kind, key)] = (item_id, at)
        if not wanted:
            return
        live = self._own_keys(set(wanted))
        wanted = {k: v for k, v in wanted.items() if k not in live}
        stored = {
            row.key: row
            for chunk in chunks(sorted(wanted))
            for row in self.s.scalars(
                select(t.ItemAlias).where(
                    t.ItemAlias.source_id == self.src_id, t.ItemAlias.key.in_(chunk)
                )
            )
        }
        for key, (item_id, at) in wanted.items():
            row = stored.get(key)
            if row is None:
                self.s.add(t.ItemAlias(source_id=self.src_id, item_id=item_id, key=key, at=at))
            elif row.item_id != item_id or (at is not None and row.at != at):
                row.item_id, row.at = item_id, at if at is not None else row.at
        self.s.flush()
        self.resolve_waiting({key: item_id for key, (item_id, _) in wanted.items()})

    def _own_keys(self, keys: set[str]) -> set[str]:
        out: set[str] = set()
        for chunk in chunks(sorted(keys)):
            out.update(
                self.s.scalars(
                    select(t.WorkItem.key).where(
                        t.WorkItem.source_id == self.src_id, t.WorkItem.key.in_(chunk)
                    )
                )
            )
        return out

    # -- waiting ends -----------------------------------------------------------------------------

    def resolve_waiting(self, by_key: Mapping[str, int]) -> None:
        """Link ends and parents that named these keys (current or old) before they were known:
        one SELECT per end and chunk, then one executemany UPDATE for each (an UPDATE per row,
        with the ORM matching it against every object in the session, was most of a first
        load's store time)."""
        for chunk in chunks(list(by_key)):
            for end in ("blocker", "blocked"):
                item_col = getattr(t.Link, f"{end}_item_id")
                key_col = getattr(t.Link, f"{end}_key")
                tracker_col = getattr(t.Link, f"{end}_tracker")
                waiting = self.s.execute(
                    select(t.Link.id, key_col).where(
                        item_col.is_(None), tracker_col == self.kind, key_col.in_(chunk)
                    )
                ).all()
                self.fill(t.Link, f"{end}_item_id", [(i, by_key[k]) for i, k in waiting])
            # parent_key alone in the WHERE: with source_id there too, SQLite walked the source's
            # whole (source_id, tracker_id) index once a page — quadratic on a first load
            children = self.s.execute(
                select(
                    t.WorkItem.id, t.WorkItem.parent_key, t.WorkItem.parent_id, t.WorkItem.source_id
                ).where(t.WorkItem.parent_key.in_(chunk))
            ).all()
            moved = [
                (i, by_key[str(k)])
                for i, k, current, src in children
                if src == self.src_id and current != by_key[str(k)]
            ]
            self.fill(t.WorkItem, "parent_id", moved)

    def fill(self, model: Any, column: str, values: list[tuple[int, int]]) -> None:
        """``column`` of rows by primary key, in one executemany; objects of those rows this
        session holds forget the column, so they read the new value."""
        if not values:
            return
        self.s.flush()  # (a Core statement does not autoflush; pending changes go first)
        table = model.__table__
        statement = (
            table.update()
            .where(table.c.id == bindparam("row_id"))
            .values({column: bindparam("value")})
        )
        self.s.execute(statement, [{"row_id": i, "value": v} for i, v in values])
        for row_id, value in values:
            obj = self.s.identity_map.get(identity_key(model, row_id))
            if obj is not None:
                set_committed_value(obj, column, value)
