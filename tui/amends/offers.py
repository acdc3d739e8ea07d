"""The recovery offer per customer: credits, trial extensions and consultations from a CSV.

``compute_offers`` reads a customer list (CSV text) and applies the playbook's
:class:`~tui.core.playbook.RecoveryPolicy` to every affected customer:

* **credit** -- ``policy.credit_pct(outage)`` percent of the monthly amount, the percentage
  always within the policy bounds; the amount is rounded half-up to the currency's minor unit
  as ISO 4217 lists it (see :func:`minor_unit`), and the per-currency totals are the exact
  sums of the rounded row amounts;
* **trial_extension** -- the outage plus the goodwill buffer, rounded up to whole days;
* **consultation** -- a flag for the plans whose offers include it.

Unaffected customers get the offer ``"none"`` and nothing else.

Input columns (a header is required; any order; names are case-insensitive; extra columns are
ignored): ``customer_id, name, plan, monthly_amount, currency, affected`` and optionally
``affected_minutes`` (that customer's own outage length, used instead of the incident's).

Currencies: the codes of the current ISO 4217 list (the maintained ``iso4217`` package, which
ships the ISO maintenance agency's table) that name a currency: codes without minor units
(``XXX`` "no currency", ``XTS`` testing, gold, SDR and other funds) are refused, and so is any
code not on the list (``ABC``).

Every problem is ``FILE:LINE: message`` with the physical line the CSV record starts on (the
header is line 1). Without ``skip_bad`` all problems are counted and raised together as
:class:`OffersError` and nothing is computed; with it the bad rows are listed in
``OffersResult.skipped`` and the rest are computed. Either list keeps the first
:data:`MAX_PROBLEMS` entries and a count of the rest, so a file of 300,000 bad rows reports 50
lines and "... and N more", in bounded memory.

Pure: standard library and the ``iso4217`` data (loaded on first use;
``tui.core.playbook`` is needed for type hints alone), cheap to import.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from tui.core.playbook import RecoveryPolicy

MAX_BYTES = 20 * 1024 * 1024
MAX_AFFECTED_MINUTES = 366 * 24 * 60  # a year: anything longer is a typo
MAX_INTEGER_DIGITS = 15  # monthly_amount below a quadrillion
MAX_FRACTION_DIGITS = 10

REQUIRED_COLUMNS = ("customer_id", "name", "plan", "monthly_amount", "currency", "affected")
OPTIONAL_COLUMNS = ("affected_minutes",)
CSV_COLUMNS = (
    "customer_id",
    "name",
    "plan",
    "offer",
    "credit_pct",
    "credit_amount",
    "currency",
    "trial_extension_days",
    "consultation",
)

MAX_PROBLEMS = 50  # problems (or skipped rows) listed; the rest are counted

# For the rounding note shown with the offers; the rounding itself uses the ISO 4217 table
# (:func:`currencies`), and a test checks that these lists agree with it.
ZERO_DECIMAL_CURRENCIES = (
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
)
THREE_DECIMAL_CURRENCIES = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
FOUR_DECIMAL_CURRENCIES = ("CLF", "UYW")

ROUNDING = (
    "credit = monthly_amount x credit % / 100, rounded half-up to the currency's minor unit "
    f"(ISO 4217: 2 decimals; 0 for {', '.join(ZERO_DECIMAL_CURRENCIES)}; "
    f"3 for {', '.join(THREE_DECIMAL_CURRENCIES)}; 4 for {', '.join(FOUR_DECIMAL_CURRENCIES)}); "
    "totals are the exact sums of the rounded amounts; "
    "trial extensions are the outage plus the goodwill buffer, rounded up to whole days"
)

_TRUE = ("yes", "true", "1")
_FALSE = ("no", "false", "0")
_AMOUNT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_WHOLE = re.compile(r"^[0-9]+$")
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")
_NOT_MONEY = frozenset({"XXX", "XTS"})  # "no currency", "for testing"
_DAY_US = 86_400_000_000
_MINUTE_US = 60_000_000
_HUNDRED = Decimal(100)


class OffersError(Exception):
    """A refusal: ``problems`` lists the first :data:`MAX_PROBLEMS` problems, each
    ``FILE:LINE: message``; ``total`` counts them all; ``lines`` is what to show (the problems,
    then "... and N more problems" when some were left out)."""

    def __init__(self, problems: list[str], total: int | None = None):
        self.problems = list(problems[:MAX_PROBLEMS])
        self.total = max(len(problems), total or 0)
        super().__init__("\n".join(self.lines))

    @property
    def more(self) -> int:
        return self.total - len(self.problems)

    @property
    def lines(self) -> list[str]:
        if not self.more:
            return list(self.problems)
        return [*self.problems, f"\u2026 and {self.more:,} more problem{'s' * (self.more > 1)}"]


@dataclass(frozen=True)
class CustomerOffer:
    customer_id: str
    name: str
    plan: str
    offer: str  # the plan's offers joined with "+", e.g. "credit+consultation"; "none"
    credit_pct: Decimal | None
    credit_amount: Decimal | None
    currency: str
    trial_extension_days: int | None
    consultation: bool
    affected_minutes: int | None  # the customer's own outage length, when the CSV gave one

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "plan": self.plan,
            "offer": self.offer,
            "credit_pct": _pct_text(self.credit_pct),
            "credit_amount": None
            if self.credit_amount is None
            else _amount_text(self.credit_amount),
            "currency": self.currency,
            "trial_extension_days": self.trial_extension_days,
            "consultation": self.consultation,
            "affected_minutes": self.affected_minutes,
        }


@dataclass(frozen=True)
class OffersResult:
    customers: list[CustomerOffer]
    totals: dict[str, Decimal]  # currency -> sum of the rounded credit amounts
    skipped: list[str] = field(default_factory=list)  # "FILE:LINE: message", one per row
    rounding: str = ROUNDING
    outage_minutes: int = 0  # the incident's outage, rounded up to whole minutes
    skipped_total: int = 0  # bad rows skipped; ``skipped`` lists the first MAX_PROBLEMS

    @property
    def skipped_more(self) -> int:
        return max(0, self.skipped_total - len(self.skipped))

    @property
    def skipped_lines(self) -> list[str]:
        """The skipped rows to show, then "... and N more skipped rows" if some are left out."""
        more = self.skipped_more
        tail = [f"\u2026 and {more:,} more skipped row{'s' * (more > 1)}"] if more else []
        return [*self.skipped, *tail]

    def to_json(self) -> dict[str, Any]:
        return {
            "customers": [c.to_json() for c in self.customers],
            "totals": {cur: _amount_text(amount) for cur, amount in self.totals.items()},
            "rounding": self.rounding,
            "outage_minutes": self.outage_minutes,
            "skipped": list(self.skipped),
            "skipped_total": max(self.skipped_total, len(self.skipped)),
        }

    def to_csv(self) -> str:
        """One row per customer (no totals rows), RFC 4180 ``\\r\\n`` line endings.

        Text cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
        ``@``, a tab or a carriage return, and not a plain number) get a leading ``'``.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for c in self.customers:
            writer.writerow(
                [
                    _cell(c.customer_id),
                    _cell(c.name),
                    c.plan,
                    c.offer,
                    _pct_text(c.credit_pct) or "",
                    "" if c.credit_amount is None else _amount_text(c.credit_amount),
                    c.currency,
                    "" if c.trial_extension_days is None else str(c.trial_extension_days),
                    "yes" if c.consultation else "no",
                ]
            )
        return out.getvalue()


