"""From an identity provider's verified claims to an account: the claim rules
(:func:`identity_from_claims`), the configuration (:class:`ClaimMapping`) and the
account's creation, update and refusal in a real SQLite store
(:func:`mutualaid.store.oidc_accounts.sign_in_account`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mutualaid.access.actor import Actor, system_actor
from mutualaid.access.oidc import (
    OIDC_ACTOR,
    SUBJECT_MAX_LENGTH,
    ClaimMapping,
    ClaimsRefused,
    OidcConfigError,
    identity_from_claims,
)
from mutualaid.store import audit, open_store
from mutualaid.store.accounts import (
    add_account,
    disable_account,
    get_account,
    list_accounts,
)
from mutualaid.store.migrate import upgrade
from mutualaid.store.oidc_accounts import sign_in_account

GOOD = {
    "sub": "alice",
    "role": "coordinator",
    "jurisdiction": "BE-WLG",
    "name": "Alice",
    "email": "alice@example.org",
    "iss": "http://127.0.0.1:9400",
    "is_logged_in": True,
}


def claims(**changes: object) -> dict:
    """GOOD with *changes*; a value of ... removes the claim."""
    out = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# --- claims -> identity -------------------------------------------------------------


def test_good_claims_give_the_username_role_jurisdiction_and_name():
    identity = identity_from_claims(claims())
    assert (
        identity.username,
        identity.role,
        identity.jurisdiction,
        identity.display_name,
        identity.subject,
    ) == ("oidc:alice", "coordinator", "BE-WLG", "Alice", "alice")
    assert identity.actor == Actor("oidc:alice", "coordinator", "BE-WLG", "Alice")
    assert identity.actor.label == "Alice (BE-WLG coordinator)"


def test_values_are_trimmed_and_a_missing_name_falls_back_to_the_username():
    identity = identity_from_claims(claims(name=..., jurisdiction="  DE-NW "))
    assert identity.jurisdiction == "DE-NW"
    assert identity.display_name == "oidc:alice"


@pytest.mark.parametrize("sub", [..., None, ""])
def test_a_missing_sub_is_refused(sub):
    with pytest.raises(ClaimsRefused, match="did not say who you are"):
        identity_from_claims(claims(sub=sub))


@pytest.mark.parametrize(
    "sub, message",
    [
        (12345, "'sub' claim must be text, got int"),
        ("has space", "visible ASCII"),
        ("naïve", "visible ASCII"),
        ("x" * (SUBJECT_MAX_LENGTH + 1), f"at most {SUBJECT_MAX_LENGTH}"),
    ],
)
def test_a_sub_that_cannot_be_a_username_is_refused(sub, message):
    with pytest.raises(ClaimsRefused, match=message):
        identity_from_claims(claims(sub=sub))


def test_the_longest_sub_fits_the_username_column():
    sub = ("a|" * SUBJECT_MAX_LENGTH)[:SUBJECT_MAX_LENGTH]  # '|' as in Auth0's subjects
    identity = identity_from_claims(claims(sub=sub))
    assert identity.username == "oidc:" + sub and len(identity.username) == 200


def test_an_unknown_role_is_refused_with_the_roles_the_app_knows():
    with pytest.raises(ClaimsRefused) as caught:
        identity_from_claims(claims(role="superuser"))
    assert str(caught.value) == (
        "the identity provider gives you the role 'superuser', which this app does not "
        "know; expected one of viewer, planner, coordinator, admin. Nobody is signed in: "
        "ask the provider's administrator"
    )


@pytest.mark.parametrize("role", [..., "", "  "])
def test_a_missing_role_is_refused(role):
    with pytest.raises(ClaimsRefused, match="did not give you a role \\(claim 'role'\\)"):
        identity_from_claims(claims(role=role))


@pytest.mark.parametrize("role", ["viewer", "planner", "coordinator"])
def test_a_role_acting_for_a_jurisdiction_needs_one(role):
    with pytest.raises(ClaimsRefused, match=f"makes you a {role} but names no jurisdiction"):
        identity_from_claims(claims(role=role, jurisdiction=...))


def test_an_admin_may_have_no_jurisdiction():
    identity = identity_from_claims(claims(role="admin", jurisdiction=...))
    assert (identity.role, identity.jurisdiction) == ("admin", None)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("role", ["coordinator"], "role claim 'role' must be text, got list"),
        ("role", {"name": "admin"}, "role claim 'role' must be text, got dict"),
        ("jurisdiction", 42, "jurisdiction claim 'jurisdiction' must be text, got int"),
        ("jurisdiction", True, "must be text, got bool"),
        ("jurisdiction", "J" * 201, "has 201 characters; at most 200"),
        ("jurisdiction", "BE\nWLG", "contains control characters"),
    ],
)
def test_non_text_overlong_or_control_claims_are_refused(key, value, message):
    with pytest.raises(ClaimsRefused, match=message):
        identity_from_claims(claims(**{key: value}))


@pytest.mark.parametrize("name", [["Alice"], "A" * 201, "Ali\x00ce"])
def test_a_name_the_store_cannot_keep_falls_back_to_the_username(name):
    assert identity_from_claims(claims(name=name)).display_name == "oidc:alice"


def test_claim_names_are_configurable():
    mapping = ClaimMapping(
        role_claim="app_role", jurisdiction_claim="region", name_claim="preferred_username"
    )
    identity = identity_from_claims(
        {
            "sub": "s-1",
            "app_role": "planner",
            "region": "NL-LI",
            "preferred_username": "pim",
            "role": "admin",
        },
        mapping=mapping,
    )
    assert (identity.role, identity.jurisdiction, identity.display_name) == (
        "planner",
        "NL-LI",
        "pim",
    )


def test_a_role_table_translates_the_providers_values_and_accepts_only_those():
    mapping = ClaimMapping(roles={"eoc-duty-officer": "coordinator", "it-ops": "admin"})
    assert (
        identity_from_claims(claims(role="eoc-duty-officer"), mapping=mapping).role == "coordinator"
    )
    with pytest.raises(ClaimsRefused, match="expected one of eoc-duty-officer, it-ops"):
        identity_from_claims(claims(role="coordinator"), mapping=mapping)


def test_the_email_can_be_the_username():
    mapping = ClaimMapping(username_claim="email")
    assert identity_from_claims(claims(), mapping=mapping).username == "alice@example.org"
    with pytest.raises(ClaimsRefused, match="has not verified the e-mail address"):
        identity_from_claims(claims(email_verified=False), mapping=mapping)
    with pytest.raises(ClaimsRefused, match="did not send your e-mail address"):
        identity_from_claims(claims(email=...), mapping=mapping)
    with pytest.raises(ClaimsRefused, match="cannot be a username here"):
        identity_from_claims(claims(email="alice smith@example.org"), mapping=mapping)


def test_claims_that_are_not_a_mapping_are_refused():
    with pytest.raises(ClaimsRefused, match="sent no claims"):
        identity_from_claims(["sub", "alice"])  # type: ignore[arg-type]


# --- configuration --------------------------------------------------------------------


def test_no_configuration_means_the_defaults():
    assert ClaimMapping.from_config(None) == ClaimMapping()
    assert ClaimMapping.from_config({}) == ClaimMapping()


def test_a_configuration_section_is_read():
    mapping = ClaimMapping.from_config(
        {"role_claim": "r", "username_claim": "email", "roles": {"Duty": "coordinator"}}
    )
    assert (mapping.role_claim, mapping.username_claim, dict(mapping.roles)) == (
        "r",
        "email",
        {"Duty": "coordinator"},
    )


@pytest.mark.parametrize(
    "section, message",
    [
        ({"role_claims": "r"}, "unknown keys role_claims"),
        ({"username_claim": "preferred_username"}, 'must be "sub" or "email"'),
        ({"role_claim": ""}, "role_claim must be a claim name"),
        ({"jurisdiction_claim": 3}, "jurisdiction_claim must be a claim name"),
        ({"roles": {"Duty": "superuser"}}, "'Duty' = 'superuser' is not valid"),
        ({"roles": ["admin"]}, "roles must be a table"),
    ],
)
def test_a_bad_configuration_is_refused(section, message):
    with pytest.raises(OidcConfigError, match=message):
        ClaimMapping.from_config(section)


# --- identity -> account in a real store ---------------------------------------------


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(opened)
    yield opened
    opened.dispose()


def account_entries(store, action):
    with store.reading() as connection:
        return list(audit.entries(connection, actions=[action]))


def test_the_first_sign_in_creates_the_account_without_a_password(store):
    when = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    actor = sign_in_account(store, identity_from_claims(claims()), now=when)
    assert actor == Actor("oidc:alice", "coordinator", "BE-WLG", "Alice")
    account = get_account(store, "oidc:alice")
    assert (account.has_password, account.disabled, account.created_by, account.created_at) == (
        False,
        False,
        "system:oidc",
        when,
    )
    (created,) = account_entries(store, "account.created")
    assert (created.actor, created.subject) == ("system:oidc", "account oidc:alice")
    assert created.after["role"] == "coordinator" and created.after["has_password"] is False


def test_a_later_sign_in_with_the_same_claims_writes_nothing(store):
    sign_in_account(store, identity_from_claims(claims()))
    assert sign_in_account(store, identity_from_claims(claims())).role == "coordinator"
    assert len(account_entries(store, "account.created")) == 1
    assert account_entries(store, "account.changed") == []
    assert len(list_accounts(store)) == 1


def test_changed_claims_update_the_account_and_are_audited(store):
    sign_in_account(store, identity_from_claims(claims()))
    actor = sign_in_account(
        store, identity_from_claims(claims(role="planner", jurisdiction="BE-VLG"))
    )
    assert (actor.role, actor.jurisdiction) == ("planner", "BE-VLG")
    stored = get_account(store, "oidc:alice")
    assert (stored.role, stored.jurisdiction) == ("planner", "BE-VLG")
    (changed,) = account_entries(store, "account.changed")
    assert changed.actor == "system:oidc"
    assert (changed.before["role"], changed.before["jurisdiction"]) == ("coordinator", "BE-WLG")
    assert (changed.after["role"], changed.after["jurisdiction"]) == ("planner", "BE-VLG")
    with store.reading() as connection:
        assert audit.verify(connection).ok


def test_a_disabled_account_is_refused_even_with_good_claims(store):
    sign_in_account(store, identity_from_claims(claims()))
    disable_account(store, "oidc:alice", actor=system_actor("test"))
    with pytest.raises(ClaimsRefused, match="the account oidc:alice is disabled"):
        sign_in_account(store, identity_from_claims(claims(role="admin")))
    # ...and its claims did not change it either
    assert get_account(store, "oidc:alice").role == "coordinator"


def test_an_email_username_never_lands_in_a_local_account_with_a_password(store):
    add_account(
        store,
        username="alice@example.org",
        role="admin",
        password="a long local password",
        actor=system_actor("test"),
    )
    identity = identity_from_claims(claims(), mapping=ClaimMapping(username_claim="email"))
    with pytest.raises(ClaimsRefused, match="is a local account with a password"):
        sign_in_account(store, identity)
    assert get_account(store, "alice@example.org").role == "admin"


def test_an_email_username_uses_an_account_an_admin_prepared_without_a_password(store):
    add_account(
        store,
        username="alice@example.org",
        role="viewer",
        jurisdiction="BE-WLG",
        actor=system_actor("test"),
    )
    identity = identity_from_claims(claims(), mapping=ClaimMapping(username_claim="email"))
    assert sign_in_account(store, identity).role == "coordinator"
    assert [e.actor for e in account_entries(store, "account.changed")] == ["system:oidc"]


def test_the_oidc_actor_is_a_system_admin():
    assert OIDC_ACTOR == system_actor("oidc")


def test_no_local_account_can_take_a_providers_username(store):
    from mutualaid.store.accounts import AccountError

    with pytest.raises(AccountError, match="is not valid"):
        add_account(
            store,
            username="oidc:alice",
            role="admin",
            password="a long local password",
            actor=system_actor("test"),
        )
    sign_in_account(store, identity_from_claims(claims()))
    assert get_account(store, "oidc:alice").has_password is False
