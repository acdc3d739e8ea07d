"""Reading and checking the customer list: the billing export the offers are computed from.

Input columns (a header is required; any order; names are case-insensitive; extra columns are
ignored): ``customer_id, name, plan, monthly_amount, currency, affected`` and optionally
``affected_minutes`` (that customer's own outage length, used instead of the incident's).

* :func:`read_offers_file` reads a regular file of at most :data:`MAX_BYTES`, UTF-8 (a BOM
  is fine); UTF-16, binary and other encodings are refused with the line they start on;
* :func:`check_customers` checks every row: a known plan, a plain non-negative amount (no
  thousands separators, at most :data:`MAX_INTEGER_DIGITS` digits before the point and
  :data:`MAX_FRACTION_DIGITS` after), an ISO 4217 currency, a yes/no ``affected``, a whole
  number of ``affected_minutes`` up to a year, and no ``customer_id`` twice.

Every problem is ``FILE:LINE: message`` with the physical line the CSV record starts on (the
header is line 1); values in messages are quoted, escaped and shortened, and a near miss
gets a "did you mean" suggestion. A header problem raises :class:`OffersError` at once; bad
rows are returned for the caller to refuse or skip, the first :data:`MAX_PROBLEMS` kept and
the rest counted, so a huge bad file costs counters, not memory.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from tui.amends.offers.money import NOT_MONEY, currencies
from tui.amends.offers.results import MAX_PROBLEMS, OffersError
from tui.core.files import ReadRefused, read_bounded

MAX_BYTES = 20 * 1024 * 1024
MAX_AFFECTED_MINUTES = 366 * 24 * 60  # a year: anything longer is a typo
MAX_INTEGER_DIGITS = 15  # monthly_amount below a quadrillion
MAX_FRACTION_DIGITS = 10

REQUIRED_COLUMNS = ("customer_id", "name", "plan", "monthly_amount", "currency", "affected")
OPTIONAL_COLUMNS = ("affected_minutes",)

_TRUE = ("yes", "true", "1")
_FALSE = ("no", "false", "0")
_AMOUNT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_WHOLE = re.compile(r"^[0-9]+$")

_CANNOT_READ = {
    "directory": "it is a directory",
    "not regular": "not a regular file",
}


def read_offers_file(path: str | os.PathLike[str]) -> str:
    """Read a customer CSV: UTF-8 (a BOM is fine), a regular file of at most 20 MB.

    Raises OffersError naming the file for anything unreadable, binary or not UTF-8.
    """
    try:
        data, name = read_bounded(path, MAX_BYTES)
    except ReadRefused as refused:
        if refused.kind == "too large":
            message = f"the customer list is larger than {MAX_BYTES // (1024 * 1024)} MB"
        else:
            reason = _CANNOT_READ.get(refused.kind, refused.reason)
            message = f"cannot read the customer list: {reason}"
        raise OffersError([f"{refused.name}:1: {message}"]) from None

    def refuse(message: str, line: int = 1) -> OffersError:
        return OffersError([f"{name}:{line}: {message}"])

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


@dataclass
class Row:
    """One good customer row."""

    line: int
    customer_id: str
    name: str
    plan: str
    monthly: Decimal
    currency: str
    affected: bool
    minutes: int | None


@dataclass
class Checked:
    """The rows of a customer list: the good ones, and the first bad ones with a count."""

    rows: list[Row] = field(default_factory=list)
    bad: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, problems)
    bad_rows: int = 0
    bad_problems: int = 0

    def reject(self, line: int, messages: list[str]) -> None:
        # The first MAX_PROBLEMS bad rows (they hold at least MAX_PROBLEMS problems) are kept;
        # the rest are only counted, so a file of bad rows costs counters, not memory.
        self.bad_rows += 1
        self.bad_problems += len(messages)
        if len(self.bad) < MAX_PROBLEMS:
            self.bad.append((line, messages))


def check_customers(csv_text: str, filename: str, plans: list[str]) -> Checked | None:
    """Every row of the list checked (None for an empty file). Raises OffersError for a
    header that is malformed, names a column twice or lacks a required column."""
    if csv_text.startswith("\ufeff"):
        csv_text = csv_text[1:]
    records = _records(csv_text)
    header = next(records, None)
    if header is None:  # empty file
        return None
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
    checked = Checked()
    seen: dict[str, int] = {}
    for line, fields, error in records:
        if error or fields is None:
            checked.reject(line, [error or "malformed CSV"])
            continue
        if len(fields) != width:
            hint = " (a comma inside a value needs the value in double quotes)" * (
                len(fields) > width
            )
            checked.reject(
                line, [f"the row has {len(fields)} fields, the header has {width}{hint}"]
            )
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
            checked.reject(line, row_problems)
        else:
            checked.rows.append(row)
    return checked


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
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


def _show(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(word: str, choices: list[str]) -> str:
    return _suggestion(word, tuple(choices))


@functools.lru_cache(maxsize=1024)  # a bad file repeats its mistakes: look each up once
def _suggestion(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


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
) -> tuple[Row | None, list[str]]:
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
        what = "names no currency" if currency in NOT_MONEY else "is not an ISO 4217 currency"
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
    return Row(line, customer_id, name, plan, monthly, currency, affected, minutes), []
