"""Tests for tui.amends.offers: the recovery offer per customer, from a CSV and the policy."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.amends.offers import (
    MAX_BYTES,
    ROUNDING,
    ZERO_DECIMAL_CURRENCIES,
    CustomerOffer,
    OffersError,
    OffersResult,
    compute_offers,
    read_offers_file,
)
from tui.core.playbook import load_playbook

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_playbook(ROOT / "playbooks/saas-major-outage.yaml").recovery
HEADER = "customer_id,name,plan,monthly_amount,currency,affected"
H3 = timedelta(hours=3)


def offers(text: str, outage: timedelta = H3, **kw) -> OffersResult:
    return compute_offers(text, "customers.csv", POLICY, outage, **kw)


def refused(text: str, outage: timedelta = H3, **kw) -> list[str]:
    with pytest.raises(OffersError) as info:
        offers(text, outage, **kw)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def by_id(result: OffersResult) -> dict[str, CustomerOffer]:
    return {c.customer_id: c for c in result.customers}


# --------------------------------------------------------------------------- the policy


def test_the_shipped_policy_is_what_these_tests_assume():
    assert POLICY is not None
    assert (POLICY.credit_min_pct, POLICY.credit_max_pct) == (Decimal(5), Decimal(20))
    assert POLICY.trial_buffer == timedelta(days=2)
    assert dict(POLICY.plans) == {
        "free": ("trial_extension",),
        "trial": ("trial_extension",),
        "standard": ("credit",),
        "enterprise": ("credit", "consultation"),
    }


# --------------------------------------------------------------------------- golden

GOLDEN_CSV = """\
customer_id,name,plan,monthly_amount,currency,affected,affected_minutes
f1,Free Fran,free,0,USD,yes,
t1,Trial Tom,trial,0,EUR,TRUE,2880
t2,Trial Tia,trial,0,EUR,1,2881
s1,Standard Sam,standard,99.99,USD,yes,
s2,Standard Sue,standard,50,EUR,no,
s3,Standard Sid,standard,100,USD,Yes,0
e1,Enterprise KK,enterprise,12350,JPY,true,240
e2,Enterprise Eve,enterprise,0.05,USD,1,
e3,Enterprise Eli,enterprise,1.2345,KWD,yes,
e4,Enterprise Ed,Enterprise,1000,USD,no,600
"""

# id: offer, credit_pct, credit_amount, trial_extension_days, consultation, affected_minutes
GOLDEN = {
    # 3h outage + 2d buffer = 2.125 days -> 3
    "f1": ("trial_extension", None, None, 3, False, None),
    # exactly 48h + 2d = 4 days; one minute more -> 5
    "t1": ("trial_extension", None, None, 4, False, 2880),
    "t2": ("trial_extension", None, None, 5, False, 2881),
    # 3h -> 10 %; 99.99 x 10 % = 9.999 -> 10.00
    "s1": ("credit", "10", "10.00", None, False, None),
    "s2": ("none", None, None, None, False, None),
    # the customer's own 0 minutes -> the 5 % floor
    "s3": ("credit", "5", "5.00", None, False, 0),
    # own 4h -> 15 %; 12350 x 15 % = 1852.5 -> 1853 (JPY has no minor unit, half-up)
    "e1": ("credit+consultation", "15", "1853", None, True, 240),
    # 0.05 x 10 % = 0.005 -> 0.01 (half-up, not banker's)
    "e2": ("credit+consultation", "10", "0.01", None, True, None),
    # KWD has 3 decimals: 1.2345 x 10 % = 0.12345 -> 0.123
    "e3": ("credit+consultation", "10", "0.123", None, True, None),
    # unaffected: nothing, even with affected_minutes given; plan names are case-insensitive
    "e4": ("none", None, None, None, False, None),
}


@pytest.mark.parametrize("customer_id", list(GOLDEN))
def test_golden_rows(customer_id):
    row = by_id(offers(GOLDEN_CSV))[customer_id]
    offer, pct, amount, days, consultation, minutes = GOLDEN[customer_id]
    assert row.offer == offer
    assert row.credit_pct == (None if pct is None else Decimal(pct))
    assert row.credit_amount == (None if amount is None else Decimal(amount))
    if amount is not None:  # the exponent too: "10.00", "1853", "0.123"
        assert str(row.credit_amount) == amount
    assert row.trial_extension_days == days
    assert row.consultation is consultation
    assert row.affected_minutes == minutes


def test_golden_totals_json_and_csv():
    result = offers(GOLDEN_CSV)
    assert [c.customer_id for c in result.customers] == list(GOLDEN)
    assert result.totals == {"JPY": Decimal(1853), "KWD": Decimal("0.123"), "USD": Decimal("15.01")}
    assert result.skipped == []
    assert result.outage_minutes == 180
    assert result.rounding == ROUNDING and "half-up" in ROUNDING and "JPY" in ROUNDING
    assert result.customers[4].plan == "standard" and result.customers[9].plan == "enterprise"
    data = result.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["totals"] == {"JPY": "1853", "KWD": "0.123", "USD": "15.01"}
    assert data["outage_minutes"] == 180 and data["skipped"] == [] and data["rounding"] == ROUNDING
    s1 = data["customers"][3]
    assert s1 == {
        "customer_id": "s1",
        "name": "Standard Sam",
        "plan": "standard",
        "offer": "credit",
        "credit_pct": "10",
        "credit_amount": "10.00",
        "currency": "USD",
        "trial_extension_days": None,
        "consultation": False,
        "affected_minutes": None,
    }
    assert data["customers"][0]["trial_extension_days"] == 3
    lines = result.to_csv().splitlines()
    assert lines[0] == (
        "customer_id,name,plan,offer,credit_pct,credit_amount,currency,"
        "trial_extension_days,consultation"
    )
    assert lines[1] == "f1,Free Fran,free,trial_extension,,,USD,3,no"
    assert lines[4] == "s1,Standard Sam,standard,credit,10,10.00,USD,,no"
    assert lines[5] == "s2,Standard Sue,standard,none,,,EUR,,no"
    assert lines[7] == "e1,Enterprise KK,enterprise,credit+consultation,15,1853,JPY,,yes"
    assert len(lines) == 1 + len(GOLDEN)  # no totals rows


@pytest.mark.parametrize(
    ("outage", "pct"),
    [
        (timedelta(0), "5"),
        (timedelta(minutes=59), "5"),
        (timedelta(hours=1), "10"),
        (timedelta(hours=3), "10"),
        (timedelta(hours=4), "15"),
        (timedelta(hours=7, minutes=59), "15"),
        (timedelta(hours=8), "20"),
        (timedelta(hours=72), "20"),
    ],
)
def test_credit_follows_the_steps(outage, pct):
    result = offers(f"{HEADER}\nc,C,standard,200,USD,yes\n", outage)
    (row,) = result.customers
    assert row.credit_pct == Decimal(pct)
    assert row.credit_amount == Decimal(200) * Decimal(pct) / 100


@pytest.mark.parametrize(
    ("outage", "days"),
    [
        (timedelta(0), 2),
        (timedelta(seconds=1), 3),
        (timedelta(hours=24), 3),
        (timedelta(hours=24, microseconds=1), 4),
        (timedelta(hours=72), 5),
    ],
)
def test_trial_extension_rounds_up_to_whole_days(outage, days):
    (row,) = offers(f"{HEADER}\nc,C,trial,0,USD,yes\n", outage).customers
    assert row.trial_extension_days == days


@pytest.mark.parametrize(
    ("currency", "amount", "credit"),
    [
        ("JPY", "1005", "101"),  # 100.5 -> 101
        ("JPY", "1004", "100"),  # 100.4 -> 100
        ("KRW", "15", "2"),  # 1.5 -> 2
        ("VND", "999", "100"),
        ("CLP", "4", "0"),  # 0.4 -> 0
        ("USD", "0.05", "0.01"),
        ("USD", "0.04", "0.00"),
        ("EUR", "123.45", "12.35"),  # 12.345 -> 12.35
        ("HUF", "1.5", "0.15"),  # ISO 4217: HUF has 2 decimals
        ("BHD", "0.0005", "0.000"),  # 0.00005 -> 0.000
        ("GBP", "0", "0.00"),
        ("USD", "999999999999999.99", "100000000000000.00"),
    ],
)
def test_rounding_per_currency(currency, amount, credit):
    (row,) = offers(f"{HEADER}\nc,C,standard,{amount},{currency},yes\n").customers
    assert str(row.credit_amount) == credit
    assert tuple(sorted(ZERO_DECIMAL_CURRENCIES)) == ZERO_DECIMAL_CURRENCIES


def test_outage_minutes_round_up_and_negative_outage_is_refused():
    assert offers("", timedelta(seconds=61)).outage_minutes == 2
    assert offers("", timedelta(0)).outage_minutes == 0
    with pytest.raises(ValueError, match="negative"):
        offers(HEADER, timedelta(minutes=-1))


def test_customers_own_minutes_only_replace_the_outage_for_that_customer():
    text = f"{HEADER},affected_minutes\na,A,standard,100,USD,yes,600\nb,B,standard,100,USD,yes,\n"
    a, b = offers(text, timedelta(minutes=30)).customers
    assert (a.credit_pct, b.credit_pct) == (Decimal(20), Decimal(5))


# --------------------------------------------------------------------------- CSV edge cases


def test_quotes_commas_and_newlines_inside_names():
    text = (
        f"{HEADER}\n"
        'a,"Smith, Jones & ""Partners""",standard,10,USD,yes\n'
        'b,"two\nlines\r\nhere",standard,10,USD,yes\n'
        "c,plain,standard,10,USD,yes\n"
    )
    a, b, c = offers(text).customers
    assert a.name == 'Smith, Jones & "Partners"'
    assert b.name == "two\nlines\r\nhere"
    assert c.name == "plain"
    back = list(csv.reader(io.StringIO(offers(text).to_csv(), newline="")))
    assert [r[1] for r in back[1:]] == [a.name, b.name, "plain"]


