"""The openstatus adapter (API v1: status reports): exactly once, each update at its true time.

An incident is a *status report*. Its first update creates the report with the
first message inside (``POST /status_report`` ``{title, status, message, date,
pageId}``); every later update, the resolution and the post-mortem (a final
``resolved`` update: openstatus has no post-mortem) is one ``POST
/status_report_update`` ``{statusReportId, status, message, date}``. The report's
id is the provider's reference for the incident.

``date`` is ALWAYS the publish event's real time (the payload's ``at``; for a row
queued before ``at`` existed, the outbox row's creation time, written in the same
transaction as the event): an update that leaves the outbox late keeps its true
time (without ``date`` the server would stamp its own start time).

Exactly once, without metadata: openstatus keeps no field of ours, but it keeps
each update's text and ``date`` (to the second). After an ambiguous attempt,
:meth:`OpenstatusAdapter.find` looks before it sends again:

* no report known yet: ``GET /status_report`` (the workspace's reports), the newest
  few on our page with our title, each one's FIRST update compared with the row
  (text and date): the report our create made, if it landed;
* then ``GET /status_report/{id}`` (``statusReportUpdateIds``) and ``GET
  /status_report_update/{id}`` for each: the row is there when the report holds one
  more update with its text than the ``already`` rows with that text we know were
  sent, and one with its text carries its date (to the second). Two rows with the
  same text in the same second cannot be told apart by date; the count can.

Ids: the real server answers the report's ``id`` and ``pageId`` as numbers and an
update's ``id`` as a string (the docs say strings): both are read, the reference is
kept as text, ``statusReportId`` and ``pageId`` are sent as numbers (a string is a
400). Components: openstatus attaches *monitors* to a report (``monitorIds``, the
config's component ids, numbers) and keeps no per-message component status.
Subscribers: v1 has no per-message switch; the workspace's subscriptions decide.
Requests go through :func:`tui.publish.destinations.http.request_json`
(``x-openstatus-key: <key>``; a 429's ``Retry-After`` honoured by the retry policy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

from tui.core.config import Destination
from tui.core.textsafe import clean_line
from tui.publish.destinations.http import request_json
from tui.publish.destinations.lookup import iso_z, parse_time
from tui.publish.outbox import Row
from tui.publish.retry import DeliveryError

if TYPE_CHECKING:
    import httpx

    from tui.publish.destinations import Guarantee

CANDIDATES: Final = 5  # reports looked into after an ambiguous create (newest first)
STATUSES: Final = ("investigating", "identified", "monitoring", "resolved")


def _key_header(key: str) -> Mapping[str, str]:
    return {"x-openstatus-key": key}


class OpenstatusAdapter:
    """openstatus API v1 status reports (hosted or self-hosted)."""

    guarantee: ClassVar[Guarantee] = "exactly-once"

    def __init__(self, dest: Destination, before: Callable[[], None] | None = None):
        self.dest = dest
        self.before = before  # the worker's rate limit and lease check, before each request

    def _request(self, client: httpx.Client, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.dest.base_url.rstrip('/')}{path}"
        return request_json(
            client, self.dest, method, url, auth=_key_header, body=body, before=self.before
        )

    # -- check -------------------------------------------------------------------------
    def check(self, client: httpx.Client) -> str:
        """One read-only call: ``GET /page/{page_id}`` (the key works, the page is ours)."""
        page = self._request(client, "GET", f"/page/{self._page_id()}")
        title = page.get("title") if isinstance(page, dict) else None
        named = f" ({clean_line(str(title))[:80]})" if title else ""
        return f"openstatus page {self._page_id()}{named} answers; the key is accepted"

    # -- send --------------------------------------------------------------------------
    def send(self, client: httpx.Client, row: Row, provider_ref: str | None) -> str:
        """Create the report (first update) or add an update to it; the report's id."""
        p = row.payload
        status = "resolved" if p.get("kind") == "postmortem" else str(p.get("status"))
        if status not in STATUSES:
            raise DeliveryError(
                f"status {status!r} is not an openstatus status ({', '.join(STATUSES)})",
                retryable=False,
            )
        message, at = _message(row), row_at(row)
        if provider_ref is None:
            if p.get("kind") == "postmortem":
                raise DeliveryError(
                    "the incident is not on openstatus yet: publish an update first",
                    retryable=False,
                )
            body: dict[str, Any] = {
                "title": str(p.get("incident_title") or p["name"])[:256],
                "status": status,
                "message": message,
                "date": at,
                "pageId": self._page_id(),
            }
            monitors = self._monitor_ids()
            if monitors:
                body["monitorIds"] = monitors
            answer = self._request(client, "POST", "/status_report", body)
            return _id_of(answer, "status report")
        answer = self._request(
            client,
            "POST",
            "/status_report_update",
            {
                "statusReportId": _number_ref(provider_ref),
                "status": status,
                "message": message,
                "date": at,
            },
        )
        _id_of(answer, "status report update")  # an answer without one: ambiguous
        return provider_ref

    # -- find --------------------------------------------------------------------------
    def find(
        self, client: httpx.Client, row: Row, provider_ref: str | None, already: int = 0
    ) -> tuple[str | None, bool]:
        """After an ambiguous attempt: (the report, whether this row is on it)."""
        if provider_ref is None:
            provider_ref = self._find_report(client, row)
            if provider_ref is None:
                return None, False
        report = self._request(client, "GET", f"/status_report/{provider_ref}")
        ids = report.get("statusReportUpdateIds") if isinstance(report, dict) else None
        updates = [
            self._request(client, "GET", f"/status_report_update/{uid}")
            for uid in (ids if isinstance(ids, list) else [])
        ]
        return provider_ref, is_there(updates, _message(row), row_at(row), already)

    def _find_report(self, client: httpx.Client, row: Row) -> str | None:
        """The report our ambiguous create made, if it landed: our page, our title, and a
        first update with the row's text and date."""
        reports = self._request(client, "GET", "/status_report")
        title = str(row.payload.get("incident_title") or row.payload["name"])[:256]
        mine = [
            r
            for r in (reports if isinstance(reports, list) else [])
            if isinstance(r, dict)
            and r.get("title") == title
            and str(r.get("pageId")) == str(self._page_id())
            and isinstance(r.get("statusReportUpdateIds"), list)
            and r["statusReportUpdateIds"]
        ]
        mine.sort(key=lambda r: _sort_key(r.get("id")), reverse=True)
        for report in mine[:CANDIDATES]:
            first = min(report["statusReportUpdateIds"], key=_sort_key)
            update = self._request(client, "GET", f"/status_report_update/{first}")
            if is_there([update], _message(row), row_at(row)):
                return str(report["id"])
        return None

    # -- config ------------------------------------------------------------------------
    def _page_id(self) -> int:
        try:
            return int(self.dest.page_id)
        except ValueError:
            raise DeliveryError(
                f"page_id of destination {self.dest.id!r} must be the number of the "
                f"openstatus page (it is {self.dest.page_id!r})",
                retryable=False,
            ) from None

    def _monitor_ids(self) -> list[int]:
        ids: list[int] = []
        for name, value in dict(self.dest.components).items():
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                raise DeliveryError(
                    f"component {name!r} of destination {self.dest.id!r}: an openstatus "
                    f"monitor id is a number (it is {value!r})",
                    retryable=False,
                ) from None
        return ids


