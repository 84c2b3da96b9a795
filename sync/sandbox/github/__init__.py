"""The loopback fake of the GitHub REST API (``fake.FakeGitHub``) and what tests use with it."""

from sync.sandbox.github.data import EPOCH, LABELS, TOKEN, Fault, Logged, Repo, iso
from sync.sandbox.github.fake import FakeGitHub

__all__ = ["EPOCH", "LABELS", "TOKEN", "FakeGitHub", "Fault", "Logged", "Repo", "iso"]
