"""A regular (non-editable) install of trainyard carries every package and entry point.

The editable install the tests run from finds modules in this checkout whatever
``[tool.setuptools] packages`` says, so a package left out of that list (``connectors.jira``
after it became a package) would only break for users. This builds the wheel from a copy of
the sources, installs it into a plain directory and imports from there alone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("connectors", "sync", "model", "reports")

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
# the editable install's finder would fill in whatever the wheel lacks: take it away
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")]
sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in getattr(h, "__module__", "")]
from importlib.metadata import distributions
(dist,) = [d for d in distributions(path=[sys.argv[1]]) if d.metadata["Name"] == "trainyard"]
found = {}
for ep in dist.entry_points:
    obj = ep.load()
    found[ep.group + ":" + ep.name] = [obj.__module__, sys.modules[obj.__module__].__file__]
import connectors.jira.census, connectors.github.walk, model.migrations.versions, sync.commands
import reports
from importlib.resources import files
found["files"] = [connectors.jira.census.__file__, model.migrations.versions.__file__,
    sync.commands.__file__, str(files("model") / "migrations" / "script.py.mako")]
assert any(files("reports").joinpath("templates").iterdir())
import sync.sandbox, sync.sandbox.jira, sync.sandbox.github  # trainyard demo serves these
found["sandbox"] = [sync.sandbox.__file__, sync.sandbox.jira.api.__file__,
    sync.sandbox.github.routes.__file__]
import reports.board  # the board renders from these three, inlined into one file
for name in ("board.html.j2", "board.css", "board.js"):
    assert files("reports").joinpath("templates", name).is_file(), name
print(json.dumps(found))
"""

DEMO = """
import sys
sys.path.insert(0, sys.argv[1])
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")]
sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in getattr(h, "__module__", "")]
from sync.cli import main
code = main(["demo", "--out", sys.argv[2]])
import sync.demo.train, sync.sandbox.jira.api
assert sync.demo.train.__file__.startswith(sys.argv[1]), sync.demo.train.__file__
assert sync.sandbox.jira.api.__file__.startswith(sys.argv[1]), sync.sandbox.jira.api.__file__
sys.exit(code)
"""



@pytest.mark.slow
def test_wheel_installs_every_package_and_entry_point(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PACKAGES:
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("trainyard-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout)
    assert found["trainyard.connectors:jira"][0] == "connectors.jira.connector"
    assert found["trainyard.connectors:github"][0] == "connectors.github.connector"
    assert found["console_scripts:trainyard"][0] == "sync.cli"
    for module, path in [v for k, v in found.items() if k not in ("files", "sandbox")]:
        assert Path(path).is_relative_to(target), (module, path)
    assert len(found["sandbox"]) == 3
    for path in [*found["files"], *found["sandbox"]]:
        assert Path(path).is_relative_to(target), path
        assert Path(path).is_file(), path
    # a pip-installed trainyard runs the demo from its own files (the sandbox ships inside)
    out = tmp_path / "demo"
    subprocess.run(
        [sys.executable, "-I", "-c", DEMO, str(target), str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    assert (out / "reports" / "board.html").is_file()
    assert len(list(out.glob("digest-*.eml"))) == 2
