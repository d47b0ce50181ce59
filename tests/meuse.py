"""A small Meuse scenario for the sharing tests (issue 6), written as files: DE-NW
(longitude 6..7) and NL-LI (5..6) are partners through the agreement DE -> NL; BE-WLG
(4..5) is a stranger to both. One boat resource each in DE-NW and NL-LI.

Used by tests/store/test_sharing_store.py, tests/store/test_workflow.py,
tests/app/test_sharing_access.py, tests/app/test_audit_page.py and
tests/e2e/test_audit_leak.py (tests/ is on ``sys.path`` through its conftest.py).
The GeoJSON builders are those of tests/builders.py.
"""

from __future__ import annotations

from pathlib import Path

from builders import agreements_csv, point, square, write_scenario

Feature = tuple[dict, dict]  # (geometry, properties)


def incident(x: float, id_: str, *, severity: int = 3, boats: int = 1, **extra) -> Feature:
    """A flood at longitude *x* needing *boats* boats; *extra* properties as given."""
    return point(x), {
        "id": id_,
        "hazard": "flood",
        "severity": severity,
        "reported_at": "2021-07-14T17:30:00Z",
        "needs": {"boat": boats},
        **extra,
    }


def resource(x: float, id_: str, *, quantity: int, **extra) -> Feature:
    """Boats at longitude *x*; *extra* properties (``sharing``) as given."""
    return point(x), {"id": id_, "type": "boat", "quantity": quantity, **extra}


#: The default resources: one boat resource each in DE-NW and NL-LI, shared with all.
RESOURCES: tuple[Feature, ...] = (
    resource(6.4, "R-DE-1", quantity=3),
    resource(5.4, "R-NL-1", quantity=2),
)

#: Issue 16 (the audit leak): the ids :func:`write_secrets` shares with nobody or with
#: partners only; BE-WLG, a stranger to both owners, must never read any of them.
SECRET_IDS: tuple[str, ...] = ("I-DE-OWN", "I-NL-OWN", "I-NL-PART", "R-DE-PART", "R-NL-OWN")


def write_secrets(folder: Path) -> Path:
    """The Meuse scenario with owner-only and partners-only incidents and resources in
    DE-NW and NL-LI (:data:`SECRET_IDS`), and a public incident in BE-WLG."""
    return write_meuse(
        folder,
        incident(6.5, "I-DE-OWN", sharing="owner"),
        incident(5.5, "I-NL-OWN", boats=2, sharing="owner", severity=5),
        incident(5.6, "I-NL-PART", sharing="partners"),
        incident(4.5, "I-BE-1"),
        resources=(
            resource(6.4, "R-DE-PART", quantity=3, sharing="partners"),
            resource(5.4, "R-NL-OWN", quantity=2, sharing="owner"),
        ),
    )


def write_meuse(
    folder: Path, *incidents: Feature, resources: tuple[Feature, ...] = RESOURCES
) -> Path:
    """The scenario's four files in *folder* (created), with *incidents* (and
    *resources*, default :data:`RESOURCES`)."""
    return write_scenario(
        folder,
        jurisdictions=[
            (square(6), {"id": "DE-NW", "country": "DE"}),
            (square(5), {"id": "NL-LI", "country": "NL"}),
            (square(4), {"id": "BE-WLG", "country": "BE"}),
        ],
        incidents=incidents,
        resources=resources,
        agreements=agreements_csv("DE,NL,*,20"),
    )


#: The coordinators of :func:`store_secrets`: two owners and a stranger to both.
COORDINATORS: dict[str, str] = {"dora": "DE-NW", "nina": "NL-LI", "bea": "BE-WLG"}


def store_secrets(
    store,
    folder: Path,
    *,
    password: str | None = None,
) -> dict[str, tuple[int, ...]]:
    """:func:`write_secrets` stored as scenario "meuse" with the :data:`COORDINATORS`'
    accounts (with *password*); dora and nina each request their jurisdiction's needs
    and compute the offers. Returns each requester's offer ids (``{"dora": (...),
    "nina": (...)}``), all proposed."""
    from mutualaid.access.actor import Actor, system_actor
    from mutualaid.scenario.loading import load_scenario
    from mutualaid.store import workflow
    from mutualaid.store.accounts import add_account
    from mutualaid.store.layer_store import save_scenario

    result = load_scenario(write_secrets(folder))
    assert result.ok, [r.lines() for r in result.reports]
    admin = system_actor("test")
    save_scenario(store, result.scenario, name="meuse", sources={}, actor=admin)
    made = {}
    for username, jurisdiction in COORDINATORS.items():
        add_account(
            store,
            username=username,
            role="coordinator",
            jurisdiction=jurisdiction,
            password=password,
            actor=admin,
        )
    for username in ("dora", "nina"):
        person = Actor(username, "coordinator", COORDINATORS[username])
        workflow.create_request(store, "meuse", actor=person)
        made[username] = workflow.plan_offers(store, "meuse", actor=person).offer_ids
    return made
