"""The audit log on both backends: rows appended in the change's transaction, a hash
chain that :func:`verify` recomputes, naming the first row changed, removed, reordered or
inserted directly in the database; concurrent appends; the filters of :func:`entries`."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from mutualaid.store import audit
from mutualaid.store.tables import audit_head, audit_log

T0 = datetime(2026, 7, 14, 17, 30, tzinfo=UTC)


def fill(store, count: int = 5) -> list[audit.AuditEntry]:
    """*count* rows, one transaction each, a minute apart, by two actors."""
    written = []
    for n in range(1, count + 1):
        with store.transaction() as connection:
            written.append(
                audit.record(
                    connection,
                    actor="alice" if n % 2 else "bob",
                    action="offer.committed",
                    subject=f"offer {n}",
                    before={"state": "proposed", "version": n},
                    after={"state": "committed", "version": n + 1},
                    now=T0 + timedelta(minutes=n),
                )
            )
    return written


def check(store) -> audit.Verification:
    with store.reading() as connection:
        return audit.verify(connection)


def tamper(store, statement) -> None:
    """Change the table directly, as someone with database access could."""
    with store.engine.begin() as connection:
        connection.execute(statement)


def row(store, seq: int):
    with store.reading() as connection:
        return connection.execute(sa.select(audit_log).where(audit_log.c.seq == seq)).one()


# --- appending and verifying ---------------------------------------------------------------


def test_recorded_rows_form_an_intact_chain(store):
    written = fill(store, 5)
    assert [e.seq for e in written] == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(written))
    result = check(store)
    assert result == audit.Verification(ok=True, rows=5)
    with store.reading() as connection:
        head = connection.execute(sa.select(audit_head)).one()
    assert (head.seq, head.hash) == (5, written[-1].hash)


def test_an_empty_log_is_intact(store):
    assert check(store) == audit.Verification(ok=True, rows=0)


def test_a_row_is_stored_with_its_change_or_not_at_all(store):
    fill(store, 2)
    with pytest.raises(RuntimeError), store.transaction() as connection:
        audit.record(connection, actor="alice", action="offer.declined", subject="offer 3")
        raise RuntimeError("the change failed after its audit row")
    assert check(store) == audit.Verification(ok=True, rows=2)


def test_an_unknown_action_is_refused(store):
    with (
        pytest.raises(ValueError, match="unknown audit action 'offer.stolen'"),
        store.transaction() as connection,
    ):
        audit.record(connection, actor="alice", action="offer.stolen", subject="offer 1")
    assert check(store).rows == 0


def test_hostile_text_is_kept_byte_for_byte(store):
    text = '=HYPERLINK("http://x") <script>alert(1)</script> ünïcode \u202e'
    with store.transaction() as connection:
        audit.record(
            connection, actor=text, action="layer.loaded", subject=text, after={"source": text}
        )
    with store.reading() as connection:
        (entry,) = audit.entries(connection)
    assert entry.actor == entry.subject == entry.after["source"] == text
    assert check(store).ok


# --- tampering directly in the database ---------------------------------------------------


@pytest.mark.parametrize(
    "column, value",
    [
        ("actor", "mallory"),
        ("before", '{"state":"committed","version":3}'),
        ("at", "2026-07-14T17:00:00.000000+00:00"),
        ("action", "offer.declined"),
        ("subject", "offer 99"),
    ],
)
def test_a_changed_row_is_named(store, column, value):
    fill(store, 5)
    tamper(store, audit_log.update().where(audit_log.c.seq == 3).values({column: value}))
    result = check(store)
    assert not result.ok
    assert result.first_bad == 3
    assert result.problem == "row 3 was changed: its content does not match its hash"


def test_a_changed_row_with_a_recomputed_hash_is_named_by_its_successor(store):
    # The forger recomputes the changed row's own hash; the next row still links to
    # the old one.
    fill(store, 5)
    old = row(store, 3)
    forged = audit.row_hash(
        seq=3,
        at=old.at,
        actor="mallory",
        action=old.action,
        subject=old.subject,
        before=old.before,
        after=old.after,
        prev_hash=old.prev_hash,
    )
    tamper(
        store, audit_log.update().where(audit_log.c.seq == 3).values(actor="mallory", hash=forged)
    )
    result = check(store)
    assert (result.ok, result.first_bad) == (False, 4)
    assert "row 4 does not follow row 3" in result.problem


def test_a_row_deleted_in_the_middle_is_named(store):
    fill(store, 5)
    tamper(store, audit_log.delete().where(audit_log.c.seq == 3))
    result = check(store)
    assert (result.ok, result.first_bad) == (False, 3)
    assert result.problem == "row 3 is missing: it was removed (the next row is 4)"


def test_the_first_row_deleted_is_named(store):
    fill(store, 3)
    tamper(store, audit_log.delete().where(audit_log.c.seq == 1))
    result = check(store)
    assert (result.ok, result.first_bad) == (False, 1)


def test_the_last_row_deleted_is_named(store):
    fill(store, 5)
    tamper(store, audit_log.delete().where(audit_log.c.seq == 5))
    result = check(store)
    assert (result.ok, result.first_bad, result.rows) == (False, 5, 4)
    assert result.problem == "rows 5 to 5 are missing: they were removed"


def test_every_row_deleted_is_noticed(store):
    fill(store, 3)
    tamper(store, audit_log.delete())
    result = check(store)
    assert (result.ok, result.first_bad) == (False, 1)


def test_two_rows_with_swapped_sequence_numbers_are_named(store):
    fill(store, 5)
    # Through a free number: the primary key is checked row by row.
    tamper(store, audit_log.update().where(audit_log.c.seq == 2).values(seq=1000))
    tamper(store, audit_log.update().where(audit_log.c.seq == 4).values(seq=2))
    tamper(store, audit_log.update().where(audit_log.c.seq == 1000).values(seq=4))
    result = check(store)
    assert (result.ok, result.first_bad) == (False, 2)
    assert "row 2 does not follow row 1" in result.problem


def test_two_rows_with_swapped_contents_are_named(store):
    fill(store, 5)
    second, third = row(store, 2), row(store, 3)
    fields = ("at", "actor", "action", "subject", "before", "after", "prev_hash", "hash")
    tamper(
        store,
        audit_log.update()
        .where(audit_log.c.seq == 2)
        .values({f: getattr(third, f) for f in fields}),
    )
    tamper(
        store,
        audit_log.update()
        .where(audit_log.c.seq == 3)
        .values({f: getattr(second, f) for f in fields}),
    )
    result = check(store)
    assert (result.ok, result.first_bad) == (False, 2)


def test_a_row_inserted_at_the_end_is_named(store):
    written = fill(store, 4)
    at = (T0 + timedelta(hours=1)).isoformat(timespec="microseconds")
    fields = {
        "seq": 5,
        "at": at,
        "actor": "mallory",
        "action": "offer.released",
        "subject": "offer 1",
        "before": "null",
        "after": "null",
        "prev_hash": written[-1].hash,
    }
    tamper(store, audit_log.insert().values(hash=audit.row_hash(**fields), **fields))
    result = check(store)
    # Well formed and linked, but the head says four rows were written.
    assert (result.ok, result.first_bad) == (False, 5)
    assert result.problem == "row 5 is not the last row written: the log's end was changed"


def test_a_row_inserted_in_the_middle_is_named(store):
    written = fill(store, 4)
    for seq in (4, 3):  # make room at 3, highest first (the primary key)
        tamper(store, audit_log.update().where(audit_log.c.seq == seq).values(seq=seq + 1))
    fields = {
        "seq": 3,
        "at": written[1].at,
        "actor": "mallory",
        "action": "offer.released",
        "subject": "offer 1",
        "before": "null",
        "after": "null",
        "prev_hash": written[1].hash,
    }
    tamper(store, audit_log.insert().values(hash=audit.row_hash(**fields), **fields))
    result = check(store)
    # The forged row links to row 2; the row written as 3 (now 4) does not link to it,
    # and its own hash covers the sequence number it was written with.
    assert (result.ok, result.first_bad) == (False, 4)


def test_a_row_inserted_with_a_made_up_hash_is_named(store):
    written = fill(store, 3)
    tamper(
        store,
        audit_log.insert().values(
            seq=4,
            at=written[-1].at,
            actor="mallory",
            action="offer.released",
            subject="x",
            before="null",
            after="null",
            prev_hash=written[-1].hash,
            hash="f" * 64,
        ),
    )
    result = check(store)
    assert (result.ok, result.first_bad) == (False, 4)
    assert result.problem.startswith("row 4 was changed")


# --- concurrency ---------------------------------------------------------------------------


def append_at_once(store, threads_count: int) -> list[BaseException]:
    """*threads_count* threads, each appending one row in its own transaction, started
    together; the exceptions they raised."""
    barrier = threading.Barrier(threads_count)
    failures: list[BaseException] = []

    def append(n: int) -> None:
        try:
            barrier.wait()
            with store.transaction() as connection:
                audit.record(
                    connection,
                    actor=f"user{n}",
                    action="offer.committed",
                    subject=f"offer {n}",
                    after={"n": n},
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_fifty_threads_appending_at_once_leave_an_intact_chain(store):
    # From an empty log: the very first appends race for the head row too.
    threads_count = 50
    assert append_at_once(store, threads_count) == []
    assert check(store) == audit.Verification(ok=True, rows=threads_count)
    with store.reading() as connection:
        rows = list(audit.entries(connection, newest_first=False))
    assert [e.seq for e in rows] == list(range(1, threads_count + 1))
    assert sorted(e.actor for e in rows) == sorted(f"user{n}" for n in range(threads_count))


def test_fifty_threads_appending_to_a_started_log_leave_an_intact_chain(store):
    fill(store, 1)
    assert append_at_once(store, 50) == []
    assert check(store) == audit.Verification(ok=True, rows=51)


# --- reading with filters -------------------------------------------------------------------


def test_entries_filter_by_action_actor_subject_and_time(store):
    with store.transaction() as connection:
        audit.record(
            connection, actor="alice", action="request.created", subject="request 1", now=T0
        )
    fill(store, 4)  # alice, bob, alice, bob at T0 + 1..4 minutes, offers 1..4
    with store.transaction() as connection:
        audit.record(
            connection,
            actor="carol",
            action="layer.loaded",
            subject="scenario 100%_erft",
            now=T0 + timedelta(minutes=10),
        )

    def seqs(**filters) -> list[int]:
        with store.reading() as connection:
            return [e.seq for e in audit.entries(connection, **filters)]

    assert seqs() == [6, 5, 4, 3, 2, 1]
    assert seqs(newest_first=False) == [1, 2, 3, 4, 5, 6]
    assert seqs(limit=2) == [6, 5]
    assert seqs(actions=["request.created", "layer.loaded"]) == [6, 1]
    assert seqs(actor="bob") == [5, 3]
    assert seqs(actor="bo") == []  # an actor is matched whole
    assert seqs(subject_contains="OFFER 3") == [4]
    # LIKE's wildcards are matched as themselves
    assert seqs(subject_contains="100%_") == [6]
    assert seqs(subject_contains="0%e") == []
    assert seqs(subject_contains="_") == [6]
    assert seqs(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4)) == [4, 3]
    assert seqs(since=T0 + timedelta(minutes=2), actor="alice") == [4]
    later = (T0 + timedelta(minutes=10)).astimezone(ZoneInfo("Europe/Berlin"))
    assert seqs(since=later) == [6]  # any time zone, compared in UTC


def test_entries_give_back_the_values_recorded(store):
    written = fill(store, 2)
    with store.reading() as connection:
        read = list(audit.entries(connection, newest_first=False))
    assert read == written


# --- readers (issue 16) ----------------------------------------------------------------------


def test_a_rows_readers_are_covered_by_its_hash(store):
    with store.transaction() as connection:
        for n in (1, 2, 3):
            audit.record(
                connection,
                actor="alice",
                action="offer.created",
                subject=f"offer {n}",
                after={"provider": "DE-A", "requester": "NL-B"},
                now=T0,
                readers=("NL-B", "DE-A", "NL-B"),
            )
    assert row(store, 2).readers == '["DE-A","NL-B"]'
    assert check(store).ok
    for tampered in ('["BE-C","DE-A","NL-B"]', None):  # a reader added, the readers removed
        tamper(store, audit_log.update().where(audit_log.c.seq == 2).values(readers=tampered))
        result = check(store)
        assert (result.ok, result.first_bad) == (False, 2)
        assert result.problem == "row 2 was changed: its content does not match its hash"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migration_0003_keeps_the_chain_of_old_rows_and_hides_their_dealings(
    kind, tmp_path, pg_admin
):
    from mutualaid.access.actor import system_actor
    from mutualaid.store import open_store
    from mutualaid.store.accounts import add_account
    from mutualaid.store.migrate import current_revision, head_revision, upgrade

    from .conftest import drop_database, new_database_url, upgrade_to

    url = new_database_url(kind, tmp_path, pg_admin)
    try:
        store = open_store(url)
        upgrade_to(store, "0002")
        assert current_revision(store) == "0002"
        # two rows as 0002 wrote them: no readers column, hashed without it
        prev = audit.GENESIS_HASH
        with store.engine.begin() as connection:
            for seq, (actor, action, after) in enumerate(
                [
                    (
                        "carol",
                        "offer.created",
                        '{"provider":"DE-A","requester":"NL-B",'
                        '"lines":[{"resource_id":"R-SECRET"}]}',
                    ),
                    ("carol", "layer.loaded", '{"incidents":{"version":2}}'),
                ],
                start=1,
            ):
                at = (T0 + timedelta(minutes=seq)).isoformat(timespec="microseconds")
                digest = audit.row_hash(
                    seq=seq,
                    at=at,
                    actor=actor,
                    action=action,
                    subject=f"row {seq}",
                    before="null",
                    after=after,
                    prev_hash=prev,
                )
                connection.exec_driver_sql(
                    "INSERT INTO audit_log (seq, at, actor, action, subject, before, after, "
                    f"prev_hash, hash) VALUES ({seq}, '{at}', '{actor}', '{action}', 'row {seq}', 'null', '{after}', "
                    f"'{prev}', '{digest}')"
                )
                prev = digest
            connection.execute(audit_head.delete())
            connection.execute(audit_head.insert().values(id=1, seq=2, hash=prev))
        assert upgrade(store) == ("0002", head_revision())
        assert check(store) == audit.Verification(ok=True, rows=2)
        add_account(
            store,
            username="carol",
            role="coordinator",
            jurisdiction="BE-C",
            actor=system_actor("test"),
        )  # row 3, with readers
        assert check(store).ok
        with store.reading() as connection:
            assert [
                r
                for (r,) in connection.execute(
                    sa.select(audit_log.c.readers).order_by(audit_log.c.seq)
                )
            ][:2] == [None, None]
            # carol's jurisdiction reads her layer row, not the offer naming two others
            assert [e.subject for e in audit.entries(connection, jurisdiction="BE-C")] == ["row 2"]
        store.dispose()
    finally:
        drop_database(url, pg_admin)
