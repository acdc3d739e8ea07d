"""The page's rows as Statuspage v1 objects: components, incidents, post-mortems.

Every function reads inside the caller's connection (one snapshot or one write
transaction) and returns plain JSON-ready dicts with Statuspage's field names: an
incident carries its components, its timeline newest first, and its post-mortem body
only once published. Times are as stored (ISO 8601 UTC with ``Z``); the public API and
the HTML page shift them to the page's zone.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def component(row: sqlite3.Row, page_id: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "page_id": page_id,
        "group_id": None,
        "name": row["name"],
        "description": None,
        "position": row["position"],
        "status": row["status"],
        "showcase": True,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def components(con: sqlite3.Connection, page_id: str) -> list[dict[str, Any]]:
    """Every component, in page order."""
    rows = con.execute("SELECT * FROM components ORDER BY position")
    return [component(r, page_id) for r in rows]


def incident(con: sqlite3.Connection, incident_id: str, page_id: str) -> dict[str, Any] | None:
    """The incident with its components, updates (newest first) and post-mortem; None if
    there is no such incident."""
    row = con.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row is None:
        return None
    comps = con.execute(
        "SELECT c.* FROM components c JOIN incident_components ic ON ic.component_id = c.id"
        " WHERE ic.incident_id = ? ORDER BY c.position",
        (incident_id,),
    )
    updates = con.execute(
        "SELECT * FROM incident_updates WHERE incident_id = ? ORDER BY seq DESC",
        (incident_id,),
    )
    pm = postmortem_row(con, incident_id)
    published = pm if pm is not None and pm["published_at"] is not None else None
    return {
        "id": row["id"],
        "page_id": page_id,
        "name": row["name"],
        "status": row["status"],
        "impact": row["impact_override"] or row["impact"],
        "impact_override": row["impact_override"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "monitoring_at": row["monitoring_at"],
        "resolved_at": row["resolved_at"],
        "started_at": row["created_at"],
        "metadata": json.loads(row["metadata"]),
        "components": [component(c, page_id) for c in comps],
        "incident_updates": [
            {
                "id": u["id"],
                "incident_id": u["incident_id"],
                "status": u["status"],
                "body": u["body"],
                "display_at": u["display_at"],
                "created_at": u["created_at"],
                "updated_at": u["created_at"],
                "deliver_notifications": bool(u["deliver_notifications"]),
                "affected_components": json.loads(u["affected_components"]),
            }
            for u in updates
        ],
        "postmortem_body": published["body"] if published is not None else None,
        "postmortem_body_last_updated_at": pm["updated_at"] if pm is not None else None,
        "postmortem_published_at": published["published_at"] if published is not None else None,
        "postmortem_notified_subscribers": bool(pm["notify_subscribers"]) if pm else False,
        "postmortem_notified_twitter": bool(pm["notify_twitter"]) if pm else False,
    }


def incident_exists(con: sqlite3.Connection, incident_id: str) -> bool:
    row = con.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    return row is not None


def postmortem_row(con: sqlite3.Connection, incident_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = con.execute(
        "SELECT * FROM postmortems WHERE incident_id = ?", (incident_id,)
    ).fetchone()
    return row


def postmortem(incident_id: str, row: sqlite3.Row | None) -> dict[str, Any]:
    """The post-mortem object (all empty when none was written yet)."""
    if row is None:
        return {
            "incident_id": incident_id,
            "body_draft": None,
            "body": None,
            "published_at": None,
            "notify_subscribers": False,
            "notify_twitter": False,
            "created_at": None,
            "updated_at": None,
        }
    return {
        "incident_id": incident_id,
        "body_draft": row["body_draft"],
        "body": row["body"],
        "published_at": row["published_at"],
        "notify_subscribers": bool(row["notify_subscribers"]),
        "notify_twitter": bool(row["notify_twitter"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def updated_at(con: sqlite3.Connection) -> str:
    """When anything on the page last changed (the file's creation at first)."""
    row = con.execute(
        "SELECT max(t) FROM (SELECT max(updated_at) AS t FROM components"
        " UNION ALL SELECT max(updated_at) FROM incidents"
        " UNION ALL SELECT value FROM meta WHERE key = 'created_at')"
    ).fetchone()
    value: str = row[0]
    return value
