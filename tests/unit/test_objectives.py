"""The PI objective conventions of ``connectors.objectives``, value by value."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.objectives import (
    NOT_AN_OBJECTIVE,
    ObjectiveFacts,
    from_jira,
    from_labels,
    number,
    yes_no,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(8, 8.0), (7.5, 7.5), ("8", 8.0), (" 3 ", 3.0), ({"value": "5"}, 5.0), ({"name": "2"}, 2.0),
     (None, None), (True, None), ("high", None), ({"value": None}, None)],
)  # fmt: skip
def test_number(value: Any, expected: float | None) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ([{"value": "Committed"}], True), ([], False),
     ({"value": "Yes"}, True), ({"value": "No"}, False), ("uncommitted", False), (None, None),
     ("maybe", None)],
)  # fmt: skip
def test_yes_no(value: Any, expected: bool | None) -> None:
    assert yes_no(value) is expected


def test_github_labels() -> None:
    labels = ("PI-Objective", "bv:8", "bv-actual:6", "team-a")
    assert from_labels(labels, objective_label="pi-objective") == ObjectiveFacts(
        True, 8.0, 6.0, True
    )
    assert from_labels(("pi-objective", "bv:3", "Uncommitted"), objective_label="pi-objective") == (
        ObjectiveFacts(True, 3.0, None, False)
    )
    assert from_labels(("bv:8",), objective_label="pi-objective") == NOT_AN_OBJECTIVE
    assert from_labels(("pi-objective",), objective_label=None) == NOT_AN_OBJECTIVE
    custom = from_labels(
        ("obj", "value=4", "value=5"), objective_label="obj", planned_prefix="value="
    )
    assert custom.business_value == 5.0  # the last label wins


def jira(
    issue_type: str = "PI Objective", labels: tuple[str, ...] = (), **kw: Any
) -> ObjectiveFacts:
    args: dict[str, Any] = {
        "objective_issue_type": "PI Objective",
        "objective_label": None,
        "planned": 8,
        "actual": None,
        "committed": None,
        "has_committed_field": False,
    }
    args.update(kw)
    return from_jira(issue_type, labels, **args)


def test_jira_by_type_label_and_committed_field() -> None:
    assert jira() == ObjectiveFacts(True, 8.0, None, True)
    assert jira("Story") == NOT_AN_OBJECTIVE
    assert jira("Story", ("objective",), objective_label="Objective", actual="7") == ObjectiveFacts(
        True, 8.0, 7.0, True
    )
    assert jira(labels=("uncommitted",)).committed is False
    assert jira(committed=[], has_committed_field=True).committed is False
    assert jira(
        committed={"value": "Yes"}, has_committed_field=True, labels=("uncommitted",)
    ).committed
    assert jira(committed=None, has_committed_field=True).committed is True  # unset: the label rule
