"""The Accounts page in AppTest (issue 6): admins only; add an account with a generated
password shown once; change a role; disable an account, whose open session loses access
at its next rerun; every change and every refusal in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from signed import app_test
from streamlit.testing.v1 import AppTest

import builders
from builders import JURISDICTIONS, feature, square
from mutualaid.access.actor import system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import audit, open_store
from mutualaid.store.accounts import authenticate, get_account
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.migrate import upgrade
from mutualaid.text import literal

PAGE = "pages/accounts.py"


#: A jurisdiction id from a file that is Markdown: shown as text wherever it goes.
HOSTILE = "![x](http://evil/x.png)"


@pytest.fixture(autouse=True)
def no_scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No scenario folder: the default page stops at once; this page needs none.
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path / "no-scenarios"))


@pytest.fixture
def stored_flood(tmp_path: Path) -> None:
    """A stored scenario whose jurisdictions an account's are chosen from (issue 13):
    DE-NW, NL-LI and one whose id is Markdown."""
    folder = builders.write_scenario(
        tmp_path / "flood",
        jurisdictions=[*JURISDICTIONS, feature(square(7, 50), id=HOSTILE, country="DE")],
    )
    result = load_scenario(folder)
    assert result.ok, [r.errors for r in result.reports]
    store = open_store()
    try:
        upgrade(store)
        save_scenario(store, result.scenario, name="flood", sources={}, actor=system_actor("t"))
    finally:
        store.dispose()


def as_admin(username: str = "ada") -> AppTest:
    at = app_test(role="admin", username=username).run()
    return at.switch_page(PAGE).run()


def audit_rows(action: str) -> list[audit.AuditEntry]:
    store = open_store()
    try:
        with store.reading() as connection:
            return list(audit.entries(connection, actions=[action], newest_first=False))
    finally:
        store.dispose()


def account(username: str):
    store = open_store()
    try:
        return get_account(store, username)
    finally:
        store.dispose()


def table(at: AppTest):
    (frame,) = [df.value for df in at.dataframe]
    return frame


def add(at: AppTest, username: str, role: str, jurisdiction: str = "") -> AppTest:
    at.text_input(key="accounts.new.username").set_value(username)
    at.text_input(key="accounts.new.name").set_value(username.title())
    at.selectbox(key="accounts.new.role").set_value(role)
    at.selectbox(key="accounts.new.jurisdiction").set_value(jurisdiction)
    [submit] = [b for b in at.button if b.label == "Add account"]
    return submit.click().run()


def test_an_admin_adds_an_account_whose_password_is_shown_once(stored_flood):
    at = add(as_admin(), "nora", "coordinator", "NL-LI")
    assert not at.exception and not at.error
    assert at.success[0].value.startswith(literal("Account nora created."))
    [password] = [c.value for c in at.code]
    store = open_store()
    try:
        actor = authenticate(store, "nora", password)
    finally:
        store.dispose()
    assert (actor.role, actor.jurisdiction) == ("coordinator", "NL-LI")
    row = table(at).set_index("username").loc["nora"]
    assert (row["role"], row["jurisdiction"], row["state"], row["signs in with"]) == (
        "coordinator",
        "NL-LI",
        "active",
        "password",
    )
    assert [e.subject for e in audit_rows("account.created")][-1] == "account nora"
    at.run()  # the next run: the password is gone from the page and the session
    assert not at.code
    assert "accounts.outcome" not in at.session_state  # the only place it was kept


def test_a_refused_value_is_said_and_nothing_is_created():
    at = add(as_admin(), "nils", "coordinator", "")
    assert at.error[0].value.startswith(literal("Refused: "))
    assert "jurisdiction" in at.error[0].value
    assert account("nils") is None and not at.code


def test_disabling_an_account_ends_its_open_session_at_its_next_rerun():
    cora = app_test(role="coordinator", jurisdiction="DE-NW", username="cora").run()
    cora.switch_page("pages/workflow.py").run()
    assert not cora.exception and cora.title[0].value == "Workflow"
    admin = as_admin()
    admin.selectbox(key="accounts.picked").set_value("cora").run()
    # Disabling asks again: the button is inside the "Disable…" popover.
    disable = admin.button(key="accounts.disable")
    assert disable.label == literal("Yes, disable cora")
    disable.click().run()
    assert not admin.exception
    assert admin.success[0].value.startswith(literal("Account cora disabled"))
    assert table(admin).set_index("username").loc["cora", "state"] == "disabled"
    assert account("cora").disabled
    cora.run()  # cora's next click
    assert not cora.exception
    assert cora.title[0].value == "Mutual Aid"  # the sign-in page, nothing else
    assert cora.text_input(key="identity.sign_in_form.username") is not None
    assert not cora.dataframe
    # enabled again, from the same page
    [enable] = [b for b in admin.button if b.label == "Enable"]
    enable.click().run()
    assert not account("cora").disabled
    assert [e.subject for e in audit_rows("account.changed")][-2:] == ["account cora"] * 2


def test_a_role_change_reaches_the_open_session_at_its_next_rerun():
    vic = app_test(role="viewer", jurisdiction="DE-NW", username="vic").run()
    with pytest.raises(ValueError):
        vic.switch_page("pages/layers.py")  # a viewer's session has no Layers page
    admin = as_admin()
    admin.selectbox(key="accounts.picked").set_value("vic").run()
    admin.selectbox(key="accounts.edit.role.vic").set_value("planner").run()
    [save] = [b for b in admin.button if b.label == "Save role and jurisdiction"]
    save.click().run()
    assert not admin.exception and not admin.error
    assert literal("vic is now planner for DE-NW") in admin.success[0].value
    (change,) = [e for e in audit_rows("account.changed") if e.subject == "account vic"]
    assert (change.actor, change.before["role"], change.after["role"]) == (
        "ada",
        "viewer",
        "planner",
    )
    vic.run()
    vic.switch_page("pages/layers.py").run()
    assert not vic.exception and vic.title[0].value == "Layers"


def test_an_admin_cannot_disable_itself_and_a_new_password_works():
    admin = as_admin()
    admin.selectbox(key="accounts.picked").set_value("ada").run()
    assert admin.button(key="accounts.disable").disabled
    assert admin.selectbox(key="accounts.edit.role.ada").disabled  # another admin does that
    [reset] = [b for b in admin.button if b.label == "New password"]
    reset.click().run()
    [password] = [c.value for c in admin.code]
    store = open_store()
    try:
        assert authenticate(store, "ada", password) is not None
    finally:
        store.dispose()


def test_a_new_password_ends_the_accounts_open_sessions_but_not_the_admins_own():
    cora = app_test(role="coordinator", jurisdiction="DE-NW", username="cora").run()
    cora.switch_page("pages/workflow.py").run()
    assert not cora.exception and cora.title[0].value == "Workflow"
    admin = as_admin()
    admin.selectbox(key="accounts.picked").set_value("cora").run()
    [reset] = [b for b in admin.button if b.label == "New password"]
    reset.click().run()
    assert not admin.exception and len(admin.code) == 1
    cora.run()  # cora's next click
    assert cora.title[0].value == "Mutual Aid"  # the sign-in page, saying why
    assert [w.value for w in cora.warning] == [
        "You were signed out: your password was changed. Sign in with the new one."
    ]
    # the admin's own new password keeps the session it was made from
    admin.selectbox(key="accounts.picked").set_value("ada").run()
    [reset] = [b for b in admin.button if b.label == "New password"]
    reset.click().run()
    assert not admin.exception and len(admin.code) == 1
    assert admin.run().title[0].value == "Accounts"


def test_anyone_but_an_admin_is_refused_and_the_attempt_audited():
    coordinator = app_test(role="coordinator", jurisdiction="DE-NW", username="cora").run()
    with pytest.raises(ValueError):
        coordinator.switch_page(PAGE)  # not even registered for this session
    # an admin demoted while on the page: the next click is refused by the store
    admin = as_admin("adam")
    as_admin("ada")  # another admin, to demote adam
    store = open_store()
    try:
        from mutualaid.access.actor import Actor
        from mutualaid.store.accounts import change_account

        change_account(
            store,
            "adam",
            actor=Actor("ada", "admin"),
            what="demote adam",
            values={"role": "viewer", "jurisdiction": "DE-NW"},
        )
    finally:
        store.dispose()
    admin.run()
    assert not admin.exception
    assert "This page needs the admin role" in admin.error[0].value
    denied = audit_rows("access.denied")
    assert [(d.actor, d.subject) for d in denied][-1] == ("adam", "page Accounts")


def test_text_from_a_file_in_a_message_is_shown_as_text_not_markdown(stored_flood):
    """Bug: the Accounts page's messages put a jurisdiction into st.success as Markdown;
    they are escaped like the workflow's now (the id comes from a stored file)."""
    app_test(role="viewer", jurisdiction="DE-NW", username="vic").run()
    admin = as_admin()
    admin.selectbox(key="accounts.picked").set_value("vic").run()
    admin.selectbox(key="accounts.edit.jurisdiction.vic").set_value(HOSTILE)
    [save] = [b for b in admin.button if b.label == "Save role and jurisdiction"]
    save.click().run()
    assert not admin.exception
    message = admin.success[0].value
    assert literal(HOSTILE) in message
    assert "](http" not in message