def _message(row: Row) -> str:
    return str(row.payload["body"]).strip()


def row_at(row: Row) -> str:
    """The row's event time, UTC with ``Z`` (the payload's ``at``, else its queue time)."""
    return iso_z(parse_time(row.payload.get("at")) or row.created_at)


def _same_second(ours: str, theirs: object) -> bool:
    a, b = parse_time(ours), parse_time(theirs)
    return a is not None and b is not None and int(a.timestamp()) == int(b.timestamp())


def is_there(updates: list[Any], message: str, at: str, already: int = 0) -> bool:
    """The updates hold the row: one more with its text than the ``already`` rows with
    that text known to be sent, and one with its text carries its date (to the second)."""
    same = [
        u
        for u in updates
        if isinstance(u, dict)
        and isinstance(u.get("message"), str)
        and u["message"].strip() == message
    ]
    return len(same) > already and any(_same_second(at, u.get("date")) for u in same)


def _id_of(answer: Any, what: str) -> str:
    ref = answer.get("id") if isinstance(answer, dict) else None
    if isinstance(ref, bool) or not isinstance(ref, str | int) or str(ref) == "":
        raise DeliveryError(
            f"openstatus answered without the {what}'s id", retryable=True, ambiguous=True
        )
    return str(ref)


def _number_ref(ref: str) -> int | str:
    """The report id as the API takes it (a number); kept as given if it is not one."""
    return int(ref) if ref.isdigit() else ref


def _sort_key(value: object) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (-1, text)
