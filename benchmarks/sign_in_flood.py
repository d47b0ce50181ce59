"""Sign-in flood benchmark (security issue 16, item 3): what a flood of password tries
costs one app server, and how long a real person then waits to sign in.

Usage::

    python benchmarks/sign_in_flood.py [--threads 60] [--tries 10]

*threads* attackers each try *tries* unknown usernames, all from one address, through
:func:`mutualaid.store.sign_in.sign_in_with_password` on a fresh SQLite store; half a
second in, a coordinator signs in from another address (retrying every half second when
told to). Printed: verifications run (argon2), tries refused, the coordinator's wait and
the process's peak memory. Before the fix, 60 such tries made a signed-in person's
rerun take 38 s and the server 2.6 GB.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import threading
import time

from mutualaid.access.actor import system_actor
from mutualaid.errors import SignInRefused
from mutualaid.store import open_store
from mutualaid.store import sign_in as sign_in_module
from mutualaid.store.accounts import add_account
from mutualaid.store.migrate import upgrade

PASSWORD = "correct horse battery"


def main() -> None:
    """Run the flood and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=60)
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    store = open_store(f"sqlite:///{folder}/store.sqlite")
    upgrade(store)
    add_account(
        store,
        username="alice",
        role="coordinator",
        jurisdiction="DE-NW",
        password=PASSWORD,
        actor=system_actor("benchmark"),
    )
    counts = {"verified": 0, "refused": 0}
    real = sign_in_module.authenticate

    def counted(*a, **k):
        counts["verified"] += 1
        return real(*a, **k)

    sign_in_module.authenticate = counted

    def attack(n: int) -> None:
        for i in range(args.tries):
            try:
                sign_in_module.sign_in_with_password(
                    store, f"nobody{n}-{i}", "x" * 20, client="203.0.113.9"
                )
            except SignInRefused:
                counts["refused"] += 1

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(args.threads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    asked, tries = time.monotonic(), 0
    while True:
        tries += 1
        try:
            sign_in_module.sign_in_with_password(store, "alice", PASSWORD, client="10.0.0.5")
            break
        except SignInRefused:
            time.sleep(0.5)
    waited = time.monotonic() - asked
    for thread in threads:
        thread.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.threads * args.tries} tries from one address in "
        f"{time.monotonic() - started:.1f} s: {counts['verified']} password "
        f"verifications (the coordinator's included), {counts['refused']} tries refused; "
        f"the coordinator signed in after {waited:.2f} s ({tries} tries); "
        f"peak memory {peak:.0f} MiB"
    )
    store.dispose()


if __name__ == "__main__":
    main()
