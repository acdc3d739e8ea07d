"""The money rules of a recovery offer: currencies, rounding, credits and trial days.

* a currency is a code of the current ISO 4217 list (the maintained ``iso4217`` package,
  which ships the ISO maintenance agency's table) that has minor units: ``XXX`` "no
  currency", ``XTS`` testing, gold, SDR and other funds are not currencies to bill in;
* a credit is ``monthly x percent / 100``, rounded half-up to the currency's minor unit
  (:func:`minor_unit`), computed exactly (60 digits of precision);
* a trial extension is the outage plus the goodwill buffer, rounded up to whole days;
* :data:`ROUNDING` says all of that in one sentence, for people reading the offers.

Pure: standard library and the ``iso4217`` data, loaded on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

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

NOT_MONEY = frozenset({"XXX", "XTS"})  # "no currency", "for testing"
_DAY_US = 86_400_000_000
_HUNDRED = Decimal(100)


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


def amount_text(amount: Decimal) -> str:
    """An amount as plain digits (``12.50``, never ``1.25E+1``)."""
    return format(amount, "f")


def pct_text(pct: Decimal | None) -> str | None:
    """A percentage without trailing zeros (``10``, ``12.5``); None stays None."""
    if pct is None:
        return None
    text = format(pct, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
