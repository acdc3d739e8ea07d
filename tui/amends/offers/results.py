"""What an offers run gives: each customer's offer and the totals, or a refusal.

* :class:`CustomerOffer` and :class:`OffersResult` are plain data with two exports:
  ``to_json`` (amounts as exact decimal strings) and ``to_csv`` (RFC 4180, one row per
  customer, no totals rows; text a spreadsheet would run as a formula gets a leading
  ``'``);
* :class:`OffersError` is the one refusal: it keeps the first :data:`MAX_PROBLEMS`
  problems and counts the rest, so a file of 300,000 bad rows reports 50 lines and
  "... and N more", in bounded memory. ``OffersResult.skipped`` does the same for rows
  skipped with ``skip_bad``.

Pure standard library.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tui.amends.offers.money import ROUNDING, amount_text, pct_text

MAX_PROBLEMS = 50  # problems (or skipped rows) listed; the rest are counted

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

_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")


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
            "credit_pct": pct_text(self.credit_pct),
            "credit_amount": None
            if self.credit_amount is None
            else amount_text(self.credit_amount),
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
            "totals": {cur: amount_text(amount) for cur, amount in self.totals.items()},
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
                    pct_text(c.credit_pct) or "",
                    "" if c.credit_amount is None else amount_text(c.credit_amount),
                    c.currency,
                    "" if c.trial_extension_days is None else str(c.trial_extension_days),
                    "yes" if c.consultation else "no",
                ]
            )
        return out.getvalue()


def _cell(text: str) -> str:
    if text and text[0] in "=+-@\t\r" and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text