# --------------------------------------------------------------------------- helpers


@functools.cache
def currencies() -> Mapping[str, int]:
    """Every current ISO 4217 currency code and its minor unit (decimals), from the
    ``iso4217`` package's copy of the ISO table. Codes the table lists without minor units
    (``XXX``, ``XTS``, precious metals, SDR and other funds) are not currencies to bill in."""
    from iso4217 import raw_table

    out: dict[str, int] = {}
    for code, entry in raw_table.items():
        units = str(entry.get("CcyMnrUnts") or "")
        if code and len(code) == 3 and entry.get("CcyNbr") is not None and units.isdigit():
            out[code] = int(units)
    return out


def minor_unit(currency: str) -> int:
    """Decimals of ``currency`` per ISO 4217 (KeyError for a code that is not a currency)."""
    return currencies()[currency]


def round_amount(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to the minor unit of ``currency``."""
    with localcontext() as ctx:
        ctx.prec = 60
        return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


def credit_amount(monthly: Decimal, pct: Decimal, currency: str) -> Decimal:
    """``monthly`` x ``pct`` / 100, rounded half-up to the currency's minor unit."""
    with localcontext() as ctx:
        ctx.prec = 60  # exact for every amount the parser accepts
        return round_amount(monthly * pct / _HUNDRED, currency)


def trial_extension_days(outage: timedelta, buffer: timedelta) -> int:
    """The outage plus the buffer, rounded up to whole days."""
    total = (outage + buffer) // timedelta(microseconds=1)
    return max(0, -(-total // _DAY_US))


def _amount_text(amount: Decimal) -> str:
    return format(amount, "f")


def _pct_text(pct: Decimal | None) -> str | None:
    if pct is None:
        return None
    text = format(pct, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _cell(text: str) -> str:
    if text and text[0] in "=+-@\t\r" and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _show(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(word: str, choices: list[str]) -> str:
    return _suggestion(word, tuple(choices))


@functools.lru_cache(maxsize=1024)  # a bad file repeats its mistakes: look each up once
def _suggestion(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def fit(text: str, width: int) -> str:
    """``text`` cut (with "…") and padded to exactly ``width`` terminal cells: a CJK
    character takes two cells, a combining accent none, so table columns line up whatever the
    names hold. Measured as Rich and Textual measure (imported on use: the CLI path stays
    light)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) > width:
        return set_cell_size(set_cell_size(text, max(width - 1, 0)).rstrip() + "…", width)
    return set_cell_size(text, width)


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# --------------------------------------------------------------------------- reading


def read_offers_file(path: str | os.PathLike) -> str:
    """Read a customer CSV: UTF-8 (a BOM is fine), a regular file of at most 20 MB.

    Raises OffersError naming the file for anything unreadable, binary or not UTF-8.
    """
    try:
        name = _printable(os.fsdecode(path))
    except Exception:
        name = _printable(repr(path))

    def refuse(message: str, line: int = 1) -> OffersError:
        return OffersError([f"{name}:{line}: {message}"])

    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise refuse("cannot read the customer list: it is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise refuse("cannot read the customer list: not a regular file")
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise refuse(f"cannot read the customer list: {_printable(reason)}") from None
    except (TypeError, ValueError) as exc:  # e.g. a NUL in the path
        raise refuse(f"cannot read the customer list: {_printable(str(exc))}") from None
    if len(data) > MAX_BYTES:
        raise refuse(f"the customer list is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse("the customer list is UTF-16 text; save it as CSV UTF-8")
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise refuse("the customer list looks like a binary file, not CSV text", line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise refuse(
            f"the customer list is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save it as CSV UTF-8",
            line,
        ) from None


# --------------------------------------------------------------------------- computing


@dataclass
class _Row:
    line: int
    customer_id: str
    name: str
    plan: str
    monthly: Decimal
    currency: str
    affected: bool
    minutes: int | None


def _records(text: str):
    """Yield (start line, fields or None, csv error message or None); blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous = 0
    while True:
        start = previous + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous = reader.line_num
            message = str(exc)
            if "unexpected end of data" in message:
                message = "a double quote opened in this record is never closed"
            yield start, None, f"malformed CSV: {message}"
            continue
        previous = reader.line_num
        if fields:
            yield start, fields, None


def _amount(raw: str) -> tuple[Decimal | None, str | None]:
    text = raw.strip()
    if not text:
        return None, "monthly_amount is empty"
    if "," in text:
        return None, (
            f"monthly_amount {_show(text)} contains a comma: thousands separators and decimal "
            "commas are not accepted (write e.g. 1234.50)"
        )
    if not _AMOUNT.match(text):
        return None, (
            f"monthly_amount {_show(text)} is not a number (digits with an optional decimal "
            "point and no currency symbol, e.g. 1234.50)"
        )
    value = Decimal(text)
    if value < 0:
        return None, f"monthly_amount {_show(text)} must not be negative"
    whole, _, fraction = text.lstrip("+-").partition(".")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        return None, f"monthly_amount {_show(text)} is too large"
    if len(fraction) > MAX_FRACTION_DIGITS:
        return None, (f"monthly_amount {_show(text)} has more than {MAX_FRACTION_DIGITS} decimals")
    return value + 0, None  # + 0 turns -0 into 0


def _parse_row(
    line: int,
    fields: list[str],
    columns: dict[str, int],
    plans: list[str],
) -> tuple[_Row | None, list[str]]:
    problems: list[str] = []

    def get(column: str) -> str:
        return fields[columns[column]]

    customer_id = get("customer_id").strip()
    if not customer_id:
        problems.append("customer_id is empty")
    name = get("name").strip()

    plan = get("plan").strip().lower()
    if plan not in plans:
        problems.append(
            f"unknown plan {_show(get('plan').strip())} (known plans: {', '.join(plans)})"
            f"{_suggest(plan, plans)}"
        )

    monthly, problem = _amount(get("monthly_amount"))
    if problem:
        problems.append(problem)

    currency = get("currency").strip()
    if not _CURRENCY.match(currency):
        upper = currency.upper()
        hint = f"; did you mean {upper!r}?" if upper in currencies() else ""
        problems.append(
            f"currency {_show(currency)} is not a 3-letter uppercase code like USD{hint}"
        )
    elif currency not in currencies():
        what = "names no currency" if currency in _NOT_MONEY else "is not an ISO 4217 currency"
        problems.append(f"currency {_show(currency)} {what} (see ISO 4217, e.g. USD, EUR, JPY)")

    raw = get("affected").strip()
    affected = None
    if raw.lower() in _TRUE:
        affected = True
    elif raw.lower() in _FALSE:
        affected = False
    else:
        problems.append(f"affected {_show(raw)} must be yes/no, true/false or 1/0")

    minutes = None
    if "affected_minutes" in columns:
        raw = get("affected_minutes").strip()
        if raw:
            if _WHOLE.match(raw) and int(raw) <= MAX_AFFECTED_MINUTES:
                minutes = int(raw)
            else:
                problems.append(
                    f"affected_minutes {_show(raw)} must be a whole number of minutes "
                    f"from 0 to {MAX_AFFECTED_MINUTES}"
                )

    if problems or monthly is None or affected is None:
        return None, problems
    return _Row(line, customer_id, name, plan, monthly, currency, affected, minutes), []


def _offer(row: _Row, policy: RecoveryPolicy, outage: timedelta) -> CustomerOffer:
    if not row.affected:
        return CustomerOffer(
            row.customer_id, row.name, row.plan, "none", None, None, row.currency, None, False, None
        )
    offers = tuple(policy.plans.get(row.plan, ()))
    own = outage if row.minutes is None else timedelta(minutes=row.minutes)
    pct = amount = days = None
    if "credit" in offers:
        pct = policy.credit_pct(own)
        amount = credit_amount(row.monthly, pct, row.currency)
    if "trial_extension" in offers:
        days = trial_extension_days(own, policy.trial_buffer)
    return CustomerOffer(
        customer_id=row.customer_id,
        name=row.name,
        plan=row.plan,
        offer="+".join(offers) or "none",
        credit_pct=pct,
        credit_amount=amount,
        currency=row.currency,
        trial_extension_days=days,
        consultation="consultation" in offers,
        affected_minutes=row.minutes,
    )


def compute_offers(
    csv_text: str,
    filename: str,
    policy: RecoveryPolicy,
    outage: timedelta,
    *,
    skip_bad: bool = False,
) -> OffersResult:
    """Every customer's recovery offer for an outage of length ``outage``.

    Raises OffersError listing every problem (a missing column always; bad rows unless
    ``skip_bad``, which skips and lists them instead). ValueError for a negative ``outage``.
    """
    if outage < timedelta(0):
        raise ValueError("the outage length must not be negative")
    outage_minutes = -(-(outage // timedelta(microseconds=1)) // _MINUTE_US)
    if csv_text.startswith("\ufeff"):
        csv_text = csv_text[1:]
    plans = list(policy.plans)

    records = _records(csv_text)
    header = next(records, None)
    if header is None:  # empty file
        return OffersResult([], {}, [], ROUNDING, outage_minutes)
    line, names, error = header
    if error or names is None:
        raise OffersError([f"{filename}:{line}: {error}"])
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, raw in enumerate(names):
        column = raw.strip().lstrip("\ufeff").lower()
        if column in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            if column in columns:
                problems.append(f"{filename}:{line}: column {column!r} appears twice")
            columns.setdefault(column, index)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(_show(n.strip()) for n in names) or "nothing"
        plural = "s" if len(missing) > 1 else ""
        problems.append(
            f"{filename}:{line}: missing required column{plural} {', '.join(missing)} "
            f"(the header has {found}; it needs {', '.join(REQUIRED_COLUMNS)})"
        )
    if problems:
        raise OffersError(problems)

    width = len(names)
    rows: list[_Row] = []
    # The first MAX_PROBLEMS bad rows (they hold at least MAX_PROBLEMS problems) are kept;
    # the rest are only counted, so a file of bad rows costs counters, not memory.
    bad: list[tuple[int, list[str]]] = []
    bad_rows = bad_problems = 0
    seen: dict[str, int] = {}

    def reject(line: int, messages: list[str]) -> None:
        nonlocal bad_rows, bad_problems
        bad_rows += 1
        bad_problems += len(messages)
        if len(bad) < MAX_PROBLEMS:
            bad.append((line, messages))

    for line, fields, error in records:
        if error or fields is None:
            reject(line, [error or "malformed CSV"])
            continue
        if len(fields) != width:
            hint = " (a comma inside a value needs the value in double quotes)" * (
                len(fields) > width
            )
            reject(line, [f"the row has {len(fields)} fields, the header has {width}{hint}"])
            continue
        row, row_problems = _parse_row(line, fields, columns, plans)
        customer_id = fields[columns["customer_id"]].strip()
        if customer_id:
            if customer_id in seen:
                first = seen[customer_id]
                row_problems.append(
                    f"duplicate customer_id {_show(customer_id)} (first at line {first})"
                )
                row = None
            else:
                seen[customer_id] = line
        if row_problems or row is None:
            reject(line, row_problems)
        else:
            rows.append(row)

    if bad and not skip_bad:
        listed = [f"{filename}:{line}: {m}" for line, messages in bad for m in messages]
        raise OffersError(listed[:MAX_PROBLEMS], bad_problems)
    skipped = [f"{filename}:{line}: {'; '.join(messages)}" for line, messages in bad]

    customers = [_offer(row, policy, outage) for row in rows]
    totals: dict[str, Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = 80  # exact: the sums never round
        for c in customers:
            if c.credit_amount is not None:
                zero = round_amount(Decimal(0), c.currency)
                totals[c.currency] = totals.get(c.currency, zero) + c.credit_amount
    totals = dict(sorted(totals.items()))
    return OffersResult(customers, totals, skipped, ROUNDING, outage_minutes, bad_rows)


def offers_for(state, path, now, *, skip_bad: bool = False) -> OffersResult:
    """The incident's offers: its playbook's policy, its outage so far (or until resolved),
    the billing export at ``path``. The one entry point of the CLI and the dashboard."""
    policy = state.book.recovery
    if policy is None:
        raise OffersError([f"the playbook \u201c{state.book.name}\u201d has no recovery policy"])
    end = state.resolved_at or now
    outage = end - (state.detected_at or end)
    filename = str(path)
    return compute_offers(read_offers_file(path), filename, policy, outage, skip_bad=skip_bad)
