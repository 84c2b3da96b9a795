"""``reports.gcpause`` restores automatic collection as it found it, errors included."""

from __future__ import annotations

import gc

import pytest

from reports.gcpause import gc_paused, paused


def test_paused_restores_what_it_found() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause found it off: leaves it off
    assert gc.isenabled()


def test_gc_paused_reenables_after_an_error() -> None:
    @gc_paused
    def fails() -> None:
        assert not gc.isenabled()
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fails()
    assert gc.isenabled()