def test_utf8_names_bom_and_crlf():
    text = "\ufeff" + (
        f"{HEADER}\r\n1,Zoë Café,standard,10,EUR,yes\r\n2,株式会社,enterprise,1000,JPY,no\r\n"
    )
    result = offers(text)
    assert [c.name for c in result.customers] == ["Zoë Café", "株式会社"]
    assert result.customers[0].customer_id == "1"
    assert "株式会社" in result.to_csv() and "Zoë Café" in result.to_csv()
    assert json.loads(json.dumps(result.to_json()))["customers"][1]["name"] == "株式会社"


@pytest.mark.parametrize(
    "text", ["", "\ufeff", "\n\n", "\r\n", HEADER, HEADER + "\r\n", "\n" + HEADER]
)
def test_empty_file_or_header_only_gives_no_customers(text):
    result = offers(text)
    assert result.customers == [] and result.totals == {} and result.skipped == []
    assert result.to_csv().count("\n") == 1
    assert result.to_json()["customers"] == [] and result.to_json()["totals"] == {}


def test_extra_columns_shuffled_order_and_header_case():
    text = (
        "Notes, Currency ,AFFECTED,plan,Monthly_Amount,account_manager,Name,Customer_ID\n"
        "vip,USD,yes,standard,100,Ann,Acme,c1\n"
        ",EUR,no,enterprise,5,Bob,Beta,c2\n"
    )
    c1, c2 = offers(text).customers
    assert (c1.customer_id, c1.name, c1.currency, c1.credit_amount) == (
        "c1",
        "Acme",
        "USD",
        Decimal("10.00"),
    )
    assert (c2.customer_id, c2.offer) == ("c2", "none")


