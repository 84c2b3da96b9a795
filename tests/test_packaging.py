"""trainyard installs as one distribution whose four flat packages come from this repository.

Flat top-level names (``sync``, ``model``) are easy to shadow with a stray directory or another
distribution; these tests prove the ones imported are ours, and that the console script and the
connector entry points are installed.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import distribution, entry_points, requires
from pathlib import Path

import pytest

from sync.registry import GROUP, installed

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("connectors", "sync", "model", "reports")
VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize("name", PACKAGES)
def test_package_is_imported_from_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve() == REPO / name / "__init__.py"


def test_packages_resolve_here_from_anywhere(tmp_path: Path) -> None:
    """An isolated interpreter (no cwd, no PYTHONPATH) started elsewhere still finds ours."""
    code = "import connectors, sync, model, reports as r; print(*(m.__file__ for m in " + (
        "(connectors, sync, model, r)), sep='\\n')"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = [Path(line).resolve() for line in done.stdout.splitlines()]
    assert found == [REPO / name / "__init__.py" for name in PACKAGES]


def test_a_stray_package_in_the_working_directory_does_not_shadow_the_script(
    tmp_path: Path,
) -> None:
    for name in PACKAGES:
        stray = tmp_path / name
        stray.mkdir()
        (stray / "__init__.py").write_text(f"raise ImportError('stray {name} imported')\n")
    done = subprocess.run(
        [str(VENV_BIN / "trainyard"), "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("trainyard ")


def test_console_script_is_installed() -> None:
    (script,) = entry_points(group="console_scripts", name="trainyard")
    assert script.value == "sync.cli:main"
    assert (VENV_BIN / "trainyard").is_file()
    from sync.cli import main

    assert script.load() is main


def test_connector_entry_points_are_installed() -> None:
    found = {ep.name: ep.value for ep in entry_points(group=GROUP)}
    assert found["jira"] == "connectors.jira:JiraConnector"
    assert found["github"] == "connectors.github:GitHubConnector"
    classes = installed()
    assert classes["jira"].kind == "jira"
    assert classes["github"].kind == "github"


def test_distribution_metadata() -> None:
    dist = distribution("trainyard")
    assert dist.metadata["Requires-Python"] == ">=3.11"
    names = {req.split(";")[0].strip() for req in requires("trainyard") or []}
    for needed in (
        "requests>=2.31",
        "jira>=3.10.5",
        "PyGithub>=2.10",
        "apscheduler<4,>=3.11",
        "sqlalchemy>=2.0",
        "jinja2>=3.1",
        "rich>=13",
    ):
        assert needed in names, (needed, names)
    assert any(n.startswith("alembic") for n in names)
    assert any(n.startswith("psycopg[binary]") for n in names)  # the postgres extra
