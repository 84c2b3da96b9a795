"""The config contract: good files load into frozen objects; every bad one ends in one line.

Bad configs go through the real command line (``sync.cli.main`` and, for a few, the installed
``trainyard`` script): exit code 2, exactly one line on stderr naming the file, the key, the
line where the loader can find it, and a fix; never a traceback.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from connectors.github import GitHubSettings
from connectors.jira import JiraSettings
from sync.cli import main
from sync.config import CONFIG_ENV, Config, load
from sync.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
TRAINYARD = Path(sys.executable).with_name("trainyard")

# A complete config in the documented shape; every bad case below is one edit of it.
BASE = """\
[database]
url = "sqlite:///trainyard.db"

[train]
name = "Payments ART"
timezone = "Europe/Berlin"

[[train.teams]]
name = "Checkout"
jira_projects = ["CHK"]
github_repos = ["acme/checkout-web"]

[[train.teams]]
name = "Payments"
jira_projects = ["PAY"]
labels = ["team-payments"]

[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
iterations = 5
iteration_days = 14
ip_iteration = true

[[sources]]
name = "jira"
kind = "jira"
url = "https://acme.atlassian.net"
user_env = "JIRA_USER"
token_env = "JIRA_TOKEN"
projects = ["CHK", "PAY"]
blocks_link_types = ["Blocks"]

[[sources]]
name = "github"
kind = "github"
base_url = "https://api.github.com"
token_env = "GITHUB_TOKEN"
repos = ["acme/checkout-web"]

[blocked]
flagged = true
statuses = ["Blocked"]
labels = ["blocked"]

[sync]
interval_minutes = 15
lookback_minutes = 15

[reports]
out_dir = "trainyard-out"
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with ``old`` (which must occur exactly once) replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def without_train(text: str = BASE) -> str:
    head, _, rest = text.partition("[train]")
    return head + rest[rest.index("[[calendar.pis]]") :]


@dataclass(frozen=True)
class Bad:
    """A broken config: the dotted key the message names, the text of the line it points at
    (None: no line can be known), and words of the fix."""

    id: str
    toml: str
    key: str
    line_text: str | None
    fix: str


GITHUB_HEADER = '[[sources]]\nname = "github"'
BAD = [
    # unknown keys, at every level
    Bad("unknown-section", BASE + "\n[extras]\nx = 1\n", "extras", "[extras]", "remove it"),
    Bad("unknown-top-level-key", 'colour = "red"\n' + BASE, "colour", 'colour = "red"', "remove"),
    Bad(
        "unknown-nested-key",
        edit('url = "sqlite:///trainyard.db"', 'url = "sqlite:///trainyard.db"\nurll = "x"'),
        "database.urll",
        'urll = "x"',
        "known keys here: url",
    ),
    Bad(
        "unknown-key-in-source",
        edit('\nrepos = ["acme/checkout-web"]', '\nrepos = ["acme/checkout-web"]\nrepo = "acme/x"'),
        "sources[1].repo",
        'repo = "acme/x"',
        "repos",
    ),
    Bad(
        "unknown-key-in-team",
        edit('labels = ["team-payments"]', 'labels = ["team-payments"]\ncolour = "red"'),
        "train.teams[1].colour",
        'colour = "red"',
        "jira_components",
    ),
    Bad(
        "unknown-key-in-pi",
        edit("ip_iteration = true", "ip_iteration = true\nweeks = 10"),
        "calendar.pis[0].weeks",
        "weeks = 10",
        "iteration_days",
    ),
    Bad(
        "misspelled-sources-table",
        edit(GITHUB_HEADER, '[[source]]\nname = "github"'),
        "source",
        "[[source]]",
        "sources",
    ),
    # wrong types
    Bad(
        "string-for-int",
        edit("interval_minutes = 15", 'interval_minutes = "15"'),
        "sync.interval_minutes",
        'interval_minutes = "15"',
        "whole number",
    ),
    Bad(
        "float-for-int",
        edit("iteration_days = 14", "iteration_days = 14.5"),
        "calendar.pis[0].iteration_days",
        "iteration_days = 14.5",
        "whole number",
    ),
    Bad(
        "int-for-string",
        edit('name = "Payments ART"', "name = 5"),
        "train.name",
        "name = 5",
        "quote it",
    ),
    Bad(
        "list-for-string",
        edit('timezone = "Europe/Berlin"', 'timezone = ["Europe/Berlin"]'),
        "train.timezone",
        'timezone = ["Europe/Berlin"]',
        "quote it",
    ),
    Bad(
        "string-for-list",
        edit('projects = ["CHK", "PAY"]', 'projects = "CHK"'),
        "sources[0].projects",
        'projects = "CHK"',
        '["a", "b"]',
    ),
    Bad(
        "wrong-type-in-list",
        edit('statuses = ["Blocked"]', 'statuses = ["Blocked", 3]'),
        "blocked.statuses[1]",
        'statuses = ["Blocked", 3]',
        "quote it",
    ),
    Bad(
        "bool-for-int",
        edit("iterations = 5", "iterations = true"),
        "calendar.pis[0].iterations",
        "iterations = true",
        "whole number",
    ),
    Bad(
        "string-for-bool",
        edit("flagged = true", 'flagged = "yes"'),
        "blocked.flagged",
        'flagged = "yes"',
        "true or false",
    ),
    Bad(
        "date-as-string",
        edit("start = 2026-10-05", 'start = "2026-10-05"'),
        "calendar.pis[0].start",
        'start = "2026-10-05"',
        "no quotes",
    ),
    Bad(
        "datetime-for-date",
        edit("start = 2026-10-05", "start = 2026-10-05T09:00:00"),
        "calendar.pis[0].start",
        "start = 2026-10-05T09:00:00",
        "no quotes",
    ),
    Bad(
        "section-not-a-table",
        edit('[database]\nurl = "sqlite:///trainyard.db"', 'database = "sqlite:///x.db"'),
        "database",
        'database = "sqlite:///x.db"',
        "[database]",
    ),
    Bad(
        "sources-not-an-array",
        edit(GITHUB_HEADER, '[sources.gh]\nname = "github"').replace(
            '[[sources]]\nname = "jira"', '[sources.jira]\nname = "jira"'
        ),
        "sources",
        None,
        "[[sources]]",
    ),
    Bad(
        "source-name-not-a-string",
        edit('name = "jira"', "name = 7"),
        "sources[0].name",
        "name = 7",
        'name = "..."',
    ),
    # missing required keys
    Bad("missing-train", without_train(), "train", None, "add a [train] table"),
    Bad(
        "missing-train-name",
        edit('name = "Payments ART"\n', ""),
        "train.name",
        "[train]",
        "add name = ",
    ),
    Bad(
        "missing-source-url",
        edit('url = "https://acme.atlassian.net"\n', ""),
        "sources[0].url",
        '[[sources]]\nname = "jira"',
        "add url = ... to [[sources]] table #1",
    ),
    Bad(
        "missing-source-token-env",
        edit('token_env = "GITHUB_TOKEN"\n', ""),
        "sources[1].token_env",
        GITHUB_HEADER,
        "add token_env = ",
    ),
    Bad(
        "missing-github-repos",
        edit('\nrepos = ["acme/checkout-web"]\n', "\n"),
        "sources[1].repos",
        GITHUB_HEADER,
        "add repos = ",
    ),
    Bad(
        "missing-source-kind",
        edit('kind = "github"\n', ""),
        "sources[1].kind",
        GITHUB_HEADER,
        'add kind = "..."',
    ),
    Bad(
        "missing-pi-start",
        edit("start = 2026-10-05\n", ""),
        "calendar.pis[0].start",
        "[[calendar.pis]]",
        "add start = ",
    ),
    # duplicates and overlaps
    Bad(
        "duplicate-source-name",
        edit(GITHUB_HEADER, '[[sources]]\nname = "jira"'),
        "sources[1].name",
        'name = "jira"\nkind = "github"',
        "its own name",
    ),
    Bad(
        "duplicate-team-name",
        edit('name = "Payments"\n', 'name = "Checkout"\n'),
        "train.teams[1].name",
        'name = "Checkout"\njira_projects = ["PAY"]',
        "its own name",
    ),
    Bad(
        "duplicate-pi-name",
        BASE + '\n[[calendar.pis]]\nname = "PI 26.4"\nstart = 2027-01-04\n',
        "calendar.pis[1].name",
        'name = "PI 26.4"\nstart = 2027-01-04',
        "its own name",
    ),
    Bad(
        "overlapping-pis",
        BASE + '\n[[calendar.pis]]\nname = "PI 27.1"\nstart = 2026-12-07\n',
        "calendar.pis[1].start",
        "start = 2026-12-07",
        "on or after 2026-12-28",
    ),
    # meaning
    Bad(
        "team-names-unknown-project",
        edit('jira_projects = ["PAY"]', 'jira_projects = ["PAYX"]'),
        "train.teams[1].jira_projects",
        'jira_projects = ["PAYX"]',
        "use one of: CHK, PAY",
    ),
    Bad(
        "team-names-unknown-repo",
        edit('github_repos = ["acme/checkout-web"]', 'github_repos = ["acme/other"]'),
        "train.teams[0].github_repos",
        'github_repos = ["acme/other"]',
        "acme/checkout-web",
    ),
    Bad(
        "unknown-source-kind",
        edit('kind = "github"', 'kind = "gitlab"'),
        "sources[1].kind",
        'kind = "gitlab"',
        "installed: github, jira",
    ),
    Bad(
        "bad-timezone",
        edit("Europe/Berlin", "Mars/Olympus_Mons"),
        "train.timezone",
        'timezone = "Mars/Olympus_Mons"',
        '"Europe/Berlin"',
    ),
    Bad(
        "bad-url-scheme",
        edit("https://acme.atlassian.net", "ftp://acme.example"),
        "sources[0].url",
        'url = "ftp://acme.example"',
        "config.example.toml",
    ),
    Bad(
        "bad-github-base-url",
        edit("https://api.github.com", "api.github.com"),
        "sources[1].base_url",
        'base_url = "api.github.com"',
        "config.example.toml",
    ),
    Bad(
        "bad-repo-name",
        edit('\nrepos = ["acme/checkout-web"]', '\nrepos = ["checkout-web"]'),
        "sources[1].repos",
        'repos = ["checkout-web"]',
        "config.example.toml",
    ),
    Bad(
        "projects-and-jql",
        edit('projects = ["CHK", "PAY"]', 'projects = ["CHK", "PAY"]\njql = "project = CHK"'),
        "sources[0].projects",
        'projects = ["CHK", "PAY"]',
        "exactly one of",
    ),
    Bad(
        "neither-projects-nor-jql",
        edit('projects = ["CHK", "PAY"]\n', ""),
        "sources[0].projects",
        '[[sources]]\nname = "jira"',
        "exactly one of",
    ),
    Bad(
        "negative-lookback",
        edit("lookback_minutes = 15", "lookback_minutes = -5"),
        "sync.lookback_minutes",
        "lookback_minutes = -5",
        "0 or more",
    ),
    Bad(
        "zero-interval",
        edit("interval_minutes = 15", "interval_minutes = 0"),
        "sync.interval_minutes",
        "interval_minutes = 0",
        "e.g. 15",
    ),
    Bad(
        "zero-iterations",
        edit("iterations = 5", "iterations = 0"),
        "calendar.pis[0].iterations",
        "iterations = 0",
        "1 or more",
    ),
    Bad(
        "empty-team-name",
        edit('name = "Checkout"', 'name = "  "'),
        "train.teams[0].name",
        'name = "  "',
        "write a name",
    ),
    Bad(
        "unparseable-toml",
        edit("[sync]", "[sync"),
        "invalid TOML",
        "[sync",
        "fix the syntax",
    ),
    Bad(
        "toml-duplicate-key",
        edit('timezone = "Europe/Berlin"', 'timezone = "Europe/Berlin"\ntimezone = "UTC"'),
        "invalid TOML",
        'timezone = "UTC"',
        "fix the syntax",
    ),
    Bad(
        "newline-in-quoted-key",
        edit("lookback_minutes = 15", 'lookback_minutes = 15\n"a\\nb" = 1'),
        "sync.a b",
        "[sync]",
        "remove it",
    ),
]


def line_number(text: str, snippet: str) -> int:
    """1-based line where the first occurrence of ``snippet`` starts."""
    return text[: text.index(snippet)].count("\n") + 1


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_clear_line(code: int, out: str, err: str) -> str:
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("trainyard: error: ")
    return lines[0]


def test_there_are_enough_bad_config_cases() -> None:
    assert len(BAD) >= 25
    assert len({case.id for case in BAD}) == len(BAD)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
def test_bad_config_ends_in_one_located_line(
    case: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trainyard.toml"
    path.write_text(case.toml, encoding="utf-8")
    line = assert_one_clear_line(*run_cli(["status", "--config", str(path)], capsys))
    if case.line_text is None:
        assert f"{path}: " in line
    else:
        assert f"{path}:{line_number(case.toml, case.line_text)}: " in line
    assert case.key in line
    assert case.fix in line
    assert not (tmp_path / "trainyard.db").exists()  # nothing ran


@pytest.mark.parametrize(
    ("command", "case"),
    [(["db", "upgrade"], BAD[2]), (["status"], BAD[-4])],
    ids=["db-upgrade-unknown-key", "status-unparseable"],
)
def test_bad_config_through_the_installed_script(
    command: list[str], case: Bad, tmp_path: Path
) -> None:
    path = tmp_path / "trainyard.toml"
    path.write_text(case.toml, encoding="utf-8")
    done = subprocess.run(
        [str(TRAINYARD), *command, "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = assert_one_clear_line(done.returncode, done.stdout, done.stderr)
    assert case.key in line
    assert case.fix in line


def test_missing_file_names_it_and_the_ways_to_give_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nope.toml"
    line = assert_one_clear_line(*run_cli(["status", "--config", str(path)], capsys))
    assert f"{path}: config file not found" in line
    assert "config.example.toml" in line
    assert "--config PATH" in line
    assert CONFIG_ENV in line


def test_default_config_missing_in_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    line = assert_one_clear_line(*run_cli(["status"], capsys))
    assert "trainyard.toml: config file not found" in line


def test_directory_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = assert_one_clear_line(*run_cli(["status", "--config", str(tmp_path)], capsys))
    assert f"{tmp_path}: cannot read config" in line
    assert "UTF-8 TOML file" in line


def test_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "trainyard.toml"
    path.write_bytes(BASE.replace("Payments ART", "Zahlungs\xfcbersicht").encode("latin-1"))
    line = assert_one_clear_line(*run_cli(["status", "--config", str(path)], capsys))
    assert f"{path}: cannot read config" in line
    assert "UTF-8" in line


# -- secrets: only commands that talk to trackers require them ------------------------------


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    path = tmp_path / "trainyard.toml"
    path.write_text(BASE, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("unset", "key"),
    [
        ("JIRA_TOKEN", "sources[0].token_env"),
        ("JIRA_USER", "sources[0].user_env"),
        ("GITHUB_TOKEN", "sources[1].token_env"),
    ],
)
def test_unset_secret_variable_names_it_and_never_a_value(
    unset: str, key: str, base_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "JIRA_USER": "rte@acme.example",
        "JIRA_TOKEN": "s3cr3t-jira",
        "GITHUB_TOKEN": "ghp_x",
    }
    for var, value in secrets.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv(unset)
    with pytest.raises(ConfigError) as caught:
        load(base_file, require_secrets=True)
    message = str(caught.value)
    assert "\n" not in message
    line = line_number(BASE, f'= "{unset}"')
    assert message.startswith(f"{base_file}:{line}: {key}: ")
    assert f"environment variable {unset}" in message
    assert f"export {unset}=..." in message
    assert not any(value in message for value in secrets.values())


def test_secrets_present_load(base_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("JIRA_USER", "JIRA_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.setenv(var, "x")
    assert load(base_file, require_secrets=True).sources[0].name == "jira"


def test_secrets_not_required_by_default(base_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("JIRA_USER", "JIRA_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    assert len(load(base_file).sources) == 2


# -- good configs ---------------------------------------------------------------------------


def test_example_config_loads_into_frozen_objects() -> None:
    config = load(REPO / "config.example.toml")
    assert config.path == REPO / "config.example.toml"
    assert config.database.url == "sqlite:///trainyard.db"
    assert config.train.name == "Payments ART"
    assert config.train.timezone == "Europe/Berlin"
    checkout = config.train.teams[0]
    assert checkout.name == "Checkout"
    assert checkout.jira_projects == ("CHK",)
    assert checkout.github_repos == ("acme/checkout-web",)
    assert [t.name for t in config.train.teams] == ["Checkout", "Payments"]
    (pi,) = config.calendar.pis
    assert (pi.name, pi.start, pi.iterations, pi.iteration_days, pi.ip_iteration) == (
        "PI 26.4",
        date(2026, 10, 5),
        5,
        14,
        True,
    )
    assert pi.end == date(2026, 12, 28)  # 6 iterations x 14 days, exclusive
    jira, github = config.sources
    assert (jira.name, jira.kind, github.name, github.kind) == ("jira", "jira", "github", "github")
    assert jira.settings == JiraSettings(
        url="https://acme.atlassian.net",
        token_env="JIRA_TOKEN",
        user_env="JIRA_USER",
        projects=("CHK", "PAY"),
        blocks_link_types=("Blocks",),
    )
    assert github.settings == GitHubSettings(
        token_env="GITHUB_TOKEN", repos=("acme/checkout-web",), base_url="https://api.github.com"
    )
    assert config.blocked.flagged is True
    assert config.blocked.statuses == ("Blocked",)
    assert config.blocked.labels == ("blocked",)
    assert config.sync.interval_minutes == 15
    assert config.sync.lookback_minutes == 15
    assert config.sync.max_wait_seconds == 450
    assert config.reports.out_dir == "trainyard-out"


def test_config_objects_are_frozen() -> None:
    config = load(REPO / "config.example.toml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.train = config.train  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.sync.interval_minutes = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.sources[0].settings.url = "https://evil.example"
    assert isinstance(config.train.teams, tuple)
    assert isinstance(config.sources, tuple)


def test_defaults_for_a_minimal_config(tmp_path: Path) -> None:
    path = tmp_path / "min.toml"
    path.write_text('[train]\nname = "Tiny ART"\n', encoding="utf-8")
    config = load(path)
    assert config.train.name == "Tiny ART"
    assert config.train.timezone == "UTC"
    assert config.train.teams == ()
    assert config.database.url == "sqlite:///trainyard.db"
    assert config.calendar.pis == ()
    assert config.sources == ()
    assert (config.blocked.flagged, config.blocked.statuses, config.blocked.labels) == (
        True,
        ("Blocked",),
        ("blocked",),
    )
    assert (config.sync.interval_minutes, config.sync.lookback_minutes) == (15, 15)
    assert (config.sync.request_timeout_seconds, config.sync.max_retries) == (30.0, 6)
    assert config.reports.out_dir == "trainyard-out"


def test_pi_defaults_and_end(tmp_path: Path) -> None:
    path = tmp_path / "pi.toml"
    path.write_text(
        '[train]\nname = "A"\n[[calendar.pis]]\nname = "PI 1"\nstart = 2026-01-05\n'
        '[[calendar.pis]]\nname = "PI 2"\nstart = 2026-03-30\nip_iteration = false\n'
        "iterations = 4\niteration_days = 7\n",
        encoding="utf-8",
    )
    first, second = load(path).calendar.pis
    assert (first.iterations, first.iteration_days, first.ip_iteration) == (5, 14, True)
    assert first.end == date(2026, 3, 30)  # a PI may start the day the previous one ends
    assert second.end == date(2026, 4, 27)


def test_trainyard_config_env_var_and_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = tmp_path / "env.toml"
    from_env.write_text('[train]\nname = "From env"\n', encoding="utf-8")
    from_cwd = tmp_path / "trainyard.toml"
    from_cwd.write_text('[train]\nname = "From cwd"\n', encoding="utf-8")
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[train]\nname = "Explicit"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert load().train.name == "From cwd"
    monkeypatch.setenv(CONFIG_ENV, str(from_env))
    assert load().train.name == "From env"
    assert load(explicit).train.name == "Explicit"


def test_jql_source_leaves_team_projects_open(tmp_path: Path) -> None:
    path = tmp_path / "jql.toml"
    path.write_text(
        edit('projects = ["CHK", "PAY"]', 'jql = "project in (CHK, PAY) AND labels = art"'),
        encoding="utf-8",
    )
    config = load(path)
    assert config.sources[0].settings.jql == "project in (CHK, PAY) AND labels = art"
    assert config.sources[0].settings.projects == ()
    assert config.train.teams[1].jira_projects == ("PAY",)


def test_team_scope_check_ignores_case_like_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    text = edit('github_repos = ["acme/checkout-web"]', 'github_repos = ["Acme/Checkout-Web"]')
    path.write_text(edit('jira_projects = ["PAY"]', 'jira_projects = ["pay"]', text), "utf-8")
    config = load(path)
    assert config.train.teams[0].github_repos == ("Acme/Checkout-Web",)


def test_inline_tables_load_like_headers(tmp_path: Path) -> None:
    path = tmp_path / "inline.toml"
    path.write_text(
        'train = { name = "Inline ART", teams = [{ name = "A", labels = ["a"] }] }\n'
        "sync = { interval_minutes = 5 }\n",
        encoding="utf-8",
    )
    config = load(path)
    assert config.train.teams[0].labels == ("a",)
    assert config.sync.interval_minutes == 5


def test_unknown_key_in_inline_table_still_one_line(tmp_path: Path) -> None:
    path = tmp_path / "inline.toml"
    path.write_text('train = { name = "X", colour = "red" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"inline\.toml:1: train\.colour: unknown key; remove"):
        load(path)


def test_asking_for_an_unconfigured_source(tmp_path: Path) -> None:
    config: Config = load(REPO / "config.example.toml")
    assert config.source("github").kind == "github"
    with pytest.raises(ConfigError, match="no source named 'gitlab'; configured sources: jira"):
        config.source("gitlab")
