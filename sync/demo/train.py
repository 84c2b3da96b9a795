"""The bundled demo train: eight teams on three Jira projects and four GitHub repositories.

The story items are hand-written: 25 features, the dependencies between them (cross-team,
Jira↔GitHub both ways, one to a project outside the train, one inside a team), blocked and
stalled stories, a three-link blocking chain, PI objectives with business value, and the week
that follows the first sync. ``filler()`` adds about 530 plain stories (no links, no flags) so
the board and the reports have a real train's volume; they never change a known answer.
"""

from __future__ import annotations

from sync.demo.filler import filler, filler_week
from sync.demo.spec import Change, DepSpec, Flag, ItemSpec, TeamSpec, TrainSpec

TEAMS = (
    TeamSpec("Checkout", jira_project="SHOP", component="Web checkout"),
    TeamSpec("Mobile", jira_project="SHOP", component="Mobile app", repo="acme/mobile-sdk"),
    TeamSpec("Payments", jira_project="PAY", component="Ledger"),
    TeamSpec("Fraud", jira_project="PAY", component="Risk"),
    TeamSpec(
        "Platform",
        jira_project="PLAT",
        team_id="4f1c9a2e-6b3d-4e8f-a1c2-7d9e0b3f5a61",
        repo="acme/platform-infra",
    ),
    TeamSpec("Data", jira_project="PLAT", team_id="9b2d7e41-3c5a-4f6e-8d1b-2a7c9e4f0b38"),
    TeamSpec("Search", repo="acme/search"),
    TeamSpec("Identity", repo="acme/identity"),
)

SHOP, PAY, PLAT, SEC = "jira:SHOP", "jira:PAY", "jira:PLAT", "jira:SEC"
SEARCH, IDENTITY = "github:acme/search", "github:acme/identity"
INFRA, SDK = "github:acme/platform-infra", "github:acme/mobile-sdk"


def _feature(ref: str, home: str, team: str, title: str, **kw: object) -> ItemSpec:
    return ItemSpec(ref, home, title, team, "feature", planned_day=0.3, created_day=-12, **kw)  # type: ignore[arg-type]


FEATURES = (
    _feature("chk.f1", SHOP, "Checkout", "One-page checkout", iteration=4),
    _feature("chk.f2", SHOP, "Checkout", "Saved addresses", iteration=3, status="doing",
             started_day=29),
    _feature("chk.f3", SHOP, "Checkout", "Guest checkout", iteration=1, status="done",
             started_day=2, done_day=10),
    _feature("mob.f1", SHOP, "Mobile", "Wallet in the app", iteration=4),
    _feature("mob.f2", SDK, "Mobile", "Payment sheet component", iteration=3,
             body="Reuse the wallet tokens.\n\nBlocked by {fr.f2} until the fingerprint lands."),
    _feature("mob.f3", SHOP, "Mobile", "Offline mode", iteration=5),
    _feature("pay.f1", PAY, "Payments", "Tokenised card vault", iteration=2, status="done",
             started_day=14, done_day=25),
    _feature("pay.f2", PAY, "Payments", "Apple Pay rails", iteration=5),
    _feature("pay.f3", PAY, "Payments", "Refund automation", iteration=5),
    _feature("fr.f1", PAY, "Fraud", "Chargeback signals", iteration=3, status="doing",
             started_day=22),
    _feature("fr.f2", PAY, "Fraud", "Device fingerprinting", iteration=2, status="done",
             started_day=15, done_day=24),
    _feature("fr.f3", PAY, "Fraud", "Risk scoring v2", iteration=3),
    _feature("plt.f1", PLAT, "Platform", "GPU node pool", iteration=3, status="doing",
             started_day=27),
    _feature("plt.f2", INFRA, "Platform", "Managed Postgres", iteration=2, status="done",
             done_day=20),
    _feature("plt.f3", PLAT, "Platform", "Backup vault"),
    _feature("dat.f1", PLAT, "Data", "Event stream to the lake", iteration=2, status="doing",
             started_day=16),
    _feature("dat.f2", PLAT, "Data", "Warehouse migration", iteration=4),
    _feature("dat.f3", PLAT, "Data", "Retention policy"),
    _feature("src.f1", SEARCH, "Search", "Semantic search", iteration=4),
    _feature("src.f2", SEARCH, "Search", "Index sharding", iteration=3),
    _feature("src.f3", SEARCH, "Search", "Query rewrite", iteration=4),
    ItemSpec("src.f4", SEARCH, "Autocomplete", "Search", "feature", iteration=4, created_day=16),
    _feature("idn.f1", IDENTITY, "Identity", "Address book API", iteration=3),
    _feature("idn.f2", IDENTITY, "Identity", "SSO for partners", iteration=4),
    _feature("idn.f3", IDENTITY, "Identity", "Passkeys", iteration=2, status="done", done_day=23),
)  # fmt: skip

