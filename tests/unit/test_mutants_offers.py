"""The offers' money rules, pinned where mutation testing found them loose.

How an amount and a percentage read in the offers table and the CSV (plain digits, never
scientific notation, no trailing zeros on a percentage), and a trial extension for no outage.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tui.amends.offers import OffersError
from tui.amends.offers.cells import fit
from tui.amends.offers.customer_list import check_customers, read_offers_file
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


# the customer list and the table's cells ---------------------------------------------------

HEADER = "customer_id,name,plan,monthly_amount,currency,affected"


def _refused(text: str) -> list[str]:
    with pytest.raises(OffersError) as info:
        check_customers(text, "customers.csv", ["standard"])
    return info.value.problems


def test_a_missing_column_is_named_with_what_the_header_has() -> None:
    assert _refused("customer_id,name,plan,monthly_amount,currency\n") == [
        "customers.csv:1: missing required column affected (the header has 'customer_id', "
        "'name', 'plan', 'monthly_amount', 'currency'; it needs customer_id, name, plan, "
        "monthly_amount, currency, affected)"
    ]


def test_a_column_is_known_by_its_exact_name_whatever_its_case() -> None:
    # "Xplan" is not "plan": only spaces and a byte-order mark around a name are dropped
    problems = _refused("customer_id,name,Xplan,monthly_amount,currency,affected\n")
    assert problems and "missing required column plan " in problems[0]
    checked = check_customers(
        " Customer_ID ,NAME,Plan,monthly_amount,currency,affected\nc1,Acme,standard,1,USD,yes\n",
        "customers.csv",
        ["standard"],
    )
    assert checked is not None and not checked.bad


def test_too_many_decimals_names_the_amount_given() -> None:
    checked = check_customers(
        f"{HEADER}\nc1,Acme,standard,1.12345678901,USD,yes\n", "customers.csv", ["standard"]
    )
    assert checked is not None
    [(line, messages)] = checked.bad
    assert line == 2
    assert any("monthly_amount '1.12345678901' has more than 10 decimals" in m for m in messages)


@pytest.mark.parametrize(
    ("text", "width", "shown"),
    [
        ("hello", 0, ""),
        ("hello", 1, "…"),
        ("hello", 2, "h…"),
        ("hello", 4, "hel…"),
        ("hello", 5, "hello"),
        ("hi", 4, "hi  "),
    ],
)
def test_a_cell_is_cut_with_an_ellipsis_and_padded_to_its_width(
    text: str, width: int, shown: str
) -> None:
    assert fit(text, width) == shown


def test_a_line_break_inside_a_quoted_name_is_kept_as_written() -> None:
    text = (
        f"{HEADER}\r\n"
        'c1,"Acme\r\nWest",standard,1,USD,yes\r\n'
        'c2,"Beta\rEast",standard,1,USD,yes\r\n'
    )
    checked = check_customers(text, "customers.csv", ["standard"])
    assert checked is not None and not checked.bad
    assert [(r.line, r.name) for r in checked.rows] == [(2, "Acme\r\nWest"), (4, "Beta\rEast")]


def test_a_list_saved_with_old_mac_line_endings_reads_row_by_row() -> None:
    text = f"{HEADER}\rc1,Acme,standard,1,USD,yes\rc2,Beta,standard,2,USD,no\r"
    checked = check_customers(text, "customers.csv", ["standard"])
    assert checked is not None and not checked.bad
    assert [(r.line, r.customer_id) for r in checked.rows] == [(2, "c1"), (3, "c2")]


def test_a_refusal_counts_the_problems_it_does_not_list() -> None:
    from datetime import timedelta as td

    from tests.conftest import MAJOR
    from tui.amends.offers import compute_offers
    from tui.core.playbook import load_playbook

    policy = load_playbook(MAJOR).recovery
    assert policy is not None
    rows = "".join(f"c{i},Acme,gold,1,USD,yes\n" for i in range(60))  # 60 unknown plans
    with pytest.raises(OffersError) as info:
        compute_offers(f"{HEADER}\n{rows}", "customers.csv", policy, td(hours=3))
    assert len(info.value.problems) == 50 and info.value.total == 60
    assert info.value.lines[-1] == "… and 10 more problems"


# the one entry point of `warroom offers` and the dashboard ------------------------------------


def test_an_incidents_offers_follow_its_playbooks_policy_and_its_outage_so_far(tmp_path) -> None:
    """A real war room (SQLite file) opened 5 h ago with the major-outage playbook: a
    standard customer gets that policy's 15 % (4 h step), an enterprise one the credit and
    a consultation, a free one the outage plus the 2-day buffer in whole days."""
    from datetime import UTC, datetime

    from tests.conftest import MAJOR
    from tui import commands
    from tui.amends.offers import offers_for
    from tui.core.clock import FrozenClock
    from tui.core.playbook import load_playbook
    from tui.core.store import Store

    t0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    csv = tmp_path / "customers.csv"
    csv.write_text(
        HEADER + "\nc1,Ada,standard,100.00,EUR,yes\nc2,Bob,enterprise,1000,USD,yes\n"
        "c3,Cy,free,0,EUR,yes\nc4,Di,standard,50,EUR,no\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "incident.db")
    try:
        book = load_playbook(MAJOR)
        incident = commands.start(store, FrozenClock(t0), "alice", book, "Logins fail", {}, t0)
        result = offers_for(store.state(incident.incident_id), csv, t0 + timedelta(hours=5))
    finally:
        store.close()
    rows = {c.customer_id: c for c in result.customers}
    assert result.outage_minutes == 300
    assert f"outage {result.outage_minutes} min" == "outage 300 min"  # as the CLI says it
    assert (rows["c1"].offer, rows["c1"].credit_pct, rows["c1"].credit_amount) == (
        "credit",
        Decimal(15),
        Decimal("15.00"),
    )
    assert rows["c2"].offer == "credit+consultation" and rows["c2"].consultation
    assert rows["c2"].credit_amount == Decimal("150.00")
    assert (rows["c3"].offer, rows["c3"].trial_extension_days) == ("trial_extension", 3)
    assert rows["c4"].offer == "none"
    assert result.totals == {"EUR": Decimal("15.00"), "USD": Decimal("150.00")}


def _bad(amount: str) -> list[str]:
    """The problems of one row whose monthly_amount is ``amount``."""
    checked = check_customers(
        f'{HEADER}\nc1,Acme,standard,"{amount}",USD,yes\n', "customers.csv", ["standard"]
    )
    assert checked is not None
    return [m for _, messages in checked.bad for m in messages]


def test_an_amount_with_exactly_the_most_decimals_is_accepted() -> None:
    assert _bad("1." + "1" * 10) == []
    assert _bad("1." + "1" * 11) == ["monthly_amount '1.11111111111' has more than 10 decimals"]


def test_a_comma_in_an_amount_is_refused_with_how_to_write_it() -> None:
    assert _bad("1,234.50") == [
        "monthly_amount '1,234.50' contains a comma: thousands separators and decimal commas "
        "are not accepted (write e.g. 1234.50)"
    ]


def test_a_long_bad_value_is_cut_in_the_message() -> None:
    shown = repr("9" * 70)[:57] + "..."
    assert _bad("9" * 70) == [f"monthly_amount {shown} is too large"]
    assert _bad("9" * 16) == [f"monthly_amount '{'9' * 16}' is too large"]  # short: whole


def test_a_negative_zero_amount_is_a_zero_credit_not_minus_zero() -> None:
    from tests.conftest import MAJOR
    from tui.amends.offers import compute_offers
    from tui.amends.offers.money import amount_text
    from tui.core.playbook import load_playbook

    policy = load_playbook(MAJOR).recovery
    assert policy is not None
    result = compute_offers(
        f"{HEADER}\nc1,Acme,standard,-0,USD,yes\n", "customers.csv", policy, timedelta(hours=1)
    )
    [row] = result.customers
    assert row.credit_amount is not None and amount_text(row.credit_amount) == "0.00"
    assert amount_text(result.totals["USD"]) == "0.00"


def test_a_plan_with_no_offers_is_refused_by_the_playbook(tmp_path) -> None:
    """Why an affected customer's offer is never empty (tests/README.md, equivalent mutants):
    the playbook refuses a plan without offers, naming its line."""
    from tests.conftest import MAJOR
    from tui.core.playbook import PlaybookError, load_playbook

    book = tmp_path / "book.yaml"
    text = MAJOR.read_text(encoding="utf-8")
    assert "    free: [trial_extension]\n" in text
    book.write_text(text.replace("    free: [trial_extension]\n", "    free: []\n"), "utf-8")
    with pytest.raises(PlaybookError) as info:
        load_playbook(book)
    assert "plan 'free' must not be empty" in str(info.value)


def test_an_incidents_offers_name_the_file_in_each_problem_and_need_a_policy(tmp_path) -> None:
    """A bad row is named FILE:LINE with the path given (what `warroom offers` prints);
    a playbook without a recovery policy is refused by name."""
    from datetime import UTC, datetime

    from tests.conftest import MAJOR, MINOR
    from tui import commands
    from tui.amends.offers import offers_for
    from tui.core.clock import FrozenClock
    from tui.core.playbook import load_playbook
    from tui.core.store import Store

    t0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    csv = tmp_path / "customers.csv"
    csv.write_text(HEADER + "\nc1,Ada,standard,12x,EUR,yes\nc2,Bob,standard,10,EUR,yes\n", "utf-8")
    store = Store(tmp_path / "incident.db")
    try:
        clock = FrozenClock(t0)
        major = commands.start(store, clock, "alice", load_playbook(MAJOR), "Logins", {}, t0)
        minor = commands.start(store, clock, "alice", load_playbook(MINOR), "Slow", {}, t0)
        with pytest.raises(OffersError) as info:
            offers_for(store.state(major.incident_id), csv, t0)
        assert info.value.lines[0].startswith(f"{csv}:2: monthly_amount '12x' is not a number")
        kept = offers_for(store.state(major.incident_id), csv, t0, skip_bad=True)
        assert [c.customer_id for c in kept.customers] == ["c2"]
        assert kept.skipped[0].startswith(f"{csv}:2: ")
        with pytest.raises(OffersError) as info:
            offers_for(store.state(minor.incident_id), csv, t0)
        assert "has no recovery policy" in info.value.lines[0]
    finally:
        store.close()


def test_a_bad_amount_is_named_in_full_up_to_60_characters() -> None:
    assert _bad("12x") == [
        "monthly_amount '12x' is not a number (digits with an optional decimal point and no "
        "currency symbol, e.g. 1234.50)"
    ]
    v = "a" * 58  # its repr is 60 characters: shown whole
    assert _bad(v)[0].startswith(f"monthly_amount '{v}' is not a number")
    assert _bad("+" + "9" * 15) == []  # 15 digits after the sign: not too large


def test_two_missing_columns_are_both_named() -> None:
    [problem] = _refused("customer_id,name,plan,monthly_amount\n")
    assert problem.startswith(
        "customers.csv:1: missing required columns currency, affected (the header has"
    ), problem


def test_bad_rows_are_all_counted_and_the_first_50_listed() -> None:
    rows = "".join(f"c{i},Acme,standard,{i}x,USD,yes\n" for i in range(52))
    checked = check_customers(f"{HEADER}\n{rows}", "customers.csv", ["standard"])
    assert checked is not None
    assert checked.bad_rows == 52
    assert len(checked.bad) == 50


def test_a_byte_order_mark_before_any_column_name_is_dropped() -> None:
    """Two lists pasted side by side (or saved twice by an editor) leave a byte-order mark
    before a later column name, or a second one at the start: the column is still known."""
    for header in (
        "customer_id,\ufeffname,plan,monthly_amount,currency,affected",
        "\ufeff\ufeffcustomer_id,name,plan,monthly_amount,currency,affected",
    ):
        checked = check_customers(f"{header}\nc1,Acme,standard,1,USD,yes\n", "c.csv", ["standard"])
        assert checked is not None and not checked.bad, header
        assert [(r.customer_id, r.name) for r in checked.rows] == [("c1", "Acme")]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_list_either_byte_order_is_named_utf16_not_binary(tmp_path, encoding) -> None:
    """Excel's "Unicode text" comes in both byte orders, each with its byte-order mark: both
    are told to be saved as CSV UTF-8 (not called a binary file for their zero bytes)."""
    path = tmp_path / "c.csv"
    path.write_bytes("\ufeffcustomer_id,name\nc1,Acme\n".encode(encoding))
    with pytest.raises(OffersError) as info:
        read_offers_file(path)
    assert info.value.problems == [
        f"{path}:1: the customer list is UTF-16 text; save it as CSV UTF-8"
    ]
