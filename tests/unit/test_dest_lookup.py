"""The look-up rule of the adapters whose providers keep no metadata (Instatus, Better Stack):
a row is on the provider when an update has its exact text AND its event time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tui.publish.destinations.lookup import is_there, iso_z, same_instant

AT = "2026-11-27T00:02:03.456Z"
TEXT = "We are looking into failed logins."


def test_the_time_is_utc_with_z_to_the_millisecond():
    local = datetime(2026, 11, 27, 2, 2, 3, 456789, tzinfo=timezone(timedelta(hours=2)))
    assert iso_z(local) == AT


def test_the_same_instant_in_any_form():
    assert same_instant(AT, "2026-11-27T00:02:03.456Z")
    assert same_instant(AT, "2026-11-27T01:02:03.456+01:00")  # another offset
    assert same_instant(AT, "2026-11-27T00:02:03Z")  # a provider that keeps whole seconds
    assert not same_instant(AT, "2026-11-27T00:02:03.457Z")
    assert not same_instant(AT, "2026-11-27T00:02:04Z")
    assert not same_instant(AT, None) and not same_instant(AT, "soon")


def test_text_and_time_name_the_row():
    earlier = "2026-11-27T00:01:00.000Z"
    assert is_there([(TEXT, AT)], TEXT, AT)
    assert is_there([(f"  {TEXT}\n", AT)], TEXT, AT), "whitespace at the ends is not text"
    # the same text at another time is another row (a repeated message): not this one
    assert not is_there([(TEXT, earlier)], TEXT, AT)
    assert not is_there([("Something else", AT)], TEXT, AT)
    assert is_there([(TEXT, earlier), (TEXT, AT)], TEXT, AT, already=1)


def test_without_times_the_copies_beyond_those_sent_count():
    assert is_there([(TEXT, None)], TEXT, AT, already=0)
    assert not is_there([(TEXT, None)], TEXT, AT, already=1), "the one copy is the earlier row"
    assert is_there([(TEXT, None), (TEXT, None)], TEXT, AT, already=1)


def test_a_row_without_at_uses_its_creation_time():
    from tui.publish.destinations.lookup import row_at
    from tui.publish.outbox import Row

    created = datetime(2026, 11, 27, 0, 2, 3, 456000, tzinfo=UTC)
    row = Row(
        id=1,
        incident_id="INC-1",
        destination="d",
        purpose="update",
        key="k",
        payload={"body": TEXT},  # queued before payloads carried "at"
        state="pending",
        attempts=0,
        next_attempt_at=created,
        lease_owner=None,
        ambiguous=False,
        last_error=None,
        provider_ref=None,
        created_at=created,
        sent_at=None,
    )
    assert row_at(row) == AT
