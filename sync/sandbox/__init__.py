"""The sandbox: loopback fakes of Jira Cloud/Data Center and GitHub that answer like the real
APIs, from seeded data or a hand-written train (the explicit-data API). The end-to-end tests and
``trainyard demo`` serve the same fakes. Standard library only: nothing of trainyard's own.
"""

from sync.sandbox.github import TOKEN as GITHUB_TOKEN
from sync.sandbox.github import FakeGitHub
from sync.sandbox.jira import IN_SCOPE, PROJECTS, FakeJira, ProjectSpec, ms

__all__ = ["GITHUB_TOKEN", "IN_SCOPE", "PROJECTS", "FakeGitHub", "FakeJira", "ProjectSpec", "ms"]
