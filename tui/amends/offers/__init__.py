"""The recovery offer per customer: credits, trial extensions and consultations from a CSV.

:func:`offers_for` (the one entry point of the CLI and the dashboard) reads a customer list
and applies the playbook's :class:`~tui.core.playbook.RecoveryPolicy` to every affected
customer. The rules live one concern to a module:

* :mod:`.money` -- currencies (ISO 4217), rounding to the minor unit, credit amounts and
  trial days: the numbers a customer is promised;
* :mod:`.customer_list` -- reading the CSV (UTF-8, at most 20 MB) and checking every row,
  each problem ``FILE:LINE: message``;
* :mod:`.compute` -- which customer gets which offer, and the per-currency totals;
* :mod:`.results` -- the offers, their JSON and CSV exports, and :class:`OffersError`, the
  one refusal (the first 50 problems listed, the rest counted);
* :mod:`.cells` -- terminal cell widths, so the tables line up (:func:`fit`).

Pure: standard library and the ``iso4217`` data (loaded on first use;
``tui.core.playbook`` is needed for type hints alone), cheap to import.
"""

from __future__ import annotations

from tui.amends.offers.cells import cell_width, cells, fit
from tui.amends.offers.compute import compute_offers, offers_for
from tui.amends.offers.customer_list import (
    MAX_AFFECTED_MINUTES,
    MAX_BYTES,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    read_offers_file,
)
from tui.amends.offers.money import (
    FOUR_DECIMAL_CURRENCIES,
    ROUNDING,
    THREE_DECIMAL_CURRENCIES,
    ZERO_DECIMAL_CURRENCIES,
    credit_amount,
    currencies,
    minor_unit,
    round_amount,
    trial_extension_days,
)
from tui.amends.offers.results import (
    CSV_COLUMNS,
    MAX_PROBLEMS,
    CustomerOffer,
    OffersError,
    OffersResult,
)

__all__ = [
    "CSV_COLUMNS",
    "FOUR_DECIMAL_CURRENCIES",
    "MAX_AFFECTED_MINUTES",
    "MAX_BYTES",
    "MAX_FRACTION_DIGITS",
    "MAX_INTEGER_DIGITS",
    "MAX_PROBLEMS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ROUNDING",
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "CustomerOffer",
    "OffersError",
    "OffersResult",
    "cell_width",
    "cells",
    "compute_offers",
    "credit_amount",
    "currencies",
    "fit",
    "minor_unit",
    "offers_for",
    "read_offers_file",
    "round_amount",
    "trial_extension_days",
]
