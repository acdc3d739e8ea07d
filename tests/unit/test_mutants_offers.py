"""The offers' money rules, pinned where mutation testing found them loose.

How an amount and a percentage read in the offers table and the CSV (plain digits, never
scientific notation, no trailing zeros on a percentage), and a trial extension for no outage.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tui.amends.offers.money import amount_text, pct_text, trial_extension_days


@pytest.mark.parametrize(
    ("amount", "text"),
    [("12.50", "12.50"), ("1.25E+1", "12.5"), ("1E+2", "100"), ("0.001", "0.001"), ("7", "7")],
)
def test_an_amount_reads_as_plain_digits(amount: str, text: str) -> None:
    assert amount_text(Decimal(amount)) == text


@pytest.mark.parametrize(
    ("pct", "text"),
    [
        ("10", "10"),
        ("10.0", "10"),
        ("12.50", "12.5"),
        ("0.50", "0.5"),
        ("100", "100"),
        ("1E+1", "10"),
        ("2.5E+1", "25"),
    ],
)
def test_a_percentage_reads_without_trailing_zeros(pct: str, text: str) -> None:
    assert pct_text(Decimal(pct)) == text


def test_no_percentage_stays_none() -> None:
    assert pct_text(None) is None


def test_a_trial_extension_rounds_the_outage_and_buffer_up_to_whole_days() -> None:
    assert trial_extension_days(timedelta(0), timedelta(0)) == 0
    assert trial_extension_days(timedelta(microseconds=1), timedelta(0)) == 1
    assert trial_extension_days(timedelta(days=1), timedelta(0)) == 1
    assert trial_extension_days(timedelta(days=1), timedelta(microseconds=1)) == 2
    assert trial_extension_days(timedelta(hours=30), timedelta(days=2)) == 4