def test_blank_lines_are_ignored_and_line_numbers_still_physical():
    text = f"{HEADER}\n\na,A,standard,1,USD,yes\n\n\nb,B,gold,1,USD,yes\n"
    assert refused(text) == [
        "customers.csv:6: unknown plan 'gold' (known plans: free, trial, standard, enterprise)"
    ]


def test_values_are_trimmed():
    (row,) = offers(f"{HEADER}\n  c1 , Ann ,  standard , 10.5 , USD , yes \n").customers
    assert (row.customer_id, row.name, row.plan, row.credit_amount) == (
        "c1",
        "Ann",
        "standard",
        Decimal("1.05"),
    )


def test_csv_output_defuses_spreadsheet_formulas_but_json_keeps_the_text():
    text = f'{HEADER}\n"=HYPERLINK(""x"")",@cmd,standard,1,USD,yes\n-5,-2+3,standard,1,USD,no\n'
    result = offers(text)
    rows = list(csv.reader(io.StringIO(result.to_csv())))
    assert rows[1][:2] == ['\'=HYPERLINK("x")', "'@cmd"]
    assert rows[2][:2] == ["-5", "'-2+3"]
    assert result.to_json()["customers"][0]["customer_id"] == '=HYPERLINK("x")'


# --------------------------------------------------------------------------- refusals


def test_missing_columns_are_refused_at_line_1_even_with_skip_bad():
    text = "customer_id,name,plan,amount\nc1,A,standard,1\n"
    for skip_bad in (False, True):
        (problem,) = refused(text, skip_bad=skip_bad)
        assert problem.startswith("customers.csv:1: missing required columns ")
        assert "monthly_amount, currency, affected" in problem


def test_missing_one_column_and_duplicate_column():
    (problem,) = refused("customer_id,name,plan,monthly_amount,currency\n")
    assert problem.startswith("customers.csv:1: missing required column affected ")
    assert refused(HEADER + ",plan\n") == ["customers.csv:1: column 'plan' appears twice"]


