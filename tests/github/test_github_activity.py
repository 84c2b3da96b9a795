"""Who changed what on GitHub (for stalled work): timeline actors on events, and the timeline
events that are activity (comments, cross-references) or are not (dependency changes)."""

from __future__ import annotations

import responses

from tests.github.test_connector import make, register_web, request, rsps, run, token

__all__ = ["rsps", "token"]  # fixtures, used by name


def test_timeline_events_carry_their_actor(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    events = {e.event_key: e for p in run(make(), request()) for e in p.events}
    assert (events["tl:9003"].field, events["tl:9003"].author) == ("label", "alice")
    assert (events["tl:9007"].field, events["tl:9007"].author_name) == ("status", "alice")
    activity = sorted((e.detail, e.author) for e in events.values() if e.field == "activity")
    assert activity == [("commented", "bob"), ("cross-referenced", "bob")]
    assert all(e.field != "activity" for e in events.values() if e.link_key)
