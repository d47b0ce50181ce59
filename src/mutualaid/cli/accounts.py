"""``mutualaid users``: manage the local accounts of the store.

    mutualaid users add USERNAME --role ROLE [--jurisdiction J] [--name NAME] [--password-stdin]
    mutualaid users passwd USERNAME [--password-stdin]
    mutualaid users disable USERNAME
    mutualaid users enable USERNAME
    mutualaid users list
    mutualaid users unlock USERNAME

An account's jurisdiction must be one of the stored scenarios' jurisdictions (a typo is
refused, naming the close ones); on a store with no scenario yet it cannot be checked
and ``users add`` says so. The command acts as the local system user
(``system:<login name>``, an admin) on the store ``MUTUALAID_DATABASE_URL`` names,
creating or upgrading its schema first. Without
``--password-stdin`` a strong password is generated and printed once; with it, the first
line of standard input is the password (so it never appears in the shell's history or
the process list), or, on a terminal, the password typed at a prompt that does not echo.

``users list`` ends with the usernames whose sign-ins are delayed or failed lately
(issue 13); ``users unlock`` clears a username's delays and counts (audited).

Exit codes: 0 done, 1 refused (the message says why), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from mutualaid.access.actor import ROLES, Actor, system_actor

if TYPE_CHECKING:  # SQLAlchemy and the store are imported when a command runs, so that
    # building the ``mutualaid`` parser stays fast (issue 11)
    from mutualaid.store.database import Store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``users`` and its subcommands to the ``mutualaid`` parser."""
    users = subparsers.add_parser("users", help="manage the store's local accounts")
    sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = sub.add_parser("add", help="create an account")
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--role", required=True, choices=ROLES, help="what the account may do")
    add.add_argument(
        "--jurisdiction",
        metavar="J",
        default=None,
        help="the jurisdiction it acts for (required except for an admin): the id of one "
        "of the stored scenarios' jurisdictions",
    )
    add.add_argument("--name", metavar="NAME", default=None, help="display name for people")
    _password_stdin(add)
    add.set_defaults(handler=_handler(_add))

    passwd = sub.add_parser("passwd", help="set an account's password")
    passwd.add_argument("username", metavar="USERNAME")
    _password_stdin(passwd)
    passwd.set_defaults(handler=_handler(_passwd))

    for name, action, text in (
        ("disable", _disable, "stop an account from signing in"),
        ("enable", _enable, "let a disabled account sign in again"),
    ):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("username", metavar="USERNAME")
        parser.set_defaults(handler=_handler(action))

    listing = sub.add_parser("list", help="list the accounts")
    listing.set_defaults(handler=_handler(_list))

    unlock = sub.add_parser(
        "unlock", help="clear the sign-in delays of a username (after failed tries)"
    )
    unlock.add_argument("username", metavar="USERNAME")
    unlock.set_defaults(handler=_handler(_unlock))


def _password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input "
        "(otherwise one is generated and printed once)",
    )


def _handler(
    action: Callable[[Store, argparse.Namespace, Actor], int],
) -> Callable[[argparse.Namespace], int]:
    """Open and upgrade the store, run *action* as the system user, turn every expected
    failure into a message and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        import sqlalchemy as sa

        from mutualaid.store import accounts
        from mutualaid.store.database import open_store
        from mutualaid.store.migrate import upgrade

        where = f"mutualaid users {args.users_command}"
        store = None
        try:
            store = open_store()
            upgrade(store)
            return action(store, args, system_actor(_login_name()))
        except accounts.AccountError as exc:
            print(f"{where}: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        except sa.exc.SQLAlchemyError as exc:
            shown = store.url if store is not None else "the store"
            print(
                f"{where}: cannot use {shown}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        finally:
            if store is not None:
                store.dispose()

    return run


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def _new_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set and whether it was generated (then it is printed once)."""
    from mutualaid.store import accounts

    if args.password_stdin:
        if sys.stdin.isatty():  # typed by a person: ask without echoing it
            return getpass.getpass(f"password for {args.username}: "), False
        line = sys.stdin.readline()
        return line.rstrip("\r\n"), False
    return accounts.generate_password(), True


def _add(store: Store, args: argparse.Namespace, actor: Actor) -> int:
    from mutualaid.store import accounts

    password, generated = _new_password(args)
    account = accounts.add_account(
        store,
        username=args.username,
        role=args.role,
        jurisdiction=args.jurisdiction,
        password=password,
        display_name=args.name,
        actor=actor,
    )
    where = f" for {account.jurisdiction}" if account.jurisdiction else ""
    print(f"created {account.username} ({account.role}{where})")
    if account.jurisdiction:
        from mutualaid.store.layer_store import stored_jurisdictions

        if not stored_jurisdictions(store):
            # add_account checked it against the stored scenarios' jurisdictions: none yet.
            print(
                f"note: the store holds no scenario yet, so {account.jurisdiction} could "
                "not be checked against its jurisdictions (`mutualaid load SCENARIO_DIR` "
                "first)",
                file=sys.stderr,
            )
    if generated:
        _show_generated(account.username, password)
    return EXIT_OK


def _passwd(store: Store, args: argparse.Namespace, actor: Actor) -> int:
    from mutualaid.store import accounts

    password, generated = _new_password(args)
    account = accounts.set_password(store, args.username, password, actor=actor)
    print(f"password of {account.username} set")
    if generated:
        _show_generated(account.username, password)
    return EXIT_OK


def _show_generated(username: str, password: str) -> None:
    print(f"password for {username} (shown once, stored only as a hash): {password}")


def _disable(store: Store, args: argparse.Namespace, actor: Actor) -> int:
    from mutualaid.store import accounts

    before = accounts.get_account(store, args.username)
    account = accounts.disable_account(store, args.username, actor=actor)
    done = "was already disabled" if before is not None and before.disabled else "disabled"
    print(f"{account.username} {done}")
    return EXIT_OK


def _enable(store: Store, args: argparse.Namespace, actor: Actor) -> int:
    from mutualaid.store import accounts

    before = accounts.get_account(store, args.username)
    account = accounts.enable_account(store, args.username, actor=actor)
    done = "was already enabled" if before is not None and not before.disabled else "enabled"
    print(f"{account.username} {done}")
    return EXIT_OK


def _list(store: Store, args: argparse.Namespace, actor: Actor) -> int:
    from mutualaid.store import accounts

    rows = [("username", "name", "role", "jurisdiction", "disabled")]
    rows += [
        (a.username, a.display_name, a.role, a.jurisdiction or "-", "yes" if a.disabled else "no")
        for a in accounts.list_accounts(store)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if len(rows) == 1:
        print("(no accounts: create one with `mutualaid users add USERNAME --role admin`)")
    _list_throttles(store)
    return EXIT_OK


def _list_throttles(store: Store) -> None:
    """The usernames with failed or refused sign-ins lately, after the table."""
    from mutualaid.store import sign_in

    states = sorted(sign_in.throttles(store).items())
    if not states:
        return
    print("")
    print("sign-ins failed lately (clear with `mutualaid users unlock USERNAME`):")
    width = max(len(name) for name, _state in states)
    for name, state in states:
        print(f"  {name.ljust(width)}  {state.words()}")


def _unlock(store: Store, args: argparse.Namespace, actor: Actor) -> int:
    from mutualaid.store import sign_in

    cleared = sign_in.unlock(store, args.username, actor=actor)
    print(
        f"sign-in delays of {args.username} cleared"
        if cleared
        else f"{args.username} had no sign-in delays"
    )
    return EXIT_OK
