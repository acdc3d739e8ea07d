"""A war room delivering to a provider's emulator through a faulty proxy (tests/faulty.py).

Used by the Instatus and Better Stack destination tests: the war room publishes through
the real command (:func:`tui.commands.publish`: event + outbox row in one transaction)
and delivers with the real :class:`tui.publish.worker.Deliverer` (in a thread, so a hang
fails the test). What reached the provider is read from the emulator directly, never
through the proxy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from tests.delivery_helpers import drain
from tests.faulty import FaultyProxy
from tui import commands
from tui.core.clock import Clock, SystemClock
from tui.core.config import Config, load_config
from tui.core.playbook import load_playbook
from tui.core.resources import shipped_playbooks_dir
from tui.core.state import DELIVERY_SENT
from tui.core.store import Store
from tui.publish import outbox
from tui.publish.worker import Attempt

PLAYBOOK = shipped_playbooks_dir() / "saas-major-outage.yaml"
DRAIN_TIMEOUT = 40.0
# every transient fault of tests/faulty.py: the row is retried (looked up first when
# the provider may have committed it)
TRANSIENT = [
    "500",
    "500-after",
    "429",
    "420",
    "hang-after",
    "reset-after",
    "close-after",
    "html",
    "html-after",
]
# an incident from acknowledgement to resolution
PURPOSES = ("ack", "update", "update", "resolved")


def body(i: int, purpose: str = "update") -> str:
    """A unique message that passes the playbook's checks for its purpose."""
    if purpose == "resolved":
        return (
            f"Update {i}: this is resolved. Logins work again for all of you since 11:40 PM; "
            "this was our fault and we are sorry. Thank you for your patience. We will "
            "publish a post-mortem (incident report) within five days."
        )
    return (
        f"Update {i}: logins fail for many of you, this is our fault and we are sorry. "
        "We'll post our next update by 11:45 PM."
    )


@dataclass
class Rig:
    tmp: Path
    key: str
    key_env: str
    store: Store
    clock: SystemClock
    incident: str
    config_path: Path
    proxy: FaultyProxy
    config: Config = field(default_factory=Config)
    bodies: list[str] = field(default_factory=list)

    def use_config(self, text: str) -> None:
        self.config_path.write_text(text, encoding="utf-8")
        self.config = load_config(self.config_path)

    def publish(self, purpose: str, text: str | None = None, *, clock: Clock | None = None) -> None:
        i = len(self.bodies) + 1
        message = text if text is not None else body(i, purpose)
        commands.publish(
            self.store,
            clock or self.clock,
            "alice",
            self.incident,
            purpose,
            message,
            self.config,
            accept_warnings=True,
        )
        self.bodies.append(message.strip())

    def publish_incident(self, purposes: tuple[str, ...] = PURPOSES) -> None:
        for purpose in purposes:
            self.publish(purpose)

    def drain(self, timeout: float = DRAIN_TIMEOUT) -> list[Attempt]:
        """The real worker until the outbox is idle (a hang fails the test)."""
        return drain(self.store, self.config, timeout)

    def rows(self) -> list[outbox.Row]:
        return outbox.rows(self.store, self.incident)

    def assert_rows_sent(self, provider_ref: str) -> None:
        """Every row sent to ``provider_ref``, with one delivery.sent event each."""
        rows = self.rows()
        assert [r.state for r in rows] == ["sent"] * len(self.bodies), [
            (r.id, r.state, r.last_error) for r in rows
        ]
        assert {r.provider_ref for r in rows} == {provider_ref}
        sent = [
            e.data["outbox_id"] for e in self.store.events(self.incident) if e.kind == DELIVERY_SENT
        ]
        assert sorted(sent) == [r.id for r in rows], "one delivery.sent event per row"

    def warroom(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """The real ``warroom`` entry point on this war room (the key in the env only)."""
        exe = Path(sys.executable).parent / "warroom"
        e = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
        e.update(
            WARROOM_DB=str(self.store.path),
            WARROOM_CONFIG=str(self.config_path),
            WARROOM_AS="alice",
        )
        e[self.key_env] = os.environ.get(self.key_env, self.key)
        e.update(env)
        return subprocess.run(
            [str(exe), *args], capture_output=True, text=True, env=e, cwd=self.tmp, timeout=60
        )

    def event_times(self) -> list[str]:
        """Each row's publish time as the payload carries it (oldest first)."""
        return [str(r.payload["at"]) for r in self.rows()]


def make_rig(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    key_env: str,
    upstream: str,
    config_text: Callable[[str], str],
) -> Rig:
    """A started war room + proxy in front of ``upstream``; the caller stops ``rig.proxy``
    and closes ``rig.store`` (see :func:`close_rig`)."""
    monkeypatch.setenv(key_env, key)
    for name in [k for k in os.environ if k.startswith("WARROOM_") and k != key_env]:
        monkeypatch.delenv(name)
    proxy = FaultyProxy(upstream, hold=3.0).start()
    store = Store(tmp_path / "incident.db")
    clock = SystemClock()
    book = load_playbook(PLAYBOOK)
    incident = commands.start(
        store, clock, "alice", book, "Logins fail", {"core_feature_down": True}
    ).incident_id
    rig = Rig(tmp_path, key, key_env, store, clock, incident, tmp_path / "config.yaml", proxy)
    rig.use_config(config_text(proxy.url))
    return rig


def close_rig(rig: Rig) -> None:
    rig.proxy.stop()
    rig.store.close()


def db_bytes(path: Path) -> bytes:
    """The database file and its journals, as bytes (to look for a leaked secret)."""
    data = b""
    for suffix in ("", "-wal", "-journal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))