# --- issue 13: the jurisdiction is chosen from the stored ones ------------------------------


def test_the_jurisdiction_is_chosen_from_the_stored_scenarios(stored_flood):
    at = as_admin()
    choice = at.selectbox(key="accounts.new.jurisdiction")
    assert choice.options == ["none (an admin)", HOSTILE, "DE-NW", "NL-LI"]
    # no field to type one into: "DE-RPX" cannot be given
    assert [t.label for t in at.text_input] == ["Username", "Name"]
    at = add(at, "dora", "planner", "DE-NW")
    assert not at.exception and not at.error
    assert (account("dora").role, account("dora").jurisdiction) == ("planner", "DE-NW")
    # a coordinator with none chosen is refused, by the store, in words
    at = add(at, "nils", "coordinator", "")
    assert "a coordinator acts for one jurisdiction" in at.error[0].value
    assert account("nils") is None


def test_an_account_keeps_a_jurisdiction_no_stored_scenario_holds(stored_flood):
    app_test(role="viewer", jurisdiction="DE-RPX", username="vic").run()  # made unchecked
    admin = as_admin()
    admin.selectbox(key="accounts.picked").set_value("vic").run()
    edit = admin.selectbox(key="accounts.edit.jurisdiction.vic")
    assert edit.value == "DE-RPX"
    assert edit.options[-1] == "DE-RPX (in no stored scenario)"
    admin.selectbox(key="accounts.edit.role.vic").set_value("planner").run()
    [save] = [b for b in admin.button if b.label == "Save role and jurisdiction"]
    save.click().run()
    assert not admin.exception and not admin.error  # its own is kept, the role changes
    assert (account("vic").role, account("vic").jurisdiction) == ("planner", "DE-RPX")
    admin.selectbox(key="accounts.edit.jurisdiction.vic").set_value("NL-LI")
    [save] = [b for b in admin.button if b.label == "Save role and jurisdiction"]
    save.click().run()
    assert account("vic").jurisdiction == "NL-LI"
    # once moved, the unknown one is no longer offered
    assert (
        "DE-RPX (in no stored scenario)"
        not in admin.selectbox(key="accounts.edit.jurisdiction.vic").options
    )


