"""PI objectives in tracker data: which items are objectives, their business values, committed.

Pure functions shared by the connectors (no HTTP, nothing of our database):

* **GitHub** (labels only: issue fields are not a documented API; ``api-facts.md``): an issue
  carrying ``objective_label`` is an objective; ``bv:8`` is its planned business value,
  ``bv-actual:7`` the actual one (the prefixes are configurable; the last such label wins), and
  ``uncommitted_label`` marks it uncommitted. Values are whole or decimal numbers.
* **Jira**: an issue of type ``objective_issue_type`` or labelled ``objective_label`` is an
  objective; planned and actual business value are custom fields found by name (a number field,
  a text field holding a number, or a select whose option is a number); committed is a custom
  field (checkbox, select, yes/no) when ``committed_field`` names one, else "not labelled
  ``uncommitted_label``".

Values are passed on as the tracker states them (a 12 stays 12); the reports check the 1-10
range and say which items are off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

YES = frozenset({"yes", "true", "committed", "y", "1"})
NO = frozenset({"no", "false", "uncommitted", "n", "0", ""})


@dataclass(frozen=True, slots=True)
class ObjectiveFacts:
    objective: bool = False
    business_value: float | None = None
    actual_business_value: float | None = None
    committed: bool = True


NOT_AN_OBJECTIVE = ObjectiveFacts()


def number(value: Any) -> float | None:
    """A business value from a field: 8, 8.0, "8", {"value": "8"} (a select option), else None."""
    if isinstance(value, Mapping):
        value = value.get("value", value.get("name"))
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def yes_no(value: Any) -> bool | None:
    """A committed flag from a field: a checkbox (list of options), select, boolean or text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return any(yes_no(v) for v in value) if value else False
    if isinstance(value, Mapping):
        value = value.get("value", value.get("name"))
    if value is None:
        return None
    text = str(value).strip().casefold()
    if text in YES:
        return True
    return False if text in NO else None


def _folded(labels: Iterable[str]) -> list[str]:
    return [label.strip().casefold() for label in labels]


def _labelled_value(labels: list[str], prefix: str) -> float | None:
    found = [number(label[len(prefix) :]) for label in labels if label.startswith(prefix)]
    values = [v for v in found if v is not None]
    return values[-1] if values else None


def from_labels(
    labels: Iterable[str],
    *,
    objective_label: str | None,
    planned_prefix: str = "bv:",
    actual_prefix: str = "bv-actual:",
    uncommitted_label: str = "uncommitted",
) -> ObjectiveFacts:
    """GitHub's convention (see the module docstring)."""
    folded = _folded(labels)
    if not objective_label or objective_label.casefold() not in folded:
        return NOT_AN_OBJECTIVE
    return ObjectiveFacts(
        objective=True,
        business_value=_labelled_value(folded, planned_prefix.casefold()),
        actual_business_value=_labelled_value(folded, actual_prefix.casefold()),
        committed=uncommitted_label.casefold() not in folded,
    )


def from_jira(
    issue_type: str,
    labels: Iterable[str],
    *,
    objective_issue_type: str | None,
    objective_label: str | None,
    planned: Any,
    actual: Any,
    committed: Any,
    has_committed_field: bool,
    uncommitted_label: str = "uncommitted",
) -> ObjectiveFacts:
    """Jira's rules (see the module docstring); ``planned``/``actual``/``committed`` are the raw
    values of the discovered custom fields (None when the site has no such field)."""
    folded = _folded(labels)
    by_type = (
        bool(objective_issue_type) and issue_type.casefold() == str(objective_issue_type).casefold()
    )
    by_label = bool(objective_label) and str(objective_label).casefold() in folded
    if not (by_type or by_label):
        return NOT_AN_OBJECTIVE
    flag = yes_no(committed) if has_committed_field else None
    return ObjectiveFacts(
        objective=True,
        business_value=number(planned),
        actual_business_value=number(actual),
        committed=flag if flag is not None else uncommitted_label.casefold() not in folded,
    )
