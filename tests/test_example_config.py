"""config.example.toml is complete and valid for every feature.

* The real loader (``sync.config.load``, with the installed connectors' ``Settings``) reads it,
  secrets checked too.
* Every field of every config dataclass (each ``[section]``, ``[[train.teams]]``,
  ``[[calendar.pis]]``, ``[[digest.routes]]`` and each connector's ``Settings``) is present in
  its own table, active or commented out, with a comment on its line. Tables are tracked, so a
  key documented for GitHub does not count for Jira.
* Commented-out keys are examples a reader will uncomment: the example with all of them
  uncommented (every feature on) loads, and so does the ``jql`` alternative to ``projects``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync.config import TOP_LEVEL, PIConfig, TeamConfig, load
from sync.config_digest import DigestRoute
from sync.registry import installed_settings

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"
LINES = EXAMPLE.read_text(encoding="utf-8").splitlines()
HEADER = re.compile(r"^\s*(?P<hash>#\s*)?\[\[?\s*(?P<name>[\w.]+)\s*\]\]?\s*(#.*)?$")
SECRETS = {"JIRA_USER": "rte@acme.example", "JIRA_TOKEN": "t0ken", "GITHUB_TOKEN": "t0ken"}


@dataclass(frozen=True, slots=True)
class KeyLine:
    table: str  # "sync", "train.teams", "sources.jira" (sources by kind)
    key: str
    index: int  # 0-based line number
    active: bool
    commented: bool  # a comment follows the value on the same line


def _key_of(line: str) -> str | None:
    """The key of a ``key = value`` line, or None (prose, headers, blank lines)."""
    try:
        parsed = tomllib.loads(line.strip())
    except tomllib.TOMLDecodeError:
        return None
    return next(iter(parsed)) if len(parsed) == 1 else None


def _kind_after(header: int) -> str:
    """The ``kind`` of the ``[[sources]]`` table whose header is on line ``header``."""
    for line in LINES[header + 1 :]:
        if HEADER.match(line):
            break
        if _key_of(line) == "kind":
            return str(tomllib.loads(line.strip())["kind"])
    return "?"


def scan() -> list[KeyLine]:
    """Every key line of the example, active or commented out, with the table it is in."""
    found: list[KeyLine] = []
    table = ""
    for i, line in enumerate(LINES):
        header = HEADER.match(line)
        if header:
            table = header["name"]
            if table == "sources":
                table = f"sources.{_kind_after(i)}"
            continue
        stripped = line.strip()
        active = not stripped.startswith("#")
        key = _key_of(stripped if active else stripped.lstrip("#"))
        if key is None:
            continue
        commented = "#" in stripped.lstrip("#").split("=", 1)[1]
        found.append(KeyLine(table, key, i, active, commented))
    return found


def expected() -> list[tuple[str, str]]:
    """(table, key) for every field the loader accepts, nested tables left to their own."""
    tables: dict[str, type[Any]] = {
        **TOP_LEVEL,
        "train.teams": TeamConfig,
        "calendar.pis": PIConfig,
        "digest.routes": DigestRoute,
        **{f"sources.{kind}": cls for kind, cls in installed_settings().items()},
    }
    pairs: list[tuple[str, str]] = []
    for table, cls in tables.items():
        if table.startswith("sources."):
            pairs += [(table, "name"), (table, "kind")]
        for f in dataclasses.fields(cls):
            if f.name not in ("teams", "pis", "routes"):
                pairs.append((table, f.name.rstrip("_")))  # [smtp] from is the field from_
    return pairs


def uncommented(skip: frozenset[str] = frozenset({"jql"})) -> list[str]:
    """The example with every commented-out header and key line made active, except keys in
    ``skip`` and keys that are active in the same table already (an alternative value)."""
    lines = list(LINES)
    keys = scan()
    active = {(k.table, k.key) for k in keys if k.active}
    for k in keys:
        if not k.active and k.key not in skip and (k.table, k.key) not in active:
            lines[k.index] = LINES[k.index].lstrip().lstrip("#").lstrip()
    for i, line in enumerate(LINES):
        header = HEADER.match(line)
        if header and header["hash"]:
            lines[i] = line.lstrip().lstrip("#").lstrip()
    return lines


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "trainyard.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_real_loader_reads_the_example(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in SECRETS.items():
        monkeypatch.setenv(var, value)
    config = load(EXAMPLE, require_secrets=True)
    assert [(s.name, s.kind) for s in config.sources] == [("jira", "jira"), ("github", "github")]
    assert [t.name for t in config.train.teams] == ["Checkout", "Payments"]
    assert [p.name for p in config.calendar.pis] == ["PI 26.4"]
    assert config.smtp.from_ == "trainyard@acme.example"
    assert config.schedule.digest_cron == "0 7 * * mon"


def test_every_table_of_the_loader_is_in_the_example() -> None:
    tables = {k.table for k in scan()}
    missing = sorted({table for table, _ in expected()} - tables)
    assert not missing, f"tables missing from {EXAMPLE.name}: {missing}"


@pytest.mark.parametrize(("table", "key"), expected(), ids=lambda v: str(v))
def test_every_key_is_in_its_table_with_a_comment(table: str, key: str) -> None:
    lines = [k for k in scan() if (k.table, k.key) == (table, key)]
    assert lines, f"{table}.{key} is not in {EXAMPLE.name} (active or commented out)"
    assert any(k.commented for k in lines), f"{table}.{key} has no comment on its line"


def test_no_key_in_the_example_is_unknown_to_the_loader() -> None:
    known = set(expected())
    unknown = sorted({(k.table, k.key) for k in scan()} - known)
    assert not unknown, f"keys the loader would reject: {unknown}"


def test_with_every_commented_example_uncommented_it_still_loads(tmp_path: Path) -> None:
    config = load(write(tmp_path, uncommented()))
    jira, github = (s.settings for s in config.sources)
    assert jira.reads_objectives
    assert jira.committed_field == "Committed"
    assert github.objective_label == "pi-objective"
    assert config.calendar.pis[0].baseline_at is not None
    assert config.train.teams[0].jira_components == ("Cart",)
    assert [r.team for r in config.digest.routes] == ["Payments"]
    assert config.database.url == "sqlite:///trainyard.db"  # the active url wins


def test_the_jql_alternative_to_projects_loads(tmp_path: Path) -> None:
    lines = uncommented(skip=frozenset())
    jira_projects = next(
        k for k in scan() if (k.table, k.key) == ("sources.jira", "projects") and k.active
    )
    lines[jira_projects.index] = "# " + lines[jira_projects.index]
    config = load(write(tmp_path, lines))
    jira = config.sources[0].settings
    assert jira.jql == "project = CHK AND component = Cart"
    assert jira.projects == ()
