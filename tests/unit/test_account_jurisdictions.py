"""Issue 13: the check of an account's jurisdiction against the stored ones, and the
close ones a refusal names (no store: the store's side is tests/store/)."""

from __future__ import annotations

import pytest

from mutualaid.errors import AccountError
from mutualaid.settings import JURISDICTION_SUGGESTIONS
from mutualaid.store.accounts import check_stored_jurisdiction, close_jurisdictions

RHINE = ("BE-WLG", "BE-WNA", "DE-NW", "DE-RP", "DE-SL", "LU-L", "NL-LI", "CH-BE")


@pytest.mark.parametrize(
    "typed, close",
    [
        ("DE-RPX", ["DE-RP"]),
        ("de-rp", ["DE-RP"]),  # the same id in another case: that one alone
        ("BE-WL", ["BE-WLG", "BE-WNA"]),
        ("NL-L1", ["NL-LI"]),
        ("Atlantis", []),
    ],
)
def test_close_jurisdictions(typed, close):
    assert close_jurisdictions(typed, RHINE) == close


def test_at_most_the_configured_number_of_close_ones_are_named():
    many = [f"XX-{n}" for n in range(20)]
    assert len(close_jurisdictions("XX-", many)) == JURISDICTION_SUGGESTIONS


def test_a_known_jurisdiction_or_none_passes():
    assert check_stored_jurisdiction("DE-RP", RHINE) == "DE-RP"
    assert check_stored_jurisdiction(None, RHINE) is None


def test_with_nothing_stored_nothing_can_be_checked():
    assert check_stored_jurisdiction("DE-RPX", ()) == "DE-RPX"


def test_a_typo_is_refused_with_the_close_ones():
    with pytest.raises(AccountError) as refused:
        check_stored_jurisdiction("DE-RPX", RHINE)
    assert str(refused.value) == (
        "the jurisdiction 'DE-RPX' is not one of the stored scenarios' jurisdictions; "
        "did you mean DE-RP?"
    )
    with pytest.raises(AccountError, match=r"did you mean BE-WLG or BE-WNA\?$"):
        check_stored_jurisdiction("BE-WL", RHINE)


def test_far_from_all_the_first_ones_and_the_count_are_named():
    with pytest.raises(AccountError) as refused:
        check_stored_jurisdiction("Atlantis", RHINE)
    assert str(refused.value).endswith(
        "nor close to one; they are BE-WLG, BE-WNA, CH-BE, DE-NW, DE-RP and 3 more"
    )
