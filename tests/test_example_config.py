"""config.example.toml documents every key: each section field and each connector setting is
present in the example with a comment on its line (or the lines right after it)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from sync.config import TOP_LEVEL, PIConfig, TeamConfig
from sync.config_digest import DigestRoute
from sync.registry import installed_settings

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"
LINES = EXAMPLE.read_text().splitlines()


def documented(key: str) -> bool:
    """``key = ...  # comment`` (active or commented out) with its comment."""
    pattern = re.compile(rf"^\s*#?\s*{re.escape(key)}\s*=")
    return any(pattern.match(line) and "#" in line.split("=", 1)[1] for line in LINES)


def keys() -> list[str]:
    found: list[str] = []
    for cls in (
        *TOP_LEVEL.values(),
        TeamConfig,
        PIConfig,
        DigestRoute,
        *installed_settings().values(),
    ):
        for f in dataclasses.fields(cls):
            if not dataclasses.is_dataclass(f.type) and f.name not in ("teams", "pis", "routes"):
                found.append(f"{cls.__name__}.{f.name.rstrip('_')}")  # [smtp] from_ is "from"
    return found


@pytest.mark.parametrize("key", keys())
def test_every_key_is_in_the_example_with_a_comment(key: str) -> None:
    assert documented(key.split(".", 1)[1]), f"{key} is not documented in {EXAMPLE.name}"
