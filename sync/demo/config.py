"""The demo's ``trainyard.toml``: an ordinary config pointing at the sandbox.

It is written into the demo directory so the user can go on with the usual commands
(``trainyard report board --config DIR/trainyard.toml``). The sandbox's credentials live in
environment variables the config names, as a real install's would; the demo sets them itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sync.demo.spec import TeamSpec, TrainSpec
from sync.demo.world import GITHUB_TOKEN, ITERATION_DAYS, ITERATIONS, JIRA_EMAIL, JIRA_TOKEN

ENV = {
    "TRAINYARD_DEMO_JIRA_USER": JIRA_EMAIL,
    "TRAINYARD_DEMO_JIRA_TOKEN": JIRA_TOKEN,
    "TRAINYARD_DEMO_GITHUB_TOKEN": GITHUB_TOKEN,
}
RTE = "rte@acme.example"


@dataclass(frozen=True)
class Endpoints:
    jira: str
    github: str
    smtp_host: str = "localhost"
    smtp_port: int = 25
    http_port: int = 0


def pi_name(start: date) -> str:
    return f"PI {start:%y}.{(start.month - 1) // 3 + 1}"


def write_config(directory: Path, spec: TrainSpec, start: date, at: Endpoints) -> Path:
    path = directory / "trainyard.toml"
    path.write_text(render(directory, spec, start, at), encoding="utf-8")
    return path


def render(directory: Path, spec: TrainSpec, start: date, at: Endpoints) -> str:
    q = json.dumps  # a TOML basic string is a JSON string
    teams = "\n".join(_team(team) for team in spec.teams)
    db = q(f"sqlite:///{(directory / 'trainyard.db').resolve()}")
    return f"""# Written by `trainyard demo`: the bundled train on the loopback sandbox.
[database]
url = {db}

[train]
name = {q(spec.name)}
timezone = {q(spec.timezone)}

{teams}
[[calendar.pis]]
name = {q(pi_name(start))}
start = {start.isoformat()}
iterations = {ITERATIONS}
iteration_days = {ITERATION_DAYS}
ip_iteration = true

[[sources]]
name = "jira"
kind = "jira"
url = {q(at.jira)}
user_env = "TRAINYARD_DEMO_JIRA_USER"
token_env = "TRAINYARD_DEMO_JIRA_TOKEN"
projects = {q(list(spec.jira_projects))}
blocks_link_types = ["Blocks"]
objective_issue_type = "PI Objective"
business_value_field = "Business Value"
actual_business_value_field = "Actual Business Value"
uncommitted_label = "uncommitted"

[[sources]]
name = "github"
kind = "github"
base_url = {q(at.github)}
token_env = "TRAINYARD_DEMO_GITHUB_TOKEN"
repos = {q(list(spec.repos))}
text_references = true
history_per_sync = 5000
objective_label = "pi-objective"

[blocked]
flagged = true
statuses = ["Blocked"]
labels = ["blocked"]

[sync]
interval_minutes = 60

[reports]
out_dir = {q(str((directory / "reports").resolve()))}

[digest]
to = [{q(RTE)}]
send_when_quiet = true

[smtp]
host = {q(at.smtp_host)}
port = {at.smtp_port}
security = "none"
from = "trainyard-demo@acme.example"

[service]
http_port = {at.http_port}

[schedule]
digest_cron = ""
"""


def _team(team: TeamSpec) -> str:
    q = json.dumps
    lines = ["[[train.teams]]", f"name = {q(team.name)}"]
    if team.team_id:
        lines.append(f"jira_team_ids = [{q(team.team_id)}]")
    if team.component:
        lines.append(f"jira_components = [{q(team.component)}]")
    if team.repo:
        lines.append(f"github_repos = [{q(team.repo)}]")
    return "\n".join(lines) + "\n"
