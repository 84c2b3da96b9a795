"""model.rules: which team owns an item, which iteration a tracker sprint is, status categories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from model.rules import (
    PRECEDENCE,
    ItemFacts,
    IterationSpan,
    iteration_for_sprint,
    resolve_team,
    status_category,
)
from sync.config import TeamConfig

# -- teams ----------------------------------------------------------------------------------

# One team per rule kind, all claiming the same Jira item, so each rule's rank shows.
BY_PROJECT = TeamConfig(name="by-project", jira_projects=("CHK",))
BY_LABEL = TeamConfig(name="by-label", labels=("Team-Web",))
BY_COMPONENT = TeamConfig(name="by-component", jira_components=("Cart",))
BY_TEAM_FIELD = TeamConfig(name="by-team-field", jira_team_ids=("36885b3c",))
BY_REPO = TeamConfig(name="by-repo", github_repos=("acme/checkout-web",))
ALL = [BY_REPO, BY_PROJECT, BY_LABEL, BY_COMPONENT, BY_TEAM_FIELD]  # file order: broad first


def jira(**facts: object) -> ItemFacts:
    values: dict[str, object] = {
        "tracker": "jira",
        "container": "CHK",
        "team_field": "36885b3c",
        "components": ("Cart",),
        "labels": ("team-web",),
    }
    values.update(facts)
    return ItemFacts(**values)  # type: ignore[arg-type]


def test_precedence_is_the_documented_order() -> None:
    assert PRECEDENCE == (
        "jira_team_ids",
        "jira_components",
        "labels",
        "jira_projects",
        "github_repos",
    )


@pytest.mark.parametrize(
    ("facts", "team"),
    [
        (jira(), "by-team-field"),
        (jira(team_field=None), "by-component"),
        (jira(team_field=None, components=()), "by-label"),
        (jira(team_field=None, components=(), labels=()), "by-project"),
        (jira(team_field=None, components=(), labels=(), container="PAY"), None),
        (jira(team_field="other-team", components=("Other",), labels=("x",)), "by-project"),
    ],
    ids=["team-field", "component", "label", "project", "unmatched", "non-matching-values"],
)
def test_team_precedence_on_a_jira_item(facts: ItemFacts, team: str | None) -> None:
    assert resolve_team(facts, ALL) == team


def test_label_beats_repo_on_a_github_item() -> None:
    item = ItemFacts(tracker="github", container="acme/checkout-web", labels=("team-web",))
    assert resolve_team(item, ALL) == "by-label"
    assert resolve_team(ItemFacts("github", "acme/checkout-web"), ALL) == "by-repo"


def test_jira_only_rules_ignore_github_items() -> None:
    item = ItemFacts(tracker="github", container="CHK", team_field="36885b3c", components=("Cart",))
    assert resolve_team(item, [BY_TEAM_FIELD, BY_COMPONENT, BY_PROJECT]) is None


def test_repo_rule_ignores_jira_items() -> None:
    assert resolve_team(ItemFacts("jira", "acme/checkout-web"), [BY_REPO]) is None


def test_config_order_decides_within_one_rule_kind() -> None:
    first = TeamConfig(name="first", labels=("shared",))
    second = TeamConfig(name="second", labels=("shared",))
    item = ItemFacts("jira", "CHK", labels=("shared",))
    assert resolve_team(item, [first, second]) == "first"
    assert resolve_team(item, [second, first]) == "second"


def test_a_specific_rule_of_a_later_team_beats_a_broad_rule_of_an_earlier_one() -> None:
    whole_project = TeamConfig(name="whole", jira_projects=("CHK",))
    split_off = TeamConfig(name="split", jira_components=("Cart",))
    item = ItemFacts("jira", "CHK", components=("Cart",))
    assert resolve_team(item, [whole_project, split_off]) == "split"


@pytest.mark.parametrize(
    "facts",
    [
        ItemFacts("jira", "PAY", labels=("TEAM-WEB",)),
        ItemFacts("github", "ACME/Checkout-Web"),
        ItemFacts("jira", "chk"),
    ],
    ids=["label", "repo", "project"],
)
def test_labels_repos_and_projects_ignore_case(facts: ItemFacts) -> None:
    assert resolve_team(facts, [BY_LABEL, BY_REPO, BY_PROJECT]) is not None


def test_components_and_team_ids_match_exactly() -> None:
    assert resolve_team(ItemFacts("jira", "X", components=("cart",)), [BY_COMPONENT]) is None
    assert resolve_team(ItemFacts("jira", "X", team_field="36885B3C"), [BY_TEAM_FIELD]) is None


def test_no_teams_means_unmapped() -> None:
    assert resolve_team(jira(), []) is None


# -- sprint → iteration ---------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
PI_START = date(2026, 10, 5)  # a Monday


def pi_iterations(start: date = PI_START, pi: str = "PI 26.4") -> list[IterationSpan]:
    """Five 14-day iterations plus IP, ids 1..6, named as the catalog names them."""
    names = [f"{pi} · I{n}" for n in range(1, 6)] + [f"{pi} · IP"]
    return [
        IterationSpan(
            id=n + 1,
            name=name,
            start=start + timedelta(days=14 * n),
            end=start + timedelta(days=14 * (n + 1)),
        )
        for n, name in enumerate(names)
    ]


ITERATIONS = pi_iterations()


def berlin(day: str, hm: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=BERLIN)


def test_sprint_matching_an_iteration_exactly() -> None:
    start, end = berlin("2026-10-05"), berlin("2026-10-16", "17:00")
    assert iteration_for_sprint("Sprint 42", start, end, ITERATIONS, BERLIN) == 1


def test_largest_overlap_wins() -> None:
    # 7 days in I1 (10-12..10-18), 8 in I2 (10-19..10-26)
    start, end = berlin("2026-10-12"), berlin("2026-10-26")
    assert iteration_for_sprint("S", start, end, ITERATIONS, BERLIN) == 2


@pytest.mark.parametrize("order", ["calendar", "reversed"])
def test_equal_overlap_goes_to_the_earlier_iteration(order: str) -> None:
    spans = ITERATIONS if order == "calendar" else list(reversed(ITERATIONS))
    start, end = berlin("2026-10-12"), berlin("2026-10-25")  # 7 days each in I1 and I2
    assert iteration_for_sprint("S", start, end, spans, BERLIN) == 1


def test_end_before_start_is_read_the_right_way_round() -> None:
    start, end = berlin("2026-11-13"), berlin("2026-11-03")
    assert iteration_for_sprint("S", start, end, ITERATIONS, BERLIN) == 3


def test_sprint_spanning_a_whole_pi_maps_to_the_first_full_overlap() -> None:
    start, end = berlin("2026-10-05"), berlin("2026-12-27", "18:00")
    assert iteration_for_sprint("Everything", start, end, ITERATIONS, BERLIN) == 1


def test_milestone_with_only_a_due_date_maps_to_the_iteration_holding_that_day() -> None:
    due = datetime(2026, 10, 20, 7, 0, tzinfo=UTC)  # GitHub due_on shape
    assert iteration_for_sprint("v1.2", None, due, ITERATIONS, BERLIN) == 2


def test_only_a_start_date() -> None:
    assert iteration_for_sprint("S", berlin("2026-12-22"), None, ITERATIONS, BERLIN) == 6


@pytest.mark.parametrize(
    ("instant", "tz", "iteration"),
    [
        # 23:30 UTC on the last day of I1 is already the first day of I2 in Berlin
        (datetime(2026, 10, 18, 23, 30, tzinfo=UTC), "Europe/Berlin", 2),
        (datetime(2026, 10, 18, 23, 30, tzinfo=UTC), "UTC", 1),
        # 03:00 UTC on the first day of I2 is still the last day of I1 in Los Angeles
        (datetime(2026, 10, 19, 3, 0, tzinfo=UTC), "America/Los_Angeles", 1),
        (datetime(2026, 10, 19, 3, 0, tzinfo=UTC), "Europe/Berlin", 2),
        # midnight local exactly belongs to the day it starts
        (berlin("2026-10-19", "00:00"), "Europe/Berlin", 2),
    ],
    ids=["berlin-ahead", "utc", "los-angeles-behind", "berlin-same", "local-midnight"],
)
def test_dates_are_local_days_in_the_train_time_zone(
    instant: datetime, tz: str, iteration: int
) -> None:
    assert iteration_for_sprint("m", None, instant, ITERATIONS, ZoneInfo(tz)) == iteration


def test_dates_outside_every_iteration_fall_back_to_the_name() -> None:
    far = berlin("2030-01-01")
    assert iteration_for_sprint("PI 26.4 · I3", far, far, ITERATIONS, BERLIN) == 3
    assert iteration_for_sprint("Sprint 99", far, far, ITERATIONS, BERLIN) is None


@pytest.mark.parametrize(
    ("name", "iteration"),
    [
        ("PI 26.4 · I2", 2),
        ("pi 26.4 i2", 2),
        ("PI 26.4 - I4", 4),
        ("Checkout PI 26.4 I5 sprint", 5),
        ("PI 26.4 IP", 6),
        ("PI 26.4 I12", None),  # whole words: not I1
        ("PI 26.41 I1", None),  # not PI 26.4
        ("Sprint 7", None),
        ("", None),
        ("· · ·", None),
    ],
)
def test_sprint_without_dates_maps_by_name(name: str, iteration: int | None) -> None:
    assert iteration_for_sprint(name, None, None, ITERATIONS, BERLIN) == iteration


def test_name_match_prefers_exact_then_longest() -> None:
    hardening = IterationSpan(
        id=11, name="PI 26.4 · I1 · Hardening", start=date(2027, 1, 4), end=date(2027, 1, 18)
    )
    two_pis = [*pi_iterations(), hardening]
    assert iteration_for_sprint("PI 26.4 · I1 · Hardening", None, None, two_pis, BERLIN) == 11
    assert iteration_for_sprint("PI 26.4 · I1", None, None, two_pis, BERLIN) == 1
    assert iteration_for_sprint("CHK PI 26.4 I1 Hardening 2", None, None, two_pis, BERLIN) == 11


def test_no_iterations() -> None:
    assert iteration_for_sprint("PI 26.4 · I1", berlin("2026-10-05"), None, [], BERLIN) is None


# -- status categories ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "tracker_category", "category"),
    [
        ("Open", "new", "todo"),
        ("In Progress", "indeterminate", "in_progress"),
        ("Done", "done", "done"),
        ("Done", "indeterminate", "in_progress"),  # the tracker's category wins over the name
        ("Whatever", "DONE", "done"),
        ("Whatever", "in_progress", "in_progress"),  # already normalised
        ("Closed", "undefined", "done"),  # Jira "No Category": the name decides
    ],
)
def test_tracker_category_wins(status: str, tracker_category: str, category: str) -> None:
    assert status_category(status, tracker_category) == category


@pytest.mark.parametrize(
    ("status", "category"),
    [
        ("To Do", "todo"),
        ("open", "todo"),  # GitHub state
        ("Backlog", "todo"),
        ("Selected for Development", "todo"),
        ("", "todo"),
        ("closed", "done"),  # GitHub state
        ("  Done ", "done"),
        ("Resolved", "done"),
        ("Won't Do", "done"),
        ("Won\u2019t Do", "done"),
        ("Cancelled", "done"),
        ("In Review", "in_progress"),
        ("Blocked", "in_progress"),
        ("QA", "in_progress"),
    ],
)
def test_status_names_without_a_tracker_category(status: str, category: str) -> None:
    assert status_category(status) == category
