"""Applying the playbook's recovery policy to every customer of the list.

* **credit** -- ``policy.credit_pct(outage)`` percent of the monthly amount, the percentage
  always within the policy bounds, rounded by :mod:`~tui.amends.offers.money`; the
  per-currency totals are the exact sums of the rounded row amounts;
* **trial_extension** -- the outage plus the goodwill buffer, rounded up to whole days;
* **consultation** -- a flag for the plans whose offers include it.

Unaffected customers get the offer ``"none"`` and nothing else. A customer's own
``affected_minutes`` replaces the incident's outage for that customer.

Without ``skip_bad`` every problem of the list is counted and raised together as
:class:`~tui.amends.offers.results.OffersError` and nothing is computed; with it the bad rows
are listed in ``OffersResult.skipped`` and the rest are computed.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from tui.amends.offers.customer_list import Row, check_customers, read_offers_file
from tui.amends.offers.money import ROUNDING, credit_amount, round_amount, trial_extension_days
from tui.amends.offers.results import MAX_PROBLEMS, CustomerOffer, OffersError, OffersResult

if TYPE_CHECKING:  # pragma: no cover
    from tui.core.playbook import RecoveryPolicy
    from tui.core.state import IncidentState

_MINUTE_US = 60_000_000


def _offer(row: Row, policy: RecoveryPolicy, outage: timedelta) -> CustomerOffer:
    if not row.affected:
        return CustomerOffer(
            row.customer_id, row.name, row.plan, "none", None, None, row.currency, None, False, None
        )
    offers = tuple(policy.plans.get(row.plan, ()))
    own = outage if row.minutes is None else timedelta(minutes=row.minutes)
    pct = amount = None
    days = None
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
    checked = check_customers(csv_text, filename, list(policy.plans))
    if checked is None:  # empty file
        return OffersResult([], {}, [], ROUNDING, outage_minutes)
    bad = checked.bad
    if bad and not skip_bad:
        listed = [f"{filename}:{line}: {m}" for line, messages in bad for m in messages]
        raise OffersError(listed[:MAX_PROBLEMS], checked.bad_problems)
    skipped = [f"{filename}:{line}: {'; '.join(messages)}" for line, messages in bad]

    customers = [_offer(row, policy, outage) for row in checked.rows]
    totals: dict[str, Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = 80  # exact: the sums never round
        for c in customers:
            if c.credit_amount is not None:
                zero = round_amount(Decimal(0), c.currency)
                totals[c.currency] = totals.get(c.currency, zero) + c.credit_amount
    totals = dict(sorted(totals.items()))
    return OffersResult(customers, totals, skipped, ROUNDING, outage_minutes, checked.bad_rows)


def offers_for(
    state: IncidentState,
    path: str | os.PathLike[str],
    now: datetime,
    *,
    skip_bad: bool = False,
) -> OffersResult:
    """The incident's offers: its playbook's policy, its outage so far (or until resolved),
    the billing export at ``path``. The one entry point of the CLI and the dashboard."""
    policy = state.book.recovery
    if policy is None:
        raise OffersError([f"the playbook \u201c{state.book.name}\u201d has no recovery policy"])
    end = state.resolved_at or now
    outage = end - (state.detected_at or end)
    filename = str(path)
    return compute_offers(read_offers_file(path), filename, policy, outage, skip_bad=skip_bad)