BAD_ROWS = [
    ("", "customer_id is empty"),
    ("c1", "duplicate customer_id 'c1' (first at line 2)"),
    ("-1", "monthly_amount '-1' must not be negative"),
    ("abc", "monthly_amount 'abc' is not a number"),
    ("$10", "monthly_amount '$10' is not a number"),
    ("1e3", "monthly_amount '1e3' is not a number"),
    ("NaN", "monthly_amount 'NaN' is not a number"),
    ("", "monthly_amount is empty"),
    ('"1,234.50"', "monthly_amount '1,234.50' contains a comma: thousands separators"),
    ("12,50", "the row has 8 fields, the header has 7 (a comma inside a value needs"),
    ("usd", "currency 'usd' is not a 3-letter uppercase code like USD; did you mean 'USD'?"),
    ("US", "currency 'US' is not a 3-letter uppercase code like USD"),
    ("gold", "unknown plan 'gold' (known plans: free, trial, standard, enterprise)"),
    ("standart", "unknown plan 'standart' (known plans: free, trial, standard, enterprise); "),
    ("maybe", "affected 'maybe' must be yes/no, true/false or 1/0"),
    ("", "affected '' must be yes/no, true/false or 1/0"),
    ("1.5", "affected_minutes '1.5' must be a whole number of minutes from 0 to 527040"),
    ("-3", "affected_minutes '-3' must be a whole number"),
    ("527041", "affected_minutes '527041' must be a whole number"),
]


def _bad_row(index: int) -> str:
    """Row ``index`` of BAD_ROWS, spelled into an otherwise good row."""
    value, _ = BAD_ROWS[index]
    cid, name, plan, amount, cur, aff, mins = f"x{index}", "N", "standard", "1", "USD", "yes", ""
    if index == 0:
        cid = value
    elif index == 1:
        cid = "c1"
    elif 2 <= index <= 9:
        amount = value
    elif 10 <= index <= 11:
        cur = value
    elif 12 <= index <= 13:
        plan = value
    elif 14 <= index <= 15:
        aff = value
    else:
        mins = value
    return ",".join([cid, name, plan, amount, cur, aff, mins])


BAD_HEADER = HEADER + ",affected_minutes"


@pytest.mark.parametrize("index", range(len(BAD_ROWS)), ids=[m[:30] for _, m in BAD_ROWS])
def test_each_kind_of_bad_row_is_reported_at_its_line(index):
    text = f"{BAD_HEADER}\nc1,Good,standard,1,USD,yes,\n{_bad_row(index)}\n"
    (problem,) = refused(text)
    assert problem.startswith("customers.csv:3: " + BAD_ROWS[index][1]), problem


def test_wrong_number_of_fields():
    assert refused(f"{HEADER}\na,A,standard,1,USD\n") == [
        "customers.csv:2: the row has 5 fields, the header has 6"
    ]


def test_all_problems_reported_at_once_with_start_lines_of_multiline_records():
    rows = [_bad_row(i) for i in range(len(BAD_ROWS))]
    text = f'{BAD_HEADER}\nc1,"Good\nover\nthree lines",standard,1,USD,yes,\n' + "\n".join(rows)
    problems = refused(text)
    assert len(problems) == len(BAD_ROWS)
    for offset, (problem, (_, message)) in enumerate(zip(problems, BAD_ROWS, strict=True)):
        assert problem.startswith(f"customers.csv:{5 + offset}: {message}"), problem


def test_several_problems_in_one_row_are_all_reported():
    problems = refused(f"{HEADER}\n,A,gold,-1,usd,maybe\n")
    assert [p.split(": ", 1)[1].split(" ")[0] for p in problems] == [
        "customer_id",
        "unknown",
        "monthly_amount",
        "currency",
        "affected",
    ]
    assert all(p.startswith("customers.csv:2: ") for p in problems)


def test_skip_bad_computes_the_good_rows_and_lists_the_bad_ones():
    text = (
        f"{HEADER}\n"
        "a,A,standard,100,USD,yes\n"
        ",B,gold,1,USD,yes\n"  # line 3: two problems, one skipped row
        'c,"C\nD",standard,100,EUR,yes\n'
        "a,dup,standard,100,USD,yes\n"  # line 6
        "e,E,enterprise,100,USD,no\n"
    )
    result = offers(text, skip_bad=True)
    assert [c.customer_id for c in result.customers] == ["a", "c", "e"]
    assert result.totals == {"EUR": Decimal("10.00"), "USD": Decimal("10.00")}
    assert result.skipped == [
        "customers.csv:3: customer_id is empty; unknown plan 'gold' (known plans: free, trial, "
        "standard, enterprise)",
        "customers.csv:6: duplicate customer_id 'a' (first at line 2)",
    ]
    assert result.to_json()["skipped"] == result.skipped
    assert len(refused(text)) == 3


