"""The embedded local status page: real uvicorn on loopback, real httpx, a tmp SQLite file."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tui.localpage.serve import BackgroundServer
from tui.localpage.store import PageStore, PageStoreError, component_id

KEY = "sk-test-9f2c41d7e0b3a8"
AUTH = {"Authorization": f"OAuth {KEY}"}
SCRIPT = "<script>alert(1)</script>"


class Page:
    """A running page and clients for its admin (/v1) and public sides."""

    def __init__(self, server: BackgroundServer):
        self.server = server
        self.api = httpx.Client(base_url=server.api_base, headers=AUTH, trust_env=False, timeout=30)
        self.web = httpx.Client(base_url=server.url, trust_env=False, timeout=30)
        self.bodies: list[str] = []  # every answer's text, to look for the key in

    def _keep(self, r: httpx.Response) -> httpx.Response:
        self.bodies.append(r.text)
        return r

    def get(self, path: str, **kw) -> httpx.Response:
        return self._keep(self.api.get(path, **kw))

    def post(self, path: str, **kw) -> httpx.Response:
        return self._keep(self.api.post(path, **kw))

    def patch(self, path: str, **kw) -> httpx.Response:
        return self._keep(self.api.patch(path, **kw))

    def put(self, path: str, **kw) -> httpx.Response:
        return self._keep(self.api.put(path, **kw))

    def public(self, path: str) -> httpx.Response:
        return self._keep(self.web.get(path))

    def html(self) -> str:
        r = self.public("/")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        return r.text

    def create(self, **incident) -> dict:
        incident.setdefault("name", "API errors")
        r = self.post("/pages/local/incidents", json={"incident": incident})
        assert r.status_code == 201, r.text
        return r.json()

    def close(self) -> None:
        self.api.close()
        self.web.close()


API, DASH, INTEG = (component_id(n) for n in ("API", "Dashboard", "Integrations"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "page.db"


@pytest.fixture
def page(db: Path) -> Iterator[Page]:
    server = BackgroundServer(db, api_key=KEY).start()
    p = Page(server)
    try:
        yield p
    finally:
        p.close()
        server.stop()
    for body in p.bodies:
        assert KEY not in body


# -- incidents ---------------------------------------------------------------------------


def test_create_answers_201_with_the_statuspage_fields(page: Page):
    r = page.post(
        "/pages/local/incidents",
        json={
            "incident": {
                "name": "Elevated API errors",
                "status": "investigating",
                "body": "We are looking into it.",
                "impact_override": "major",
                "component_ids": [API],
                "components": {API: "partial_outage"},
                "deliver_notifications": True,
                "metadata": {"warroom": {"key": "wr-1"}},
            }
        },
    )
    assert r.status_code == 201
    inc = r.json()
    fields = (
        "id page_id name status impact impact_override shortlink created_at updated_at "
        "monitoring_at resolved_at metadata components incident_updates "
        "postmortem_body postmortem_published_at"
    )
    for field in fields.split():
        assert field in inc, field
    assert re.fullmatch(r"[a-z0-9]{12}", inc["id"])
    assert inc["page_id"] == "local"
    assert inc["status"] == "investigating"
    assert inc["impact"] == "major" and inc["impact_override"] == "major"
    assert inc["metadata"] == {"warroom": {"key": "wr-1"}}
    assert inc["resolved_at"] is None and inc["monitoring_at"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", inc["created_at"])
    assert inc["shortlink"].startswith(page.server.url)
    assert [c["id"] for c in inc["components"]] == [API]
    assert inc["components"][0]["status"] == "partial_outage"
    (first,) = inc["incident_updates"]
    assert re.fullmatch(r"[a-z0-9]{12}", first["id"])
    assert first["incident_id"] == inc["id"]
    assert first["status"] == "investigating"
    assert first["body"] == "We are looking into it."
    assert first["deliver_notifications"] is True
    assert first["display_at"].endswith("Z") and first["created_at"].endswith("Z")
    assert first["affected_components"] == [
        {"code": API, "name": "API", "old_status": "operational", "new_status": "partial_outage"}
    ]
    # the shortlink leads to the incident on the human page
    r = page.web.get(inc["shortlink"], follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].endswith(f"#incident-{inc['id']}")
    # it can be read back, also through the `.json` spelling
    assert page.get(f"/pages/local/incidents/{inc['id']}").json() == inc
    assert page.get(f"/pages/local/incidents/{inc['id']}.json").json() == inc


def test_create_defaults_and_computed_impact(page: Page):
    inc = page.create(name="Slow dashboard", components={DASH: "degraded_performance"})
    assert inc["status"] == "investigating"
    assert inc["impact"] == "minor" and inc["impact_override"] is None
    assert inc["metadata"] == {}
    assert len(inc["incident_updates"]) == 1 and inc["incident_updates"][0]["body"] == ""


def test_patch_adds_updates_newest_first_and_resolving_sets_resolved_at(page: Page):
    inc = page.create(body="Investigating.", metadata={"warroom": {"key": "wr-2"}})
    url = f"/pages/local/incidents/{inc['id']}"
    r = page.patch(url, json={"incident": {"status": "identified", "body": "Cause found."}})
    assert r.status_code == 200
    r = page.patch(url, json={"incident": {"body": "Still identified, fix in progress."}})
    assert r.json()["status"] == "identified"
    r = page.patch(url, json={"incident": {"status": "monitoring", "body": "Fix deployed."}})
    inc2 = r.json()
    assert inc2["monitoring_at"] is not None and inc2["resolved_at"] is None
    # metadata merges; a metadata-only PATCH adds no timeline entry
    r = page.patch(url, json={"incident": {"metadata": {"warroom": {"phase": "monitor"}}}})
    assert r.json()["metadata"] == {"warroom": {"key": "wr-2", "phase": "monitor"}}
    assert len(r.json()["incident_updates"]) == 4
    r = page.patch(
        url,
        json={
            "incident": {
                "status": "resolved",
                "body": "All good.",
                "components": {API: "operational"},
            }
        },
    )
    done = r.json()
    assert done["status"] == "resolved"
    assert done["resolved_at"] is not None and done["resolved_at"].endswith("Z")
    assert done["resolved_at"] >= done["created_at"]
    assert [u["body"] for u in done["incident_updates"]] == [
        "All good.",
        "Fix deployed.",
        "Still identified, fix in progress.",
        "Cause found.",
        "Investigating.",
    ]
    assert [u["status"] for u in done["incident_updates"]] == [
        "resolved",
        "monitoring",
        "identified",
        "identified",
        "investigating",
    ]
    stamps = [u["created_at"] for u in done["incident_updates"]]
    assert stamps == sorted(stamps, reverse=True)
    assert done["incident_updates"][0]["affected_components"][0]["new_status"] == "operational"
    assert page.get(url).json()["incident_updates"] == done["incident_updates"]


def test_unresolved_list_and_search(page: Page):
    a = page.create(name="Login failures", body="Users cannot sign in via SSO.")
    b = page.create(
        name="Webhook delays", body="Deliveries are late.", metadata={"warroom": {"key": "zebra"}}
    )
    c = page.create(name="Old thing", body="Done.")
    page.patch(f"/pages/local/incidents/{c['id']}", json={"incident": {"status": "resolved"}})

    unresolved = page.get("/pages/local/incidents/unresolved").json()
    assert [i["id"] for i in unresolved] == [b["id"], a["id"]]  # newest first
    assert [i["id"] for i in page.get("/pages/local/incidents/unresolved.json").json()] == [
        b["id"],
        a["id"],
    ]

    def search(q: str) -> list[str]:
        r = page.get("/pages/local/incidents", params={"q": q})
        assert r.status_code == 200
        return [i["id"] for i in r.json()]

    assert search("sso") == [a["id"]]  # update body text, case-insensitive
    assert search("WEBHOOK") == [b["id"]]  # name
    assert search("zebra") == []  # metadata is not searched
    assert search("resolved") == [c["id"]]  # status
    assert set(search("")) == {a["id"], b["id"], c["id"]}
    listed = page.get("/pages/local/incidents", params={"limit": 2, "page": 1}).json()
    assert [i["id"] for i in listed] == [c["id"], b["id"]]
    listed = page.get("/pages/local/incidents", params={"limit": 2, "page": 2}).json()
    assert [i["id"] for i in listed] == [a["id"]]


# -- errors ------------------------------------------------------------------------------


def test_auth_is_required_and_checked(page: Page):
    raw = httpx.Client(base_url=page.server.api_base, trust_env=False, timeout=30)
    for headers in (
        {},
        {"Authorization": "OAuth wrong-key"},
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": KEY},
        {"Authorization": f"OAuth {KEY}x"},
    ):
        for method, path in (
            ("GET", "/pages/local/incidents"),
            ("POST", "/pages/local/incidents"),
            ("GET", "/pages/local/components.json"),
            ("GET", "/pages/other/incidents"),
            ("GET", "/nowhere"),
        ):
            r = raw.request(method, path, headers=headers, json={"incident": {"name": "x"}})
            page.bodies.append(r.text)
            assert r.status_code == 401, (headers, method, path)
            assert r.json() == {"message": "Could not authenticate"}
    raw.close()
    # nothing was created
    assert page.get("/pages/local/incidents").json() == []
    # the scheme word is case-insensitive, as HTTP auth schemes are
    r = page.api.get("/pages/local/incidents", headers={"Authorization": f"oauth {KEY}"})
    assert r.status_code == 200


def test_wrong_page_or_incident_is_404(page: Page):
    inc = page.create()
    for method, path in (
        ("GET", "/pages/other/incidents"),
        ("GET", "/pages/other/incidents/unresolved"),
        ("GET", f"/pages/other/incidents/{inc['id']}"),
        ("GET", "/pages/local/incidents/zzzzzzzzzzzz"),
        ("PATCH", "/pages/local/incidents/zzzzzzzzzzzz"),
        ("PUT", "/pages/local/incidents/zzzzzzzzzzzz/postmortem"),
        ("PUT", "/pages/local/incidents/zzzzzzzzzzzz/postmortem/publish"),
        ("PATCH", "/pages/local/components/zzzzzzzzzzzz"),
        ("GET", "/pages/other/components"),
        ("POST", "/pages/other/incidents"),
    ):
        body = {
            "incident": {"name": "x", "status": "identified"},
            "postmortem": {"body_draft": "x"},
            "component": {"status": "operational"},
        }
        r = page.api.request(method, path, json=body)
        page.bodies.append(r.text)
        assert r.status_code == 404, (method, path, r.text)
        assert isinstance(r.json()["message"], str) and r.json()["message"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[]", b'"incident"', b'{"name": "no root key"}', b'{"incident": "x"}'],
)
def test_malformed_body_is_400(page: Page, content: bytes):
    r = page.post(
        "/pages/local/incidents", content=content, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert isinstance(r.json()["message"], str)
    inc = page.create()
    r = page.patch(
        f"/pages/local/incidents/{inc['id']}",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400


@pytest.mark.parametrize(
    "incident",
    [
        {"name": "x", "status": "exploded"},
        {"name": "x", "status": "scheduled"},
        {"name": "x", "components": {API: "on_fire"}},
        {"name": "x", "components": {"nosuchcompo": "major_outage"}},
        {"name": "x", "component_ids": ["nosuchcompo"]},
        {"name": "x" * 256},
        {"name": ""},
        {"name": "   "},
        {"body": "no name"},
        {"name": 42},
        {"name": "x", "body": "b" * 25_001},
        {"name": "x", "impact_override": "apocalyptic"},
        {"name": "x", "deliver_notifications": "yes"},
        {"name": "x", "metadata": {"key": "not an object"}},
        {"name": "x", "metadata": ["list"]},
        {"name": "x", "component_ids": API},
    ],
)
def test_invalid_incident_is_422(page: Page, incident: dict):
    r = page.post("/pages/local/incidents", json={"incident": incident})
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["message"], str)
    assert page.get("/pages/local/incidents").json() == []
    # nothing half-applied: no component moved
    assert {c["status"] for c in page.get("/pages/local/components").json()} == {"operational"}


def test_oversized_request_is_refused(page: Page):
    r = page.post(
        "/pages/local/incidents", json={"incident": {"name": "x", "body": "b" * 1_100_000}}
    )
    assert r.status_code == 413


def test_concurrent_patches_all_land(page: Page):
    from concurrent.futures import ThreadPoolExecutor

    inc = page.create(body="start")
    url = f"{page.server.api_base}/pages/local/incidents/{inc['id']}"

    def patch(n: int) -> int:
        body = {"incident": {"body": f"update {n}"}}
        return httpx.patch(url, json=body, headers=AUTH, trust_env=False, timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(patch, range(24))) == {200}
    bodies = [
        u["body"]
        for u in page.get(f"/pages/local/incidents/{inc['id']}").json()["incident_updates"]
    ]
    assert len(bodies) == 25 and bodies[-1] == "start"
    assert sorted(bodies[:-1]) == sorted(f"update {n}" for n in range(24))


def test_limits_are_inclusive(page: Page):
    inc = page.create(name="n" * 255, body="b" * 25_000)
    assert len(inc["name"]) == 255 and len(inc["incident_updates"][0]["body"]) == 25_000


def test_invalid_patch_is_422_and_changes_nothing(page: Page):
    inc = page.create(body="first")
    url = f"/pages/local/incidents/{inc['id']}"
    for bad in (
        {"status": "done"},
        {"name": "x" * 256},
        {"body": "b" * 25_001},
        {"components": {"nosuchcompo": "operational"}, "body": "x"},
        {"components": {API: "major_outage", DASH: "broken"}, "body": "x"},
    ):
        r = page.patch(url, json={"incident": bad})
        assert r.status_code == 422, bad
    after = page.get(url).json()
    assert after["incident_updates"] == inc["incident_updates"]
    assert after["status"] == "investigating"
    assert {c["status"] for c in page.get("/pages/local/components").json()} == {"operational"}


# -- components ----------------------------------------------------------------------------


def test_components_list_and_patch(page: Page):
    comps = page.get("/pages/local/components").json()
    assert [c["name"] for c in comps] == ["API", "Dashboard", "Integrations"]
    assert [c["id"] for c in comps] == [API, DASH, INTEG]
    for c in comps:
        assert set(c) >= {"id", "page_id", "name", "status", "updated_at"}
        assert c["status"] == "operational" and c["page_id"] == "local"
    r = page.patch(
        f"/pages/local/components/{DASH}", json={"component": {"status": "partial_outage"}}
    )
    assert r.status_code == 200
    assert r.json()["id"] == DASH and r.json()["status"] == "partial_outage"
    assert page.get("/pages/local/components.json").json()[1]["status"] == "partial_outage"
    r = page.patch(f"/pages/local/components/{DASH}", json={"component": {"status": "fine"}})
    assert r.status_code == 422
    r = page.patch(f"/pages/local/components/{DASH}", json={"status": "operational"})
    assert r.status_code == 400


def test_component_ids_are_derived_from_names():
    import hashlib

    assert component_id("API") == hashlib.sha1(b"API").hexdigest()[:12]
    assert re.fullmatch(r"[0-9a-f]{12}", component_id("Dashboard"))


def test_summary_indicator_follows_component_status_and_incidents(page: Page):
    def status() -> dict:
        r = page.public("/api/v2/summary.json")
        assert r.status_code == 200
        return r.json()

    s = status()
    assert set(s) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert set(s["page"]) >= {"id", "name", "url", "time_zone", "updated_at"}
    assert s["page"]["id"] == "local" and s["page"]["time_zone"] == "UTC"
    assert s["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert s["incidents"] == [] and s["scheduled_maintenances"] == []

    page.patch(
        f"/pages/local/components/{API}", json={"component": {"status": "degraded_performance"}}
    )
    assert status()["status"] == {"indicator": "minor", "description": "Partial System Outage"}
    page.patch(f"/pages/local/components/{API}", json={"component": {"status": "major_outage"}})
    s = status()
    assert s["status"] == {"indicator": "major", "description": "Major System Outage"}
    assert {c["id"]: c["status"] for c in s["components"]}[API] == "major_outage"
    page.patch(f"/pages/local/components/{API}", json={"component": {"status": "operational"}})
    assert status()["status"]["indicator"] == "none"

    inc = page.create(name="Something odd", metadata={"warroom": {"key": "secret-ish"}})
    s = status()
    assert s["status"]["indicator"] == "minor"  # an open incident is never "all operational"
    assert [i["id"] for i in s["incidents"]] == [inc["id"]]
    assert "metadata" not in s["incidents"][0]  # the public API shows no metadata
    un = page.public("/api/v2/incidents/unresolved.json").json()
    assert set(un) == {"page", "incidents"} and [i["id"] for i in un["incidents"]] == [inc["id"]]
    page.patch(
        f"/pages/local/incidents/{inc['id']}", json={"incident": {"impact_override": "critical"}}
    )
    assert status()["status"]["indicator"] == "critical"
    page.patch(f"/pages/local/incidents/{inc['id']}", json={"incident": {"status": "resolved"}})
    s = status()
    assert s["status"]["indicator"] == "none" and s["incidents"] == []
    assert page.public("/api/v2/incidents/unresolved.json").json()["incidents"] == []


def test_public_times_carry_the_page_offset(db: Path):
    with BackgroundServer(db, api_key=KEY, time_zone="America/New_York") as server:
        s = httpx.get(server.url + "/api/v2/summary.json", trust_env=False).json()
    assert s["page"]["time_zone"] == "America/New_York"
    assert re.search(r"-0[45]:00$", s["page"]["updated_at"])
    assert all(re.search(r"-0[45]:00$", c["updated_at"]) for c in s["components"])


# -- post-mortem ---------------------------------------------------------------------------


def test_postmortem_draft_then_publish(page: Page):
    inc = page.create(body="Down.")
    url = f"/pages/local/incidents/{inc['id']}/postmortem"
    page.patch(f"/pages/local/incidents/{inc['id']}", json={"incident": {"status": "resolved"}})
    r = page.put(url + "/publish", json={"postmortem": {"notify_subscribers": False}})
    assert r.status_code == 422  # nothing drafted yet
    r = page.put(
        url, json={"postmortem": {"body_draft": "Root cause: a bad deploy.\nFix: rollback."}}
    )
    assert r.status_code == 200
    pm = r.json()
    assert pm["body_draft"].startswith("Root cause") and pm["body"] is None
    assert pm["published_at"] is None
    assert "Root cause" not in page.html()  # a draft is not public
    assert page.get(f"/pages/local/incidents/{inc['id']}").json()["postmortem_body"] is None
    r = page.put(url, json={"body_draft": "no root key"})
    assert r.status_code == 400
    r = page.put(url + ".json", json={"postmortem": {"body_draft": 7}})
    assert r.status_code == 422

    r = page.put(
        url + "/publish", json={"postmortem": {"notify_subscribers": True, "notify_twitter": False}}
    )
    assert r.status_code == 200
    pm = r.json()
    assert pm["body"] == "Root cause: a bad deploy.\nFix: rollback."
    assert pm["published_at"].endswith("Z")
    got = page.get(f"/pages/local/incidents/{inc['id']}").json()
    assert got["postmortem_body"] == pm["body"]
    assert got["postmortem_published_at"] == pm["published_at"]
    text = page.html()
    assert "Post-mortem" in text and "<p>Root cause: a bad deploy.<br>\nFix: rollback.</p>" in text


# -- the human page -------------------------------------------------------------------------


def test_html_page_shows_updates_escaped_and_in_order(page: Page):
    text = page.html()
    assert '<meta http-equiv="refresh" content="10">' in text
    assert "All Systems Operational" in text and "No incidents reported." in text

    old = page.create(name="Earlier blip", body="Short blip.")
    page.patch(
        f"/pages/local/incidents/{old['id']}",
        json={"incident": {"status": "resolved", "body": "Blip over."}},
    )
    inc = page.create(
        name="API errors <b>bold</b>",
        body=f"Investigating.\nSecond line {SCRIPT}",
        components={API: "major_outage"},
    )
    r = page.patch(
        f"/pages/local/incidents/{inc['id']}",
        json={"incident": {"status": "identified", "body": "Found & fixing."}},
    )
    updates = r.json()["incident_updates"]
    text = page.html()

    assert SCRIPT not in text and "<b>bold</b>" not in text
    assert html.escape(SCRIPT, quote=False) in text
    assert "API errors &lt;b&gt;bold&lt;/b&gt;" in text
    assert "Found &amp; fixing." in text
    assert "Investigating.<br>\nSecond line" in text  # a line break is a line break
    # overall status and component status in words
    assert "Major System Outage" in text and "Major outage" in text
    assert "Identified" in text and "Resolved" in text
    # every update is marked, newest first; the open incident comes before the resolved one
    ids = re.findall(r'data-update-id="([a-z0-9]{12})"', text)
    assert ids[:2] == [u["id"] for u in updates]
    assert len(ids) == 4
    assert text.index(f'data-incident-id="{inc["id"]}"') < text.index(
        f'data-incident-id="{old["id"]}"'
    )
    assert "content-security-policy" in page.public("/").headers


def test_html_page_drops_terminal_control_characters(page: Page):
    page.create(name="Escape \x1b[31mred\x1b[0m", body="bell\x07 and nul\x00 gone")
    text = page.html()
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    assert "Escape red" in text and "bell and nul gone" in text


# -- lifecycle -------------------------------------------------------------------------------


def test_restart_on_the_same_file_keeps_everything(db: Path):
    with BackgroundServer(db, api_key=KEY) as server:
        api = httpx.Client(base_url=server.api_base, headers=AUTH, trust_env=False, timeout=30)
        inc = api.post(
            "/pages/local/incidents",
            json={
                "incident": {
                    "name": "Persisted",
                    "body": "one",
                    "components": {INTEG: "partial_outage"},
                }
            },
        ).json()
        api.patch(f"/pages/local/incidents/{inc['id']}", json={"incident": {"body": "two"}})
        api.put(
            f"/pages/local/incidents/{inc['id']}/postmortem",
            json={"postmortem": {"body_draft": "pm"}},
        )
        before = api.get(f"/pages/local/incidents/{inc['id']}").json()
        api.close()
    with BackgroundServer(db, api_key=KEY) as server:
        api = httpx.Client(base_url=server.api_base, headers=AUTH, trust_env=False, timeout=30)
        after = api.get(f"/pages/local/incidents/{inc['id']}").json()
        comps = {c["id"]: c["status"] for c in api.get("/pages/local/components").json()}
        pm = api.get(f"/pages/local/incidents/{inc['id']}/postmortem").json()
        api.close()
    assert {k: v for k, v in after.items() if k != "shortlink"} == {
        k: v for k, v in before.items() if k != "shortlink"
    }
    assert [u["body"] for u in after["incident_updates"]] == ["two", "one"]
    assert comps[INTEG] == "partial_outage"
    assert pm["body_draft"] == "pm"


def test_a_file_belongs_to_one_page_and_foreign_files_are_refused(tmp_path: Path):
    db = tmp_path / "p.db"
    PageStore(db, page_id="local", components=["API"])
    with pytest.raises(PageStoreError):
        PageStore(db, page_id="another", components=["API"])
    other = tmp_path / "other.db"
    import sqlite3

    con = sqlite3.connect(other)
    con.execute("CREATE TABLE events (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(PageStoreError):
        PageStore(other, page_id="local")
    assert (db.stat().st_mode & 0o777) == 0o600


def test_new_components_in_config_are_added_on_restart(db: Path):
    PageStore(db, page_id="local", components=["API"])
    s = PageStore(db, page_id="local", components=["API", "Billing"])
    assert [c["name"] for c in s.components()] == ["API", "Billing"]
    assert s.components()[1]["id"] == component_id("Billing")


def test_port_zero_picks_a_free_port_and_two_servers_run_at_once(tmp_path: Path):
    a = BackgroundServer(tmp_path / "a.db", api_key=KEY, page_name="Alpha").start()
    b = BackgroundServer(tmp_path / "b.db", api_key="other-key", page_name="Beta").start()
    try:
        assert a.port and b.port and a.port != b.port
        assert a.url == f"http://127.0.0.1:{a.port}" and a.api_base == a.url + "/v1"
        assert "Alpha" in httpx.get(a.url, trust_env=False).text
        assert "Beta" in httpx.get(b.url, trust_env=False).text
        # each has its own key and its own data
        r = httpx.get(b.api_base + "/pages/local/incidents", headers=AUTH, trust_env=False)
        assert r.status_code == 401
        httpx.post(
            a.api_base + "/pages/local/incidents",
            headers=AUTH,
            json={"incident": {"name": "only on A"}},
            trust_env=False,
        )
        r = httpx.get(
            b.api_base + "/pages/local/incidents",
            headers={"Authorization": "OAuth other-key"},
            trust_env=False,
        )
        assert r.json() == []
    finally:
        a.stop()
        b.stop()
    # stopped means stopped: the port no longer answers
    with pytest.raises(httpx.ConnectError):
        httpx.get(a.url, trust_env=False, timeout=2)


def test_serve_blocks_logs_nothing_and_stops_on_sigterm(tmp_path: Path):
    import signal
    import subprocess
    import sys
    import time

    # port 0: serve() binds before serving and says the port it got (no free-port race)
    said = tmp_path / "url"
    code = (
        "import sys, pathlib; from tui.localpage.serve import serve; "
        "serve(sys.argv[1], api_key=sys.argv[2], port=0, page_name='Sub', "
        "listening=pathlib.Path(sys.argv[3]).write_text)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "s.db"), KEY, str(said)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90  # generous: the machine may be loaded
        while not (said.exists() and said.read_text().startswith("http://127.0.0.1:")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        url = said.read_text()
        while True:
            try:
                r = httpx.get(url, trust_env=False, timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert r.status_code == 200 and "Sub" in r.text
        r = httpx.get(url + "/v1/pages/local/incidents", headers=AUTH, trust_env=False, timeout=30)
        assert r.status_code == 200
        httpx.get(
            url + "/v1/pages/local/incidents",
            headers={"Authorization": "OAuth x"},
            trust_env=False,
            timeout=30,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, -signal.SIGTERM)
    assert KEY not in out + err
    assert "GET /" not in out + err  # no access log
    assert out == "" and "Traceback" not in err


def test_start_fails_loudly_on_a_taken_port(tmp_path: Path):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    try:
        server = BackgroundServer(tmp_path / "x.db", api_key=KEY, port=blocker.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
        assert not server.running
    finally:
        blocker.close()


def test_an_empty_key_is_refused(tmp_path: Path):
    with pytest.raises(ValueError):
        BackgroundServer(tmp_path / "x.db", api_key="").start()


def test_the_key_never_appears_in_answers(page: Page):
    inc = page.create(body="x")
    page.patch(f"/pages/local/incidents/{inc['id']}", json={"incident": {"status": "resolved"}})
    for path in ("/", "/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/status.json"):
        page.public(path)
    for path in ("/pages", "/pages/local", "/pages/local/incidents", "/pages/local/components"):
        page.get(path)
    r = page.get("/nowhere")  # 404 from the router, still JSON
    assert r.status_code == 404 and "message" in r.json()
    assert repr(page.server).find(KEY) == -1
    # the fixture checks every recorded body for the key
    assert len(page.bodies) >= 8


# -- bad input: 400, never a 500 or a traceback (issue 8, item 14) ---------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``warroom page serve`` (the real console script) on a free port: its URL. Its stderr is
    checked after it stops: nothing but the startup line may ever be printed."""
    import os
    import signal
    import subprocess
    import time

    from tests.conftest import warroom_exe

    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_PAGE_KEY=KEY, WARROOM_DB=str(tmp_path / "incident.db"))
    proc = subprocess.Popen(  # port 0: it binds a free port and says which (no race)
        [warroom_exe(), "page", "serve", "--port", "0", "--page-db", str(tmp_path / "p.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        found = re.search(r"status page on (http://127\.0\.0\.1:[1-9][0-9]*)/", first)
        assert found, (first, proc.poll())
        url = found.group(1)
        deadline = time.monotonic() + 90  # generous: the machine may be loaded
        while True:
            try:
                httpx.get(url + "/api/v2/status.json", trust_env=False, timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the page did not start"
                time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
    assert "Traceback" not in err and "Exception" not in err, err
    assert "Internal server error" not in err and KEY not in err


SURROGATE_BODIES = [
    ("POST", "/incidents", b'{"incident": {"name": "\\ud800"}}'),
    ("POST", "/incidents", b'{"incident": {"name": "x", "body": "half an emoji \\ud83d"}}'),
    ("POST", "/incidents", b'{"incident": {"name": "x", "metadata": {"a": {"\\udc00": 1}}}}'),
    (
        "POST",
        "/incidents",
        b'{"incident": {"name": "x", "components": {"\\ud800": "operational"}}}',
    ),
    ("POST", "/incidents", b'{"incident": {"name": "x", "component_ids": ["\\udfff"]}}'),
    ("PATCH", "/incidents/{id}", b'{"incident": {"body": "\\ud800"}}'),
    ("PUT", "/incidents/{id}", b'{"incident": {"name": "\\ud800"}}'),
    ("PUT", "/incidents/{id}/postmortem", b'{"postmortem": {"body_draft": "\\ud800"}}'),
    ("PUT", "/incidents/{id}/postmortem/publish", b'{"postmortem": {"\\ud800": true}}'),
    ("PATCH", "/components/{component}", b'{"component": {"status": "\\ud800"}}'),
    ("POST", "/incidents", b'{"incident": {"name": "\xff\xfe not UTF-8"}}'),
    ("POST", "/incidents", b'{"\\ud800": {"name": "x"}}'),
]


def test_lone_surrogates_and_undecodable_bodies_are_400_on_every_endpoint(served: str):
    api = httpx.Client(
        base_url=served + "/v1/pages/local", headers=AUTH, trust_env=False, timeout=30
    )
    inc = api.post("/incidents", json={"incident": {"name": "Before"}}).json()
    before = api.get(f"/incidents/{inc['id']}").json()
    for method, path, body in SURROGATE_BODIES:
        url = path.format(id=inc["id"], component=API)
        r = api.request(method, url, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (method, path, body, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json"
        message = r.json()["message"]
        assert message.startswith("The request body is not valid JSON"), message
        if b"\\ud" in body:
            assert "surrogate" in message
    # query strings too: a clear 422, never a 500, for anything that is not a plain number
    for query in ("limit=%D9%A1", "limit=1_0", "page=%ED%A0%80", "per_page=%FF", "page=1e3"):
        r = api.get(f"/incidents?{query}")
        assert r.status_code == 422 and "positive integer" in r.json()["message"], query
    assert api.get("/incidents?q=%ED%A0%80%FF").json() == []  # undecodable search: no match
    # nothing was stored: still the one incident, as it was, every component operational
    assert [i["id"] for i in api.get("/incidents").json()] == [inc["id"]]
    assert api.get(f"/incidents/{inc['id']}").json() == before
    assert {c["status"] for c in api.get("/components").json()} == {"operational"}
    # the public side still answers and the page still renders
    assert httpx.get(served + "/", trust_env=False, timeout=30).status_code == 200
    assert (
        httpx.get(served + "/api/v2/summary.json", trust_env=False, timeout=30).status_code == 200
    )


# -- what a customer reads (issue 8, item 18) -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Acme Cloud Status", "Acme Cloud Status"),
        ("Acme", "Acme Status"),
        ("Status", "Status"),
        ("acme status page", "acme status page"),
        ("STATUS of Acme", "STATUS of Acme"),
        ("Statusphere", "Statusphere Status"),
    ],
)
def test_the_title_never_doubles_status(db: Path, name: str, title: str):
    with BackgroundServer(db, api_key=KEY, page_name=name) as server:
        text = httpx.get(server.url + "/", trust_env=False).text
    assert f"<title>{html.escape(title)}</title>" in text
    assert not re.search(r"(?i)\bstatus\s+status\b", text)


def test_updates_render_the_statuspage_markdown_subset_escaped(page: Page):
    body = (
        "We are **on it** and *very* sorry.\n"
        "Details: [our notes](https://example.com/notes?a=1&b=2).\n"
        "\n"
        "- logins fail\n"
        "- exports are slow\n"
        "\n"
        "1. first\n"
        "2. second\n"
        "\n"
        f"Typed by someone: {SCRIPT} and [a trap](javascript:alert(1)) and <b>raw</b>"
    )
    page.create(name="Markdown", body=body)
    text = page.html()
    assert "<strong>on it</strong>" in text and "<em>very</em>" in text
    assert "**on it**" not in text
    assert "<p>We are <strong>on it</strong> and <em>very</em> sorry.<br>" in text
    assert (
        '<a href="https://example.com/notes?a=1&amp;b=2" rel="nofollow noopener noreferrer">'
        "our notes</a>"
    ) in text
    assert "<ul>\n<li>logins fail</li>\n<li>exports are slow</li>\n</ul>" in text
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in text
    # people's HTML stays text; a javascript: link is not a link
    assert SCRIPT not in text and "<b>raw</b>" not in text
    assert html.escape(SCRIPT, quote=False) in text and "&lt;b&gt;raw&lt;/b&gt;" in text
    assert 'href="javascript' not in text and "[a trap](javascript:alert(1))" in text


def test_times_are_in_the_page_zone_with_its_abbreviation(db: Path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    with BackgroundServer(db, api_key=KEY, time_zone="America/New_York") as server:
        api = httpx.Client(base_url=server.api_base, headers=AUTH, trust_env=False, timeout=30)
        detected = "2026-11-27T00:02:00Z"  # 7:02 PM EST on Nov 26
        inc = api.post(
            "/pages/local/incidents",
            json={
                "incident": {"name": "Logins", "metadata": {"warroom": {"started_at": detected}}}
            },
        ).json()
        plain = api.post("/pages/local/incidents", json={"incident": {"name": "Other"}}).json()
        text = httpx.get(server.url + "/", trust_env=False).text
    posted = datetime.fromisoformat(inc["created_at"].replace("Z", "+00:00")).astimezone(ny)
    abbr = posted.tzname()
    assert abbr in ("EST", "EDT")
    clock = posted.strftime("%I:%M %p").lstrip("0")
    shown = f"{posted:%b} {posted.day}, {posted.year}, {clock} {abbr}"
    assert f'posted <time datetime="{inc["created_at"]}">{shown}</time>' in text
    # the publisher's start time is what "started" says, in the customers' zone
    assert (
        'started <time datetime="2026-11-27T00:02:00.000Z">Nov 26, 2026, 7:02 PM EST</time>' in text
    )
    article = text[text.index(f'data-incident-id="{plain["id"]}"') :]
    article = article[: article.index("</article>")]
    assert "started" not in article and "posted" in article  # no start time: none claimed
    assert "Times in America/New_York (" in text
    assert not re.search(r"\b\d\d:\d\d (UTC|GMT)\b", text)


def test_page_serve_refuses_an_unknown_time_zone(cli):
    r = cli.fails("page", "serve", "--time-zone", "Mars/Olympus", env={"WARROOM_PAGE_KEY": KEY})
    assert "unknown time zone 'Mars/Olympus'" in r.err and "--time-zone" in r.err


def test_a_published_incident_shows_when_it_started_in_the_customers_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The publisher sends the detection time; the page says "started 7:02 PM EST" for an
    incident detected then, and "posted" for when the page got it (it said "started 19:43")."""
    from datetime import UTC, datetime, timedelta

    from tests.conftest import MAJOR
    from tui import commands
    from tui.core.clock import SystemClock
    from tui.core.config import load_config
    from tui.core.playbook import load_playbook
    from tui.core.store import Store
    from tui.publish.worker import Deliverer

    detected = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=41)
    server = BackgroundServer(
        tmp_path / "page.db",
        api_key=KEY,
        page_name="Acme Cloud Status",
        time_zone="America/New_York",
    ).start()
    try:
        env_name = "PAGE_TEST_KEY_STARTED"
        monkeypatch.setenv(env_name, KEY)
        (tmp_path / "config.yaml").write_text(
            "destinations:\n"
            "  - id: status\n"
            "    type: statuspage\n"
            f"    base_url: {server.api_base}\n"
            "    page_id: local\n"
            f"    api_key_env: {env_name}\n"
            "    rate_per_second: 50\n"
        )
        config = load_config(tmp_path / "config.yaml")
        clock = SystemClock()
        with Store(tmp_path / "w.db") as store:
            incident = commands.start(
                store,
                clock,
                "dev",
                load_playbook(MAJOR),
                "Logins failing",
                {"users_affected_pct": 40},
                detected,
            ).incident_id
            commands.publish(
                store,
                clock,
                "dev",
                incident,
                "ack",
                "We're aware that logins fail. We'll update you within 30 minutes.",
                config,
                accept_warnings=True,
            )
            Deliverer(store, config, clock).run(until_idle=True)
        text = httpx.get(server.url + "/", trust_env=False).text
    finally:
        server.stop()
    from zoneinfo import ZoneInfo

    from tui.localpage.status import wall_time

    shown = wall_time(detected.astimezone(ZoneInfo("America/New_York")))
    assert re.search(r"[AP]M E[SD]T$", shown)
    assert f">{shown}</time>" in text
    started = text.index("started <time")
    assert text[started : text.index("</time>", started)].endswith(shown)
    assert "posted <time" in text
    assert "<title>Acme Cloud Status</title>" in text


def test_a_damaged_database_is_a_503_and_one_log_line(served: str, tmp_path: Path):
    """Not the client's fault and not a crash: a JSON 503, one line on stderr (the fixture
    checks there is no traceback)."""
    api = httpx.Client(
        base_url=served + "/v1/pages/local", headers=AUTH, trust_env=False, timeout=30
    )
    assert api.post("/incidents", json={"incident": {"name": "x"}}).status_code == 201
    saved = {p: p.read_bytes() for p in tmp_path.glob("p.db*")}
    for p in saved:
        p.write_bytes(b"not a database, not at all" * 200)
    try:
        for path in ("/", "/api/v2/summary.json", "/v1/pages/local/incidents"):
            r = httpx.get(served + path, headers=AUTH, trust_env=False, timeout=30)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.json() == {"message": "The status page's database cannot be used right now"}
        r = api.post("/incidents", json={"incident": {"name": "y"}})
        assert r.status_code == 503
    finally:
        for p, data in saved.items():
            p.write_bytes(data)
