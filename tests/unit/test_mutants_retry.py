"""The retry policy's pure parts, pinned where mutation testing found them loose.

What each HTTP status means for a row, the backoff step and its jitter from a seeded rng,
Retry-After in seconds or as an HTTP date, and the wait a row gets. Values are computed here
from the documented rule (tui/publish/retry.py's docstring), not read back from the code.
"""

from __future__ import annotations

import random
import time
from email.utils import formatdate

import pytest

from tui.publish import retry
from tui.publish.retry import DeliveryError, backoff, parse_retry_after, verdict, wait_before_retry


@pytest.mark.parametrize(
    ("status", "meaning"),
    [
        (100, "sent"),
        (200, "sent"),
        (299, "sent"),
        (300, "redirect"),
        (301, "redirect"),
        (399, "redirect"),
        (400, "permanent"),
        (401, "permanent"),
        (418, "permanent"),  # not in PERMANENT: a 4xx stops all the same
        (419, "permanent"),
        (420, "throttled"),
        (421, "permanent"),
        (429, "throttled"),
        (499, "permanent"),
        (500, "ambiguous"),
        (503, "ambiguous"),
        (599, "ambiguous"),
    ],
)
def test_what_each_status_means(status: int, meaning: str) -> None:
    assert verdict(status) == meaning


def test_the_backoff_step_doubles_from_one_second_and_is_capped_with_jitter() -> None:
    assert (retry.BACKOFF_BASE, retry.BACKOFF_CAP) == (1.0, 120.0)
    for attempts in range(12):
        step = min(120.0, 2.0**attempts)
        expected = random.Random(attempts).uniform(0.5, 1.0) * step
        assert backoff(attempts, random.Random(attempts)) == pytest.approx(expected)
        # the jitter keeps it between half the step and the step
        assert step / 2 <= backoff(attempts, random.Random(attempts + 100)) <= step
    assert backoff(20, random.Random(3)) <= 120.0
    # without an rng, the module's random: still inside the band
    for attempts in (0, 3, 9):
        step = min(120.0, 2.0**attempts)
        assert step / 2 <= backoff(attempts) <= step


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("5", 5.0),
        (" 7 ", 7.0),
        ("0.25", 0.25),
        ("0", 0.0),
        ("-3", 0.0),
        ("3600", 3600.0),
        ("3601", 3600.0),
        ("99999", 3600.0),
        ("soon", None),
    ],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    ahead = parse_retry_after(formatdate(time.time() + 120, usegmt=True))
    assert ahead is not None and 100 <= ahead <= 121  # slack for a loaded machine
    assert parse_retry_after(formatdate(time.time() - 600, usegmt=True)) == 0.0
    assert parse_retry_after(formatdate(time.time() + 86_400, usegmt=True)) == 3600.0


def test_the_wait_is_the_backoff_unless_the_provider_said_how_long() -> None:
    plain = DeliveryError("boom", retryable=True)
    assert wait_before_retry(plain, 4, random.Random(9)) == backoff(4, random.Random(9))
    for given, wait in ((7.0, 7.0), (0.0, 0.5), (0.2, 0.5), (0.5, 0.5), (3600.0, 3600.0)):
        told = DeliveryError("slow down", retryable=True, retry_after=given)
        rng = random.Random(9)
        assert wait_before_retry(told, 4, rng) == wait
        # the jitter is drawn either way: the seeded sequence goes on the same
        fresh = random.Random(9)
        fresh.random()
        assert rng.random() == fresh.random()


def test_a_delivery_error_carries_its_message_and_verdict() -> None:
    e = DeliveryError("HTTP 503 from the page", retryable=True)
    assert str(e) == "HTTP 503 from the page"
    assert (e.retryable, e.ambiguous, e.retry_after) == (True, False, None)
    e = DeliveryError("reset", retryable=False, ambiguous=True, retry_after=2.5)
    assert (e.retryable, e.ambiguous, e.retry_after) == (False, True, 2.5)
