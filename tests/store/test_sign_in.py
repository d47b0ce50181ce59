"""The sign-in throttle and server-side sessions in the store, on both backends
(security issue 16, items 3 and 5): every try counted before argon2 runs, in one
transaction, so simultaneous tries cannot all pass; unknown usernames throttled like
known ones; growing delays; the state kept across restarts; failures and throttled tries
audited; verifications bounded per server and over all servers; sessions ended by a
password change, disabling, signing out and the idle and absolute timeouts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from mutualaid.access.actor import system_actor
from mutualaid.errors import AccountError, SignInFailed, SignInThrottled
from mutualaid.settings import (
    SESSION_IDLE_TIMEOUT_S,
    SESSION_MAX_AGE_S,
    SESSION_TICKET_TTL_S,
    SIGN_IN_FREE_FAILURES,
    SIGN_IN_USERNAME_EXEMPT_BELOW,
    SIGN_IN_USERNAME_FREE_FAILURES,
    SIGN_IN_USERNAME_MAX_DELAY_S,
)
from mutualaid.store import accounts as acc
from mutualaid.store import open_store, sign_in, tables
from mutualaid.store.accounts import add_account, disable_account, set_password
from mutualaid.store.audit import entries, verify
from mutualaid.store.sessions import (
    check_session,
    end_session,
    exchange_ticket,
    issue_ticket,
    open_session,
    ticket_pending,
)
from mutualaid.store.sign_in import BUSY_MESSAGE, FAILED_MESSAGE, sign_in_with_password
from mutualaid.store.tables import audit_log

ADMIN = system_actor("test")
PASSWORD = "correct horse battery"
WRONG = "wrong password!!"
T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def alice(store):
    add_account(
        store,
        username="alice",
        role="coordinator",
        jurisdiction="DE-NW",
        password=PASSWORD,
        display_name="Alice",
        actor=ADMIN,
    )
    return store


@pytest.fixture
def verifications(monkeypatch):
    """The password hashes verified (the real argon2 verification, counted)."""
    seen: list[str] = []
    real = acc._verify

    def counted(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(acc, "_verify", counted)
    return seen


def fail(
    store, username: str, *, client: str = "10.0.0.1", now: datetime = T0, password: str = WRONG
) -> Exception:
    with pytest.raises((SignInFailed, SignInThrottled)) as caught:
        sign_in_with_password(store, username, password, client=client, now=now)
    return caught.value


def actions(store, action: str) -> list:
    with store.reading() as connection:
        return list(entries(connection, actions=[action]))


def test_of_50_simultaneous_tries_only_the_free_ones_reach_argon2(
    alice, verifications, monkeypatch
):
    # Enough permits that this server's bounds are not what stops them: the store is.
    monkeypatch.setattr(sign_in, "VERIFICATIONS", threading.BoundedSemaphore(50))
    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            sign_in_with_password(alice, "alice", WRONG, client="10.0.0.1", per_client=50)
        except SignInThrottled:
            outcomes.append("throttled")
        except SignInFailed:
            outcomes.append("failed")

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 50
    assert len(verifications) == outcomes.count("failed") == SIGN_IN_FREE_FAILURES
    assert outcomes.count("throttled") == 50 - SIGN_IN_FREE_FAILURES


def test_an_unknown_username_is_hashed_throttled_and_answered_like_a_known_one(
    alice, verifications
):
    answers = {}
    for name in ("alice", "nobody"):
        tries = [fail(alice, name) for _ in range(SIGN_IN_FREE_FAILURES + 1)]
        answers[name] = [str(error) for error in tries]
    assert answers["alice"] == answers["nobody"]
    assert answers["nobody"][:SIGN_IN_FREE_FAILURES] == [FAILED_MESSAGE] * SIGN_IN_FREE_FAILURES
    assert answers["nobody"][-1] == (
        "Too many failed sign-ins for this username. Try again in 2 seconds."
    )
    assert len(verifications) == 2 * SIGN_IN_FREE_FAILURES
    assert all(h.startswith("$argon2id$") for h in verifications)


def test_delays_grow_and_a_right_password_after_the_delay_signs_in_and_resets(alice):
    now = T0
    for _ in range(SIGN_IN_FREE_FAILURES):
        assert isinstance(fail(alice, "alice", now=now), SignInFailed)
    waits = []
    for _ in range(4):
        refused = fail(alice, "alice", now=now)
        assert isinstance(refused, SignInThrottled)
        waits.append(refused.wait_s)
        now += timedelta(seconds=refused.wait_s)
        assert isinstance(fail(alice, "alice", now=now), SignInFailed)  # one more failure
    assert waits == [2.0, 4.0, 8.0, 16.0]
    refused = fail(alice, "alice", password=PASSWORD, now=now)  # right, but too early
    assert isinstance(refused, SignInThrottled) and refused.wait_s == 32.0
    now += timedelta(seconds=32)
    actor = sign_in_with_password(alice, "alice", PASSWORD, client="10.0.0.1", now=now)
    assert actor.username == "alice"
    assert sign_in.throttle_state(alice, "alice", "10.0.0.1")["pair"] == 0
    assert isinstance(fail(alice, "alice", now=now), SignInFailed)  # free tries again


def test_50_wrong_passwords_from_one_client_never_delay_the_right_one_from_another(alice):
    """Issue 13: no lock-out anyone can impose. Every one of the 50 tries is in the audit
    log: a failure, or a refusal (throttled before any hashing)."""
    outcomes = [fail(alice, "alice", client="203.0.113.7", now=T0) for _ in range(50)]
    failed = [e for e in outcomes if isinstance(e, SignInFailed)]
    refused = [e for e in outcomes if isinstance(e, SignInThrottled)]
    assert len(failed) == SIGN_IN_FREE_FAILURES and len(refused) == 50 - SIGN_IN_FREE_FAILURES
    # the coordinator, from another address, at the same moment: signed in at once
    actor = sign_in_with_password(alice, "alice", PASSWORD, client="10.1.1.1", now=T0)
    assert actor.username == "alice"
    assert len(actions(alice, "account.sign_in_failed")) == len(failed)
    throttled = actions(alice, "account.sign_in_throttled")
    assert len(throttled) == len(refused)
    assert {t.after["client"] for t in throttled} == {"203.0.113.7"}
    assert sorted(t.after["refused"] for t in throttled) == list(range(1, len(refused) + 1))


def test_the_username_count_still_delays_an_address_that_failed_before(alice):
    """Guesses spread over many addresses still slow down the addresses that failed for
    the username before (a minute at most), not a clean one."""
    now = T0
    for _ in range(SIGN_IN_USERNAME_EXEMPT_BELOW):
        assert isinstance(fail(alice, "alice", client="10.9.9.9", now=now), SignInFailed)
    for n in range(SIGN_IN_USERNAME_FREE_FAILURES):  # one try from each of many addresses
        assert isinstance(fail(alice, "alice", client=f"203.0.113.{n}", now=now), SignInFailed)
    refused = fail(alice, "alice", client="10.9.9.9", password=PASSWORD, now=now)
    assert isinstance(refused, SignInThrottled) and "for this username" in str(refused)
    assert 0 < refused.wait_s <= SIGN_IN_USERNAME_MAX_DELAY_S  # a delay, never a lock-out
    clean = sign_in_with_password(alice, "alice", PASSWORD, client="10.1.1.1", now=now)
    assert clean.username == "alice"


def test_an_admin_unlocks_a_username_and_sees_its_state(alice):
    for _ in range(SIGN_IN_FREE_FAILURES + 2):
        fail(alice, "alice", client="203.0.113.7", now=T0)
    state = sign_in.throttles(alice, now=T0)["alice"]
    assert (state.failures, state.clients) == (SIGN_IN_FREE_FAILURES, 1)
    assert state.words(T0) == f"delayed 2 seconds after {SIGN_IN_FREE_FAILURES} failures"
    coordinator = acc.active_actor(alice, "alice")
    with pytest.raises(AccountError, match="only an admin"):
        sign_in.unlock(alice, "alice", actor=coordinator)
    assert sign_in.unlock(alice, "ALICE", actor=ADMIN, now=T0) == 2  # user and pair keys
    assert "alice" not in sign_in.throttles(alice, now=T0)
    again = sign_in_with_password(alice, "alice", PASSWORD, client="203.0.113.7", now=T0)
    assert again.username == "alice"
    (unlocked,) = actions(alice, "account.unlocked")
    assert (unlocked.actor, unlocked.subject) == ("system:test", "account alice")
    assert unlocked.before["failures"] == SIGN_IN_FREE_FAILURES
    assert [d.actor for d in actions(alice, "access.denied")] == ["alice"]
    with pytest.raises(AccountError, match="no account"):
        sign_in.unlock(alice, "nobody", actor=ADMIN)


def test_unlocking_one_username_leaves_a_look_alike_alone(alice):
    add_account(
        alice,
        username="x_alice",
        role="viewer",
        jurisdiction="DE-NW",
        password=PASSWORD,
        actor=ADMIN,
    )
    for name in ("alice", "x_alice", "xxalice"):
        fail(alice, name, now=T0)
    sign_in.unlock(alice, "alice", actor=ADMIN, now=T0)
    assert set(sign_in.throttles(alice, now=T0)) == {"x_alice", "xxalice"}


def test_the_throttle_holds_across_a_restart(store_url, alice):
    for _ in range(SIGN_IN_FREE_FAILURES):
        fail(alice, "alice", now=T0)
    alice.dispose()
    again = open_store(store_url)  # a new engine, as a restarted or another app server
    try:
        refused = fail(again, "alice", password=PASSWORD, now=T0 + timedelta(seconds=1))
        assert isinstance(refused, SignInThrottled)
    finally:
        again.dispose()


def test_failures_and_throttles_are_audited_without_the_password(alice):
    long_name = "x" * 500
    for _ in range(SIGN_IN_FREE_FAILURES + 3):  # 3 refused tries in one window
        fail(alice, long_name, now=T0)
    failed = actions(alice, "account.sign_in_failed")
    throttled = actions(alice, "account.sign_in_throttled")
    assert len(failed) == SIGN_IN_FREE_FAILURES and len(throttled) == 3
    assert throttled[0].after["username"] == "x" * 64
    assert throttled[0].after["client"] == "10.0.0.1"
    assert failed[0].actor == "system:sign-in" and failed[0].subject == f"account {'x' * 64}"
    with alice.reading() as connection:
        text = " ".join(str(v) for row in connection.execute(sa.select(audit_log)) for v in row)
        assert verify(connection).ok
    assert WRONG not in text and "x" * 65 not in text


def test_refusals_are_written_up_to_a_bound_per_window(alice, monkeypatch):
    monkeypatch.setattr(sign_in, "SIGN_IN_AUDITED_REFUSALS_PER_WINDOW", 2)
    for _ in range(SIGN_IN_FREE_FAILURES + 5):
        fail(alice, "alice", now=T0)
    throttled = actions(alice, "account.sign_in_throttled")
    assert sorted((t.after["refused"], t.after["last_written"]) for t in throttled) == [
        (1, False),
        (2, True),
    ]
    # the next window writes again
    fail(alice, "alice", now=T0 + timedelta(seconds=2))  # admitted: a 6th failure
    fail(alice, "alice", now=T0 + timedelta(seconds=2))
    assert len(actions(alice, "account.sign_in_throttled")) == 3


def test_a_server_verifies_a_bounded_number_of_passwords_at_once(alice, monkeypatch):
    monkeypatch.setattr(sign_in, "VERIFICATIONS", threading.BoundedSemaphore(1))
    sign_in.VERIFICATIONS.acquire()  # one verification running
    try:
        refused = fail(alice, "alice", password=PASSWORD)
        assert isinstance(refused, SignInThrottled) and str(refused) == BUSY_MESSAGE
    finally:
        sign_in.VERIFICATIONS.release()
    assert sign_in_with_password(alice, "alice", PASSWORD, client="10.0.0.1").username == "alice"


def test_one_client_cannot_take_every_verification_of_a_server(alice):
    for _ in range(2):  # two verifications of 203.0.113.9 running
        assert sign_in._take_client_slot("203.0.113.9", 2)
    try:
        refused = fail(alice, "alice", client="203.0.113.9", password=PASSWORD)
        assert str(refused) == BUSY_MESSAGE
        assert sign_in_with_password(alice, "alice", PASSWORD, client="10.0.0.5")
    finally:
        for _ in range(2):
            sign_in._free_client_slot("203.0.113.9")
    assert sign_in_with_password(alice, "alice", PASSWORD, client="203.0.113.9")


def test_the_servers_together_verify_a_bounded_number_per_minute(alice, verifications):
    # The store counts every verification of the minute, whichever server ran it (the
    # setting is 600 a minute; 4 here).
    for n in range(3):
        fail(alice, f"user{n}", client=f"10.0.0.{n}", now=T0)
    assert sign_in_with_password(alice, "alice", PASSWORD, client="10.9.9.9", now=T0, per_minute=4)
    with pytest.raises(SignInThrottled, match="Too many sign-ins at once"):
        sign_in_with_password(alice, "alice", PASSWORD, client="10.9.9.9", now=T0, per_minute=4)
    assert len(verifications) == 4  # the refused try was never hashed
    assert sign_in_with_password(
        alice, "alice", PASSWORD, client="10.9.9.9", now=T0 + timedelta(seconds=61), per_minute=4
    )


# --- sessions ---------------------------------------------------------------------------


def test_a_password_change_ends_every_open_session_of_the_account(alice):
    tokens = [open_session(alice, "alice", method="password", now=T0) for _ in range(2)]
    other = open_session(alice, "bob", method="password", now=T0)
    assert all(check_session(alice, t, now=T0).actor.username == "alice" for t in tokens)
    set_password(alice, "alice", "another good passphrase", actor=ADMIN)
    for token in tokens:
        check = check_session(alice, token, now=T0)
        assert check.actor is None and check.ended == "password_changed"
        assert check.sentence == (
            "You were signed out: your password was changed. Sign in with the new one."
        )
    assert check_session(alice, other, now=T0).ended == "disabled"  # bob has no account


def test_disabling_the_account_ends_its_sessions(alice):
    token = open_session(alice, "alice", method="password", now=T0)
    disable_account(alice, "alice", actor=ADMIN)
    assert check_session(alice, token, now=T0).ended == "disabled"


def test_idle_and_absolute_timeouts_end_a_session(alice):
    token = open_session(alice, "alice", method="password", now=T0)
    # seen every hour: never idle, but ended after the absolute timeout
    now = T0
    while (now - T0).total_seconds() + 3600 < SESSION_MAX_AGE_S:
        now += timedelta(seconds=3600)
        assert check_session(alice, token, now=now).actor is not None
    check = check_session(alice, token, now=T0 + timedelta(seconds=SESSION_MAX_AGE_S))
    assert check.ended == "expired"
    idle = open_session(alice, "alice", method="password", now=T0)
    late = T0 + timedelta(seconds=SESSION_IDLE_TIMEOUT_S)
    assert check_session(alice, idle, now=late).ended == "idle"
    assert check_session(alice, idle, now=T0).ended == "idle"  # ended stays ended


def test_last_seen_is_written_at_most_once_a_minute(alice):
    token = open_session(alice, "alice", method="password", now=T0)
    writes = []
    sa.event.listen(
        alice.engine,
        "before_cursor_execute",
        lambda *args: writes.append(args[2]) if "UPDATE" in args[2] else None,
    )
    for second in range(0, 59, 5):
        check_session(alice, token, now=T0 + timedelta(seconds=second))
    assert writes == []
    check_session(alice, token, now=T0 + timedelta(seconds=61))
    assert len(writes) == 1


def test_sign_out_ends_the_session(alice):
    token = open_session(alice, "alice", method="password", now=T0)
    end_session(alice, token, now=T0)
    assert check_session(alice, token, now=T0).ended == "signed_out"
    assert check_session(alice, "not a token", now=T0).ended == "unknown"


# --- a sign-in that lasts: ticket and session cookie (issue 13) ---------------------------

BROWSER = "b" * 43


def test_a_ticket_is_exchanged_once_for_a_new_cookie_that_names_the_session(alice):
    token = open_session(alice, "alice", method="password", now=T0)
    ticket = issue_ticket(alice, token, BROWSER, now=T0)
    assert ticket and ticket != token
    cookie = exchange_ticket(alice, ticket, BROWSER, now=T0 + timedelta(seconds=1))
    assert cookie and cookie not in (token, ticket)
    check = check_session(alice, cookie, now=T0 + timedelta(seconds=2))
    assert (check.actor.username, check.method) == ("alice", "password")
    assert exchange_ticket(alice, ticket, BROWSER, now=T0) is None  # single use
    # a new sign-in's ticket gives a new cookie (no session fixation)
    again = exchange_ticket(alice, issue_ticket(alice, token, BROWSER, now=T0), BROWSER, now=T0)
    assert again and again != cookie
    assert check_session(alice, cookie, now=T0).ended == "unknown"  # replaced
    with alice.reading() as connection:
        stored = " ".join(
            str(v) for row in connection.execute(sa.select(tables.sign_in_sessions)) for v in row
        )
    assert token not in stored and ticket not in stored and again not in stored


def test_a_ticket_for_another_browser_too_late_or_of_an_ended_session_gives_nothing(alice):
    token = open_session(alice, "alice", method="password", now=T0)
    ticket = issue_ticket(alice, token, BROWSER, now=T0)
    assert exchange_ticket(alice, ticket, "c" * 43, now=T0) is None
    assert exchange_ticket(alice, ticket, BROWSER, now=T0) is None  # burnt by the wrong one
    late = issue_ticket(alice, token, BROWSER, now=T0)
    expired = T0 + timedelta(seconds=SESSION_TICKET_TTL_S + 1)
    assert exchange_ticket(alice, late, BROWSER, now=expired) is None
    ended = issue_ticket(alice, token, BROWSER, now=T0)
    end_session(alice, token, now=T0)
    assert exchange_ticket(alice, ended, BROWSER, now=T0) is None
    assert issue_ticket(alice, token, BROWSER, now=T0) is None  # no ticket for an ended one
    assert exchange_ticket(alice, "", BROWSER) is None and exchange_ticket(alice, "x", "") is None


def test_whatever_ends_the_session_ends_its_cookie_too(alice):
    def cookie_of(token: str) -> str:
        return exchange_ticket(alice, issue_ticket(alice, token, BROWSER, now=T0), BROWSER, now=T0)

    token = open_session(alice, "alice", method="password", now=T0)
    cookie = cookie_of(token)
    end_session(alice, cookie, now=T0)  # signing out from a tab the cookie restored
    assert check_session(alice, token, now=T0).ended == "signed_out"
    token = open_session(alice, "alice", method="password", now=T0)
    cookie = cookie_of(token)
    other = open_session(alice, "alice", method="password", now=T0)  # no cookie
    herself = acc.active_actor(alice, "alice")
    set_password(alice, "alice", "another long passphrase", actor=herself, keep_session=cookie)
    assert check_session(alice, token, now=T0).actor is not None  # the one it was made from
    assert check_session(alice, other, now=T0).ended == "password_changed"
    set_password(alice, "alice", "a third long passphrase", actor=ADMIN)
    assert check_session(alice, cookie, now=T0).ended == "password_changed"
    token = open_session(alice, "alice", method="password", now=T0)
    cookie = cookie_of(token)
    idle = T0 + timedelta(seconds=SESSION_IDLE_TIMEOUT_S + 1)
    assert check_session(alice, cookie, now=idle).ended == "idle"
    assert check_session(alice, token, now=idle).ended == "idle"
    token = open_session(alice, "alice", method="password", now=T0)
    cookie = cookie_of(token)
    disable_account(alice, "alice", actor=ADMIN)
    assert check_session(alice, cookie, now=T0).ended == "disabled"


def test_a_ticket_is_pending_until_exchanged_so_a_replaced_page_is_given_it_again(alice):
    """The bug it names: the page was given its ticket once; a person who clicked on at
    once replaced the page before its script ran, the ticket was dropped, and the next
    reload signed them out. The page keeps it while :func:`ticket_pending` says so."""
    token = open_session(alice, "alice", method="password", now=T0)
    ticket = issue_ticket(alice, token, BROWSER, now=T0)
    assert ticket_pending(alice, ticket, now=T0 + timedelta(seconds=1))
    assert exchange_ticket(alice, ticket, BROWSER, now=T0 + timedelta(seconds=2))
    assert not ticket_pending(alice, ticket, now=T0 + timedelta(seconds=3))  # exchanged
    late = issue_ticket(alice, token, BROWSER, now=T0)
    assert not ticket_pending(alice, late, now=T0 + timedelta(seconds=SESSION_TICKET_TTL_S + 1))
    ended = issue_ticket(alice, token, BROWSER, now=T0)
    end_session(alice, token, now=T0)
    assert not ticket_pending(alice, ended, now=T0) and not ticket_pending(alice, "")