def test_malformed_quotes():
    text = f'{HEADER}\na,"A"x,standard,1,USD,yes\nb,B,standard,1,USD,yes\nc,"never closed,1\n'
    problems = refused(text)
    assert [p.split(": ")[0] for p in problems] == ["customers.csv:2", "customers.csv:4"]
    assert problems[1].endswith("a double quote opened in this record is never closed")
    result = offers(text, skip_bad=True)
    assert [c.customer_id for c in result.customers] == ["b"]
    assert len(result.skipped) == 2
    assert refused('customer_id,"name\n') == [
        "customers.csv:1: malformed CSV: a double quote opened in this record is never closed"
    ]


def test_values_in_messages_are_escaped():
    (problem,) = refused(f"{HEADER}\na,A,\x1b[31mred,1,USD,yes\n")
    assert "\x1b" not in problem and "\\x1b[31mred" in problem


# --------------------------------------------------------------------------- reading files


def test_read_offers_file_utf8_with_bom(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("\ufeff".encode() + f"{HEADER}\r\nc,Zoë,standard,1,EUR,yes\r\n".encode())
    text = read_offers_file(path)
    assert text.startswith("customer_id")
    assert offers(text).customers[0].name == "Zoë"
    assert read_offers_file(str(path)) == text


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"customer_id\nZo\xeb\n", 2, "is not UTF-8 text (byte 0xeb); save it as CSV UTF-8"),
        ("customer_id\n".encode("utf-16"), 1, "is UTF-16 text; save it as CSV UTF-8"),
        (b"a,b\n\x89PNG\x00\x00", 2, "looks like a binary file, not CSV text"),
    ],
)
def test_read_offers_file_refuses_non_text(tmp_path, data, line, message):
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    with pytest.raises(OffersError) as info:
        read_offers_file(path)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:{line}: ") and problem.endswith(message)


def test_read_offers_file_refuses_missing_directories_fifos_and_huge_files(tmp_path):
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: cheap
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    cases = {
        tmp_path / "missing.csv": "No such file",
        tmp_path: "directory",
        fifo: "not a regular file",
        huge: "larger than 20 MB",
    }
    for path, words in cases.items():
        with pytest.raises(OffersError) as info:
            read_offers_file(path)
        (problem,) = info.value.problems
        assert problem.startswith(f"{path}:1: ") and words in problem, problem


def test_import_is_cheap():
    code = (
        "import sys, tui.amends.offers; "
        "print(sorted(m for m in sys.modules if m.startswith('tui')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    loaded = set(json.loads(out.replace("'", '"')))
    # its own modules and the one file reader; no playbook, no store, no Rich, no Textual
    outside = {m for m in loaded if not m.startswith("tui.amends.offers")}
    assert outside == {"tui", "tui.amends", "tui.core", "tui.core.files"}, outside
    assert "tui.amends.offers.compute" in loaded


# --------------------------------------------------------------------------- properties

CURRENCIES = ["USD", "EUR", "JPY", "KWD"]
SCALES = {"JPY": 0, "KWD": 3}
customer = st.tuples(
    st.sampled_from(sorted(POLICY.plans)),
    st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(CURRENCIES),
    st.booleans(),
    st.none() | st.integers(min_value=0, max_value=72 * 60),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12),
)


def _csv(customers) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*HEADER.split(","), "affected_minutes"])
    for i, (plan, amount, currency, affected, minutes, name) in enumerate(customers):
        yes = "yes" if affected else "no"
        own = "" if minutes is None else minutes
        writer.writerow([f"c{i}", name, plan, str(amount), currency, yes, own])
    return out.getvalue()


def _expected_credit(amount: Decimal, pct: Decimal, currency: str) -> Decimal:
    """An independent oracle: integer arithmetic on cents, half-up."""
    cents = int(amount * 100)
    scale = SCALES.get(currency, 2)
    numerator = cents * int(pct) * 10**scale  # in 10^-(scale+4) units
    units = (numerator + 5000) // 10000
    return Decimal(units).scaleb(-scale)


