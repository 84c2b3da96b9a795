"""The loopback fake of Jira Cloud and Data Center (``fake.FakeJira``) and what tests use."""

from sync.sandbox.jira.data import (
    IN_SCOPE,
    LINK_TYPES,
    PROJECTS,
    STATUSES,
    TYPES,
    Fault,
    FIssue,
    Hist,
    LinkRec,
    Logged,
    ProjectSpec,
)
from sync.sandbox.jira.fake import FakeJira, at_local, main, minutes, ms, running
from sync.sandbox.jira.jql import JqlError, parse_jql

__all__ = [
    "IN_SCOPE",
    "LINK_TYPES",
    "PROJECTS",
    "STATUSES",
    "TYPES",
    "FIssue",
    "FakeJira",
    "Fault",
    "Hist",
    "JqlError",
    "LinkRec",
    "Logged",
    "ProjectSpec",
    "at_local",
    "main",
    "minutes",
    "ms",
    "parse_jql",
    "running",
]