STORIES = (
    # a three-link chain across both trackers: checkout waits on identity, identity on platform
    ItemSpec("chk.s1", SHOP, "Validate address form against the book", "Checkout",
             iteration=3, status="doing", started_day=29),
    ItemSpec("idn.s1", IDENTITY, "Address lookup endpoint", "Identity", iteration=3,
             created_day=21, body="Needs the shared limiter.\n\nBlocked by {plt.s1}."),
    ItemSpec("plt.s1", PLAT, "Rate limiter for public APIs", "Platform", iteration=3),
    # flagged, a Blocked status, a blocked label, one that should be unblocked
    ItemSpec("pay.s1", PAY, "Settle refunds in the ledger", "Payments", iteration=3,
             status="doing", started_day=29, flag=Flag(24, "Waiting on the bank's SFTP keys")),
    ItemSpec("dat.s1", PLAT, "CDC connector for orders", "Data", iteration=3, status="blocked",
             started_day=20),
    ItemSpec("src.s1", SEARCH, "Synonym dictionary", "Search", iteration=3, labels=("blocked",)),
    ItemSpec("src.s2", SEARCH, "Reindex on schema change", "Search", iteration=3,
             labels=("blocked",)),
    ItemSpec("src.s3", SEARCH, "Schema registry client", "Search", iteration=2, status="done",
             done_day=26),
    ItemSpec("fr.s1", PAY, "Velocity rules for cards", "Fraud", iteration=3, status="doing",
             started_day=29, flag=Flag(20, "Needs a decision from security review",
                                       cleared_day=27)),
    # stalled: in progress, nothing meaningful since
    ItemSpec("mob.s1", SHOP, "Biometric unlock", "Mobile", iteration=3, status="doing",
             started_day=18),
    ItemSpec("plt.s2", PLAT, "Node autoscaler tuning", "Platform", iteration=3, status="doing",
             started_day=19),
    # carried over: planned in iteration 2, still open in iteration 3
    ItemSpec("chk.s2", SHOP, "Coupon field on the payment step", "Checkout", iteration=3,
             carried_from=2, status="doing", started_day=29),
    # no component: no team rule matches it
    ItemSpec("shop.u1", SHOP, "Update the checkout copy deck", iteration=3),
    ItemSpec("shop.u2", SHOP, "Accessibility audit follow-ups", iteration=4),
    # outside the train: the security team's project, linked but not synced
    ItemSpec("sec.1", SEC, "Penetration test sign-off for wallets", created_day=-20),
    # PI objectives (created at PI planning; no iteration: they belong to the PI they start in)
    *(
        ItemSpec(f"{short}.o1", home, f"{team}: deliver the PI's committed outcome", team,
                 "objective", created_day=0.2, business_value=8,
                 actual_business_value=actual, status="done" if actual else "todo",
                 done_day=26 if actual else None)
        for short, home, team, actual in (
            ("chk", SHOP, "Checkout", 7), ("mob", SHOP, "Mobile", None),
            ("pay", PAY, "Payments", 8), ("fr", PAY, "Fraud", None),
            ("plt", PLAT, "Platform", None), ("dat", PLAT, "Data", None),
            ("src", SEARCH, "Search", None), ("idn", IDENTITY, "Identity", None),
        )
    ),
    ItemSpec("chk.o2", SHOP, "Checkout: stretch — one-tap reorder", "Checkout", "objective",
             created_day=0.2, business_value=4, committed=False),
    ItemSpec("src.o2", SEARCH, "Search: stretch — typo tolerance", "Search", "objective",
             created_day=0.2, business_value=5, committed=False),
)  # fmt: skip

DEPENDENCIES = (
    DepSpec("pay.f2", "mob.f1"),  # blocker planned later: red
    DepSpec("idn.f1", "chk.f2"),  # same iteration (amber) until the blocker slips
    DepSpec("fr.f1", "pay.f3"),  # planned two iterations ahead: green
    DepSpec("dat.f1", "fr.f3"),  # green at planning; its sprint closed unfinished: red
    DepSpec("plt.f3", "dat.f3"),  # neither planned: amber
    DepSpec("src.f2", "src.f3"),  # inside one team: green
    DepSpec("sec.1", "pay.f2", day=9),  # outside the train, unplanned: red
    DepSpec("plt.f1", "src.f1"),  # green, resolved during the week
    DepSpec("pay.f1", "chk.f1"),  # resolved on day 25
    DepSpec("fr.f2", "mob.f2"),  # resolved on day 24 (a text reference on GitHub)
    DepSpec("plt.f2", "dat.f2"),  # resolved on day 20 (a Jira remote link to GitHub)
    DepSpec("idn.s1", "chk.s1", day=21),
    DepSpec("plt.s1", "idn.s1", day=21),
    DepSpec("src.s3", "src.s2", day=10),  # done blocker, label still on: should be unblocked
)

WEEK = (
    Change(20, "depend", "chk.f1", "fr.f3", "Checkout finds One-page checkout needs Risk scoring"),
    Change(60, "flag", "chk.s2", "Waiting for the PSP sandbox credentials",
           "Checkout flags the coupon field: a new blocker"),
    Change(100, "status", "chk.f2", "review", "Saved addresses goes to review"),
    Change(48, "status", "plt.f1", "done", "GPU node pool is done: Semantic search is unblocked"),
    Change(54, "unflag", "pay.s1", None, "The bank's SFTP keys arrive"),
    Change(60, "iteration", "chk.f1", 5, "One-page checkout slips to iteration 5"),
    Change(72, "iteration", "idn.f1", 4,
           "Address book API slips to iteration 4: the string to Saved addresses turns red"),
    Change(80, "label", "src.f2", "in-review", "Index sharding gets a review label"),
)  # fmt: skip


def bundled() -> TrainSpec:
    hand = (*FEATURES, *STORIES)
    volume = filler(TEAMS)
    return TrainSpec(
        name="Acme Payments ART",
        timezone="Europe/Berlin",
        teams=TEAMS,
        jira_projects=("SHOP", "PAY", "PLAT"),
        outside_projects=("SEC",),
        repos=("acme/search", "acme/identity", "acme/platform-infra", "acme/mobile-sdk"),
        items=(*hand, *volume),
        dependencies=DEPENDENCIES,
        week=(*WEEK, *filler_week(volume)),
    )