def test_with_no_scenario_stored_only_an_admin_can_be_added():
    at = as_admin()
    assert at.selectbox(key="accounts.new.jurisdiction").options == ["none (an admin)"]
    at = add(at, "root", "admin", "")
    assert not at.error and account("root").role == "admin"


def test_an_admin_sees_a_delayed_sign_in_and_unlocks_it():
    """Issue 13: failed sign-ins show in the table ("delayed ... after N failures"); the
    Unlock button clears them, audited, and the account may try again at once."""
    from mutualaid.errors import SignInFailed, SignInThrottled
    from mutualaid.settings import SIGN_IN_FREE_FAILURES
    from mutualaid.store.sign_in import sign_in_with_password

    app_test(role="coordinator", jurisdiction="DE-NW", username="cora").run()
    store = open_store()
    try:
        for _ in range(SIGN_IN_FREE_FAILURES + 1):
            with pytest.raises((SignInFailed, SignInThrottled)):
                sign_in_with_password(store, "cora", "not her password", client="203.0.113.7")
    finally:
        store.dispose()
    admin = as_admin()
    state = table(admin).set_index("username").loc["cora", "sign-in"]
    assert state.startswith("delayed ") and f"after {SIGN_IN_FREE_FAILURES} failures" in state
    admin.selectbox(key="accounts.picked").set_value("cora").run()
    [unlock] = [b for b in admin.button if b.label == "Unlock sign-in"]
    assert not unlock.disabled
    unlock.click().run()
    assert not admin.exception
    assert admin.success[0].value.startswith(literal("Sign-in delays of cora cleared"))
    assert table(admin).set_index("username").loc["cora", "sign-in"] == ""
    [unlock] = [b for b in admin.button if b.label == "Unlock sign-in"]
    assert unlock.disabled
    assert [(e.actor, e.subject) for e in audit_rows("account.unlocked")] == [
        ("ada", "account cora")
    ]