@settings(max_examples=150, deadline=None)
@given(
    customers=st.lists(customer, max_size=25),
    outage=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=72)),
)
def test_offer_properties(customers, outage):
    result = offers(_csv(customers), outage)
    assert len(result.customers) == len(customers)
    sums: dict[str, Decimal] = {}
    for row, (plan, amount, currency, affected, minutes, name) in zip(
        result.customers, customers, strict=True
    ):
        assert row.name == name.strip() and row.plan == plan and row.currency == currency
        plan_offers = POLICY.plans[plan]
        if not affected:
            assert row.offer == "none"
            assert row.credit_pct is row.credit_amount is row.trial_extension_days is None
            assert row.consultation is False
            continue
        assert row.offer == "+".join(plan_offers)
        assert row.consultation is ("consultation" in plan_offers)
        own = outage if minutes is None else timedelta(minutes=minutes)
        if "credit" in plan_offers:
            assert POLICY.credit_min_pct <= row.credit_pct <= POLICY.credit_max_pct
            assert row.credit_pct == POLICY.credit_pct(own)
            assert row.credit_amount >= 0
            assert row.credit_amount == _expected_credit(amount, row.credit_pct, currency)
            half_unit = Decimal(1).scaleb(-SCALES.get(currency, 2)) / 2
            assert row.credit_amount <= amount * POLICY.credit_max_pct / 100 + half_unit
            sums[currency] = sums.get(currency, Decimal(0)) + row.credit_amount
        else:
            assert row.credit_pct is row.credit_amount is None
        if "trial_extension" in plan_offers:
            days = row.trial_extension_days
            assert timedelta(days=days - 1) < own + POLICY.trial_buffer <= timedelta(days=days)
    assert result.totals == sums
    assert all(total >= 0 for total in result.totals.values())
    data = result.to_json()
    for currency, total in data["totals"].items():
        rows = [c["credit_amount"] for c in data["customers"] if c["currency"] == currency]
        assert Decimal(total) == sum(Decimal(a) for a in rows if a is not None)
    assert len(list(csv.reader(io.StringIO(result.to_csv(), newline="")))) == 1 + len(customers)


SKIPPABLE = [i for i in range(len(BAD_ROWS)) if i != 1]  # 1 duplicates a real customer


@settings(max_examples=75, deadline=None)
@given(
    customers=st.lists(customer, min_size=1, max_size=10),
    bad=st.lists(st.sampled_from(SKIPPABLE), max_size=5),
    data=st.data(),
)
def test_skip_bad_keeps_exactly_the_good_rows(customers, bad, data):
    lines = [BAD_HEADER]
    for i, (plan, amount, currency, affected, minutes, _) in enumerate(customers):
        own = "" if minutes is None else str(minutes)
        lines.append(f"c{i},N,{plan},{amount},{currency},{'yes' if affected else 'no'},{own}")
    for index in bad:
        lines.insert(data.draw(st.integers(min_value=1, max_value=len(lines))), _bad_row(index))
    text = "\n".join(lines) + "\n"
    good = [f"c{i}" for i in range(len(customers))]
    if not bad:
        assert [c.customer_id for c in offers(text).customers] == good
        return
    result = offers(text, skip_bad=True)
    assert [c.customer_id for c in result.customers] == good
    assert len(result.skipped) == len(bad)
    bad_lines = sorted(n + 1 for n, line in enumerate(lines) if line[:1] != "c" or n == 0)[1:]
    assert [int(s.split(":")[1]) for s in result.skipped] == bad_lines
    assert len(refused(text)) >= len(bad)


@settings(max_examples=200, deadline=None)
@given(
    body=st.lists(st.sampled_from([*'ab1,."\r\n-xyzé\x00 ', "yes", "USD", "standard"])).map(
        "".join
    ),
    skip_bad=st.booleans(),
)
def test_any_text_gives_a_result_or_an_offers_error(body, skip_bad):
    text = f"{HEADER},affected_minutes\n{body}"
    try:
        result = offers(text, skip_bad=skip_bad)
    except OffersError as exc:
        assert exc.problems and all(p.startswith("customers.csv:") for p in exc.problems)
    else:
        json.dumps(result.to_json())
        result.to_csv()


def test_a_huge_field_is_a_bad_row_not_a_crash():
    text = f'{HEADER}\na,"{"x" * 200_000}",standard,1,USD,yes\nb,B,standard,1,USD,yes\n'
    (problem,) = refused(text)
    assert problem.startswith("customers.csv:2: malformed CSV: field larger than field limit")
    assert [c.customer_id for c in offers(text, skip_bad=True).customers] == ["b"]


# --------------------------------------------------------------------------- issue 8: item 14


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("XXX", "currency 'XXX' names no currency"),
        ("XTS", "currency 'XTS' names no currency"),
        ("ABC", "currency 'ABC' is not an ISO 4217 currency"),
        ("XAU", "currency 'XAU' is not an ISO 4217 currency"),  # gold: no minor unit
        ("XDR", "currency 'XDR' is not an ISO 4217 currency"),  # a fund, not money to bill
        ("DEM", "currency 'DEM' is not an ISO 4217 currency"),  # withdrawn in 2002
    ],
)
def test_currencies_not_on_the_iso_4217_list_are_refused(currency, message):
    (problem,) = refused(f"{HEADER}\nc,C,standard,100,{currency},yes\n")
    assert problem.startswith(f"customers.csv:2: {message}"), problem
    result = offers(f"{HEADER}\nc,C,standard,100,{currency},yes\n", skip_bad=True)
    assert result.customers == [] and result.totals == {} and result.skipped_total == 1


