"""The deployment files say what the README promises (docker cannot run on the test machines, so
the Dockerfile is checked as text; the unit file's keys are parsed)."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_systemd_unit_restarts_on_failure_and_reads_secrets_from_its_env_file() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "trainyard.service")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/trainyard/trainyard.env"
    assert shlex.split(service["ExecStart"])[1:3] == ["serve", "--config"]
    assert service["RestartPreventExitStatus"] == "2"  # a config error is not retried
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_env_example_holds_only_assignments() -> None:
    lines = (ROOT / "deploy" / "trainyard.env.example").read_text().splitlines()
    assignments = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    assert assignments
    assert all("=" in ln and not ln.startswith("export ") for ln in assignments)


def test_the_dockerfile_installs_the_package_and_runs_serve() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "RUN pip install '.[postgres]'" in text
    assert 'ENTRYPOINT ["trainyard", "serve"' in text
    assert "/healthz" in text
    for package in ("connectors", "model", "reports", "sync"):
        assert f"COPY {package} ./{package}" in text
