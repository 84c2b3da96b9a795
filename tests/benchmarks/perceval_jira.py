"""Perceval's Jira backend over the fake (run by ``bench_jira.py`` with Perceval's own Python).

    /tmp/perceval-venv/bin/python tests/benchmarks/perceval_jira.py URL TOKEN CHK,PAY,...

Perceval is not a project dependency: it lives in a separate venv (``pip install perceval``).
It reads Data Center only (``/rest/api/2/search`` with ``startAt``), one project per fetch, as
its ``perceval jira URL --project KEY`` command does, plus one comments request per issue.
Prints one JSON line: seconds, issues, peak RSS of this process.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from perceval.backends.core.jira import Jira  # type: ignore[import-not-found]

from tests.benchmarks.memory import peak_rss_mb


def main() -> None:
    url, token, projects = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    started = time.perf_counter()
    issues = 0
    for project in projects:
        for _ in Jira(url, project=project, api_token=token).fetch():
            issues += 1
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "items": issues, "rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