@pytest.mark.parametrize(
    ("currency", "credit"),
    [("EUR", "12.35"), ("USD", "12.35"), ("JPY", "12"), ("KWD", "12.345"), ("CLF", "12.3450")],
)
def test_real_currencies_pass_with_their_iso_minor_units(currency, credit):
    (row,) = offers(f"{HEADER}\nc,C,standard,123.45,{currency},yes\n").customers
    assert (row.currency, str(row.credit_amount)) == (currency, credit)


def test_the_rounding_note_agrees_with_the_iso_table():
    from tui.amends.offers import FOUR_DECIMAL_CURRENCIES, THREE_DECIMAL_CURRENCIES, currencies

    table = currencies()
    assert {"EUR", "USD", "JPY", "GBP", "XOF"} <= set(table) and len(table) > 150
    assert not {"XXX", "XTS", "XAU", "XDR", "ABC"} & set(table)
    by_units = {n: {c for c, u in table.items() if u == n} for n in (0, 3, 4)}
    assert by_units == {
        0: set(ZERO_DECIMAL_CURRENCIES),
        3: set(THREE_DECIMAL_CURRENCIES),
        4: set(FOUR_DECIMAL_CURRENCIES),
    }
    assert set(table.values()) == {0, 2, 3, 4}


BAD_ROW_300K = ",N{i},gold,-1,usd,maybe\n"  # five problems in every row


def _bad_file(rows: int) -> str:
    return HEADER + "\n" + "".join(BAD_ROW_300K.format(i=i) for i in range(rows))


def test_300000_bad_rows_report_the_first_50_problems_and_a_count():
    text = _bad_file(300_000)
    with pytest.raises(OffersError) as info:
        offers(text)
    e = info.value
    assert len(e.problems) == 50 and e.total == 1_500_000
    assert e.problems[0].startswith("customers.csv:2: customer_id is empty")
    assert e.problems[-1].startswith("customers.csv:11: ")  # rows 2..11, five problems each
    assert e.lines == [*e.problems, "\u2026 and 1,499,950 more problems"]
    assert str(e) == "\n".join(e.lines)
    result = offers(text, skip_bad=True)
    assert result.customers == [] and result.skipped_total == 300_000
    assert len(result.skipped) == 50
    assert result.skipped_lines[-1] == "\u2026 and 299,950 more skipped rows"
    assert result.to_json()["skipped_total"] == 300_000
    # under the cap nothing changes: every problem, no summary line
    few = offers(_bad_file(3), skip_bad=True)
    assert few.skipped_lines == few.skipped and len(few.skipped) == 3


