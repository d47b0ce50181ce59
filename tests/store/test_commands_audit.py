"""`mutualaid audit verify` and `mutualaid audit export` on both backends: exit codes,
the first bad row named, one clear line when the store cannot be opened, exports oldest
first with cells safe for spreadsheets, and an export that re-verifies on its own."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import record_audit
from mutualaid.cli.main import main
from mutualaid.store import audit, jsontext, open_store
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.tables import audit_log

from .conftest import drop_database, new_database_url

EXECUTABLE = Path(sys.executable).parent / "mutualaid"
T0 = datetime(2026, 7, 14, 17, 30, tzinfo=UTC)
HOSTILE = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def filled(store, store_url, monkeypatch):
    """The store named by MUTUALAID_DATABASE_URL, with three audited changes."""
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    rows = [
        ("alice", "request.created", "request 1", None, {"state": "open"}),
        (
            "bob",
            "offer.committed",
            "offer 7",
            {"state": "proposed"},
            {"state": "committed", "units": 2},
        ),
        (HOSTILE, "layer.loaded", "@SUM(A1)", None, {"source": "-2+3", "n": -2}),
    ]
    record_audit(store, [(*row, T0 + timedelta(minutes=n)) for n, row in enumerate(rows)])
    return store


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def tamper(store, statement) -> None:
    with store.engine.begin() as connection:
        connection.execute(statement)


# --- verify ---------------------------------------------------------------------------------


def test_verify_an_intact_log(filled, capsys):
    assert run(capsys, "verify") == (0, "audit log intact: 3 rows\n", "")


def test_verify_an_empty_log(store, store_url, monkeypatch, capsys):
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    assert run(capsys, "verify") == (0, "audit log intact: 0 rows\n", "")


def test_verify_names_a_changed_row(filled, capsys):
    tamper(filled, audit_log.update().where(audit_log.c.seq == 2).values(actor="mallory"))
    code, out, err = run(capsys, "verify")
    assert (code, out) == (1, "")
    assert err == (
        "audit log NOT intact: row 2 was changed: its content does not match "
        "its hash (2 rows read)\n"
    )


def test_verify_names_a_deleted_row(filled, capsys):
    tamper(filled, audit_log.delete().where(audit_log.c.seq == 2))
    code, _out, err = run(capsys, "verify")
    assert code == 1
    assert "row 2 is missing: it was removed" in err


def test_verify_names_the_deleted_last_row(filled, capsys):
    tamper(filled, audit_log.delete().where(audit_log.c.seq == 3))
    code, _out, err = run(capsys, "verify")
    assert code == 1
    assert "rows 3 to 3 are missing" in err


def test_verify_names_reordered_rows(filled, capsys):
    tamper(filled, audit_log.update().where(audit_log.c.seq == 1).values(seq=100))
    tamper(filled, audit_log.update().where(audit_log.c.seq == 2).values(seq=1))
    tamper(filled, audit_log.update().where(audit_log.c.seq == 100).values(seq=2))
    code, _out, err = run(capsys, "verify")
    assert code == 1
    assert "row 1 " in err and "reordered" in err


def test_the_installed_command_exits_with_the_verdict(filled, store_url):
    env = {DATABASE_URL_ENV: store_url, "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(
        [str(EXECUTABLE), "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert (ok.returncode, ok.stdout) == (0, "audit log intact: 3 rows\n")
    tamper(filled, audit_log.update().where(audit_log.c.seq == 3).values(before='"x"'))
    broken = subprocess.run(
        [str(EXECUTABLE), "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert broken.returncode == 1
    assert "row 3 was changed" in broken.stderr
    assert "Traceback" not in broken.stderr


# --- a store that cannot be opened ---------------------------------------------------------


def one_line_failure(capsys, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("command", ["verify", "export"])
def test_a_missing_sqlite_file_is_one_line_and_creates_nothing(
    tmp_path, monkeypatch, capsys, command
):
    path = tmp_path / "nowhere" / "store.sqlite"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{path}")
    err = one_line_failure(capsys, command)
    assert f"there is no file at {path}" in err and "mutualaid db init" in err
    assert not path.exists() and not path.parent.exists()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_store_without_its_schema_is_one_line(kind, tmp_path, pg_admin, monkeypatch, capsys):
    url = new_database_url(kind, tmp_path, pg_admin)
    try:
        if kind == "sqlite":  # an existing file that is no store
            empty = open_store(url)
            with empty.transaction() as connection:
                connection.exec_driver_sql("CREATE TABLE other (x INTEGER)")
            empty.dispose()
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        err = one_line_failure(capsys, "verify")
        assert "has no audit log (run `mutualaid db init` first)" in err
    finally:
        drop_database(url, pg_admin)


def test_an_unreachable_server_is_one_line(monkeypatch, capsys):
    # Port 9 (discard) on this machine: nothing listens there.
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://someone:secret@127.0.0.1:9/mutualaid")
    err = one_line_failure(capsys, "verify")
    assert err.startswith("mutualaid audit verify: cannot open the store postgresql")
    assert "secret" not in err  # the password is never printed


def test_a_file_that_is_not_a_database_is_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "store.sqlite"
    path.write_text("not a database, just text\n" * 100)
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{path}")
    err = one_line_failure(capsys, "verify")
    assert "cannot open the store" in err


def test_a_url_that_is_no_url_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv(DATABASE_URL_ENV, "not a url")
    assert "is not a database URL" in one_line_failure(capsys, "verify")


# --- export ---------------------------------------------------------------------------------


def test_export_csv_every_row_oldest_first_and_neutralised(filled, capsys):
    code, out, err = run(capsys, "export")
    assert (code, err) == (0, "")
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["seq"] for r in table] == ["1", "2", "3"]
    assert [r["actor"] for r in table] == ["alice", "bob", "'" + HOSTILE]
    assert table[2]["subject"] == "'@SUM(A1)"
    assert table[1]["before"] == '{"state":"proposed"}'
    assert table[0]["before"] == "null"
    assert table[0]["at"] == "2026-07-14T17:30:00.000000+00:00"
    # No cell a spreadsheet would run.
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in table for cell in r.values())
    assert list(table[0]) == [
        "seq",
        "at",
        "actor",
        "action",
        "subject",
        "before",
        "after",
        "prev_hash",
        "hash",
    ]


def test_export_json_to_a_file_reverifies_on_its_own(filled, tmp_path, capsys):
    target = tmp_path / "audit.json"
    code, out, err = run(capsys, "export", "--format", "json", "--out", str(target))
    assert (code, out) == (0, "")
    assert err == f"3 audit rows written to {target}\n"
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert rows[2]["actor"] == HOSTILE  # JSON keeps the text as it is
    assert rows[1]["after"] == {"state": "committed", "units": 2}
    # The copy carries everything needed to check the chain without the store.
    prev = audit.GENESIS_HASH
    for row in rows:
        assert row["prev_hash"] == prev
        assert row["hash"] == audit.row_hash(
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            subject=row["subject"],
            before=jsontext.dumps(row["before"]),
            after=jsontext.dumps(row["after"]),
            prev_hash=row["prev_hash"],
        )
        prev = row["hash"]
    assert not (tmp_path / "audit.json.partial").exists()


def test_export_of_an_empty_log(store, store_url, monkeypatch, capsys):
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    assert run(capsys, "export", "--format", "json") == (0, "[]\n", "")
    code, out, _ = run(capsys, "export")
    header = "seq,at,actor,action,subject,before,after,prev_hash,hash"
    assert (code, out.splitlines()) == (0, [header])


def test_export_shows_a_tampered_row_as_it_now_is(filled, capsys):
    tamper(filled, audit_log.update().where(audit_log.c.seq == 2).values(before="{broken"))
    code, out, _ = run(capsys, "export", "--format", "json")
    assert code == 0
    assert json.loads(out)[1]["before"] == "{broken"


def test_export_refuses_an_unknown_format(filled, capsys):
    code, _out, err = run(capsys, "export", "--format", "xlsx")
    assert code == 2 and "invalid choice: 'xlsx'" in err


def test_export_into_a_missing_folder_is_one_line(filled, tmp_path, capsys):
    code = main(["audit", "export", "--out", str(tmp_path / "no" / "such" / "dir.csv")])
    _out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1


def test_rows_seen_through_sqlalchemy_match_the_export(filled, capsys):
    with filled.reading() as connection:
        hashes = [
            h for (h,) in connection.execute(sa.select(audit_log.c.hash).order_by(audit_log.c.seq))
        ]
    _code, out, _ = run(capsys, "export")
    assert [r["hash"] for r in csv.DictReader(io.StringIO(out))] == hashes
