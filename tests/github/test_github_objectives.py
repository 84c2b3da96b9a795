"""PI objectives from GitHub labels (``objective_label``, ``bv:N``, ``bv-actual:N``,
``uncommitted``), read by the real connector from ``responses``-mocked REST payloads."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
import responses

from connectors.base import WorkItem
from tests.github.test_connector import TOKEN, fixture, make, register_web, request, run


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


def labelled(names: list[str]) -> list[dict[str, object]]:
    page = copy.deepcopy(fixture("issues_page_web_with_pr.json"))
    for raw in page:
        if raw["number"] == 10:
            raw["labels"] = [
                {"id": 900 + n, "name": name, "color": "ededed", "default": False}
                for n, name in enumerate(names)
            ]
    return page


def epic(rsps: responses.RequestsMock, names: list[str], **settings: object) -> WorkItem:
    register_web(rsps, labelled(names))
    pages = run(make(**settings), request())
    return next(i for p in pages for i in p.items if i.key == "acme/web#10")


def test_labels_make_a_committed_objective_with_values(rsps: responses.RequestsMock) -> None:
    item = epic(rsps, ["PI-Objective", "bv:8", "bv-actual:7"], objective_label="pi-objective")
    assert (item.objective, item.business_value, item.actual_business_value, item.committed) == (
        True, 8.0, 7.0, True,
    )  # fmt: skip


def test_uncommitted_and_custom_prefixes(rsps: responses.RequestsMock) -> None:
    item = epic(
        rsps,
        ["objective", "value=5", "not-committed"],
        objective_label="objective",
        business_value_prefix="value=",
        uncommitted_label="not-committed",
    )
    assert (item.objective, item.business_value, item.committed) == (True, 5.0, False)


def test_without_the_setting_no_item_is_an_objective(rsps: responses.RequestsMock) -> None:
    item = epic(rsps, ["pi-objective", "bv:8"])
    assert (item.objective, item.business_value) == (False, None)