def test_cli_prints_50_problems_and_a_count_for_300000_bad_rows(cli, tmp_path):
    from tests.conftest import MAJOR

    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    big = tmp_path / "billing.csv"
    big.write_text(_bad_file(300_000), encoding="utf-8")
    r = cli.fails("offers", "--customers", str(big), timeout=180)
    lines = r.err.splitlines()
    assert len(lines) == 52, lines[:3] + lines[-3:]
    assert lines[0] == f"{big}:2: customer_id is empty"
    assert lines[50] == "\u2026 and 1,499,950 more problems"
    assert "refused: 1,500,000 problem(s); nothing written" in lines[51]
    assert r.out == ""
    r = cli.ok("offers", "--customers", str(big), "--skip-bad", timeout=180)
    skipped = [line for line in r.err.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == 51 and len(r.err.splitlines()) == 51
    assert skipped[-1] == "skipped: \u2026 and 299,950 more skipped rows"


# --------------------------------------------------------------------------- issue 8: item 18

WIDE = (
    "customer_id,name,plan,monthly_amount,currency,affected\n"
    "C-1,Northwind Traders,enterprise,4800.00,USD,yes\n"
    "C-2,株式会社サンプル,standard,520000,JPY,yes\n"
    "C-3,Cafe\u0301 Zoe\u0308 Lyon,standard,129.00,EUR,yes\n"
    "C-4,한국 주식회사 아주 긴 이름의 회사입니다 정말로,standard,1000,KRW,yes\n"
    "C-5,\U0001f680 Rocket Labs,trial,0,USD,yes\n"
)


def test_fit_pads_and_cuts_by_terminal_cells():
    from rich.cells import cell_len

    from tui.amends.offers import fit

    for text in (
        "Northwind",
        "株式会社サンプル",
        "Cafe\u0301 Zoe\u0308",
        "한국 주식회사 아주 긴 이름",
        "",
    ):
        for width in (1, 5, 12, 30):
            assert cell_len(fit(text, width)) == width, (text, width)
    assert fit("株式会社サンプル", 12) == "株式会社サ\u2026 "
    assert fit("Cafe\u0301", 6) == "Cafe\u0301  "  # the accent takes no cell


@pytest.mark.parametrize(
    "text",
    [
        "Northwind Traders",
        "株式会社サンプル",
        "한국 주식회사",  # precomposed syllables
        "\u1112\u1161\u11ab\u1100\u116e\u11a8",  # the same as conjoining jamo
        "Cafe\u0301 Zoe\u0308",
        "\U0001f680 Rocket \U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467",
        "\u0939\u093f\u0928\u094d\u0926\u0940",  # Devanagari with vowel signs
        "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u200f",  # Arabic and a direction mark
        "soft\u00adhyphen, tab\tand bell\a",
        "ｆｕｌｌｗｉｄｔｈ ｈａｌｆｗｉｄｔｈ ｶﾀｶﾅ",
    ],
)
def test_cell_widths_agree_with_textual(text):
    """The stdlib measure gives what Rich (and so Textual) gives, so the dashboard's
    offers table and the CLI's line up the same way."""
    from rich.cells import cell_len

    from tui.amends.offers import cells, fit

    assert cells(text) == cell_len(text)
    for width in range(0, 25):
        assert cell_len(fit(text, width)) == width, (text, width)


def _plan_column(line: str, plan: str) -> int:
    from rich.cells import cell_len

    return cell_len(line[: line.index(f" {plan} ") + 1])


def test_cli_offers_table_lines_up_with_wide_and_combining_characters(cli, tmp_path):
    from tests.conftest import MAJOR

    cli.ok("start", "-p", str(MAJOR), "-t", "API down", "-m", "users_affected_pct=12")
    billing = tmp_path / "billing.csv"
    billing.write_text(WIDE, encoding="utf-8")
    out = cli.ok("offers", "--customers", str(billing)).out.splitlines()
    rows = [line for line in out if line.startswith("  C-")]
    assert len(rows) == 5
    plans = ["enterprise", "standard", "standard", "standard", "trial"]
    columns = {_plan_column(line, plan) for line, plan in zip(rows, plans, strict=True)}
    assert len(columns) == 1, rows


class _Host:
    """A bare Textual app to show one screen in (the dashboard is not needed for it)."""

    @staticmethod
    def make():
        from textual.app import App

        return App()


async def test_dashboard_offers_table_lines_up_with_wide_and_combining_characters():
    from textual.widgets import OptionList

    from screens.postmortem import OffersScreen

    app = _Host.make()
    async with app.run_test(size=(140, 40)) as pilot:
        await app.push_screen(OffersScreen("billing.csv", offers(WIDE)))
        await pilot.pause()
        listing = app.screen.query_one("#offers-rows", OptionList)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(5)]
        plans = ["enterprise", "standard", "standard", "standard", "trial"]
        columns = {_plan_column(p, plan) for p, plan in zip(prompts, plans, strict=True)}
        assert len(columns) == 1, prompts


async def test_dashboard_refusal_lists_the_first_50_problems_and_a_count():
    from textual.widgets import OptionList

    from screens.postmortem import OffersRefusedScreen

    with pytest.raises(OffersError) as info:
        offers(_bad_file(300_000))
    app = _Host.make()
    async with app.run_test(size=(140, 40)) as pilot:
        await app.push_screen(OffersRefusedScreen("billing.csv", info.value))
        await pilot.pause()
        listing = app.screen.query_one("#offers-problems", OptionList)
        assert listing.option_count == 51
        last = str(listing.get_option_at_index(50).prompt)
        assert last == "\u2026 and 1,499,950 more problems"
        title = str(app.screen.query_one("#publish-title").render())
        assert "Refused: 1,500,000 problem(s) in billing.csv" in title


async def test_dashboard_refuses_300000_bad_rows_with_50_problems_and_a_count(tmp_path):
    from screens.form import FormScreen
    from screens.postmortem import OffersRefusedScreen
    from tests.dashboard_helpers import dashboard, make_app, seeded_db, wait_for

    big = tmp_path / "billing.csv"
    big.write_text(_bad_file(300_000), encoding="utf-8")
    app = make_app(seeded_db(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await dashboard(pilot)
        await pilot.press("f")
        await wait_for(lambda: isinstance(app.screen, FormScreen), pilot)
        await pilot.press(*str(big), "ctrl+s")
        await wait_for(lambda: isinstance(app.screen, OffersRefusedScreen), pilot, timeout=120)
        note = f"refused: {big}:2: customer_id is empty (+1,499,999 more)"
        await wait_for(
            lambda: any(str(n.message).startswith(note) for n in app._notifications), pilot
        )
        assert app.screen.error.total == 1_500_000
        assert app.screen.error.lines[-1] == "\u2026 and 1,499,950 more problems"
        assert app.screen.query_one("#offers-problems").option_count == 51
    assert not (tmp_path / "offers-INC-1.csv").exists()
