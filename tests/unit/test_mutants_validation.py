"""The playbook validator's answers, pinned line by line where mutation testing found them loose.

Each case makes one mistake in the shipped major-outage playbook and compares every problem the
validator reports -- line, column and the exact sentence a person reads -- with
``tests/unit/mutants_validation.json``. The sentences were read and judged right when the file
was written; a change to any of them (or to where it points) is a change a user sees, so it
must be made on purpose: regenerate with
``.venv/bin/python -m tests.unit.test_mutants_validation`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MAJOR
from tui.core.playbook import PlaybookError, parse_playbook

GOLDEN = Path(__file__).with_name("mutants_validation.json")
NAME = "book.yaml"

# (old, new): old occurs in the shipped playbook; the first occurrence is replaced. A few are
# accepted on purpose (an empty answer pins that they stay accepted).
CASES: list[tuple[str, str]] = [
    ("warroom_playbook: 1", "warroom_playbook: 2"),
    ("warroom_playbook: 1", "warroom_playbook: one"),
    ("name: SaaS major outage", "name: ''"),
    ("name: SaaS major outage", "name: [a, b]"),
    ("name: SaaS major outage", 'name: "bad\\x01name"'),
    ("company: Acme Cloud", "company: 12"),
    ("status_page_url: https://status.acme.example", "status_page_url: http://status.acme.example"),
    ("timezone: America/New_York", "timezone: Mars/Olympus"),
    ("timezone: America/New_York", "timezone: America/New_Yrok"),
    ("due_soon: 5m", "due_soon: 0m"),
    ("due_soon: 5m", "due_soon: 5"),
    ("due_soon: 5m", "due_soon: 5m5m"),
    ("due_soon: 5m", "due_soon: 99999h"),
    ("due_soon: 5m", "due_soon: 5m\ncolour: red"),
    (
        "  - id: commander\n    title: Incident commander",
        "  - id: Commander!\n    title: Incident commander",
    ),
    ("  - id: comms\n    title: Comms lead", "  - id: commander\n    title: Comms lead"),
    ("  - id: comms\n    title: Comms lead", "  - title: Comms lead"),
    ("  - id: comms\n    title: Comms lead", "  - id: comms\n    title: Comms lead\n    extra: 1"),
    ("roles:\n", "roles: {}\nxroles:\n"),
    (
        "    type: percent\n  - id: core_feature_down",
        "    type: percentage\n  - id: core_feature_down",
    ),
    ("    type: percent\n  - id: core_feature_down", "    type: 5\n  - id: core_feature_down"),
    ("  - id: users_affected_pct\n", "  - id: error_rate_pct\n"),
    ("        - users_affected_pct >= 5", "        - users_affected_pct >= 500"),
    ("        - users_affected_pct >= 5", "        - users_affected_pct >= -1"),
    ("        - users_affected_pct >= 5", "        - users_pct >= 5"),
    ("        - users_affected_pct >= 5", "        - users_affected_pct >= five"),
    ("        - core_feature_down == true", "        - core_feature_down >= 3"),
    ("        - core_feature_down == true", "        - core_feature_down == 7"),
    ("        - users_affected_pct > 0", "        - customers_affected > 1.5"),
    ("        - users_affected_pct > 0", "        - customers_affected > -2"),
    ("    when: always", "    when: sometimes"),
    ("    when: always", "    when: 5"),
    ("    when: always", "    when: {any: []}"),
    ("    when: always", "    when: {any: [always], all: [always]}"),
    ("    when: always", "    when: {none: [always]}"),
    ("    protocol: light\n    when: always", "    protocol: lite\n    when: always"),
    ("  - id: minor\n    title: MINOR", "  - id: major\n    title: MINOR"),
    (
        "  - id: watch\n    title: WATCH\n    protocol: light\n",
        "  - title: WATCH\n    protocol: light\n",
    ),
    (
        "  full: [acknowledge, diagnose, resolve, amends]",
        "  full: [acknowledge, diagnose, resolve, amend]",
    ),
    ("  full: [acknowledge, diagnose, resolve, amends]", "  full: []"),
    ("  full: [acknowledge, diagnose, resolve, amends]", "  full: [acknowledge, acknowledge]"),
    ("  full: [acknowledge, diagnose, resolve, amends]", "  full: acknowledge"),
    ("  light: [acknowledge, diagnose, resolve]", "  light: [diagnose, acknowledge, resolve]"),
    ("    deadline: 15m", "    deadline: 15"),
    ("    deadline: 15m", "    deadline: 0m"),
    (
        "    cadence: {every: 30m, max: 60m} # the ack",
        "    cadence: {every: 90m, max: 60m} # the ack",
    ),
    (
        "    cadence: {every: 30m, max: 60m} # the ack",
        "    cadence: {every: 30m, max: 25h} # the ack",
    ),
    ("    cadence: {every: 30m, max: 60m} # the ack", "    cadence: {every: 30m} # the ack"),
    ("    cadence: {every: 30m, max: 60m} # the ack", "    cadence: 30m # the ack"),
    (
        "    cadence: {every: 30m, max: 60m} # the ack",
        "    cadence: {every: 0m, max: 60m} # the ack",
    ),
    ("    closes_with: ack", "    closes_with: acknowledgement"),
    ("    status: investigating", "    status: panicking"),
    ("        owner: engineering", "        owner: engineers"),
    ("        done_by: publish.postmortem", "        done_by: publish.nothing"),
    ("        done_by: publish.postmortem", "        done_by: postmortem"),
    ("  within: 72h", "  within: 0m"),
    ("  within: 72h", "  within: soon"),
    ("    swamped_at: 200", "    swamped_at: 0"),
    ("    swamped_at: 200", "    swamped_at: 2.5"),
    ("    swamped_at: 200", "    swamped_at: true"),
    ("    swamped_at: 200", "    swamped_at: 99999999"),
    ("    swamped_action: pause-noncritical-auto-replies", "    swamped_action: pause-all"),
    ("    swamped_mode: propose", "    swamped_mode: always"),
    ("    swamped_mode: propose", "    swamped_mode: auto"),
    ("        default: true\n      - id: pause", "        default: yes please\n      - id: pause"),
    ("      - id: outage-auto-ack\n", "      - id: pause-noncritical-auto-replies\n"),
    ("        text: Use canned but genuine responses\n", ""),
    ("    tone: Present, responsive, directive.", "    tone: [a]"),
    ("  - id: social\n    title: Social media DMs", "  - id: tickets\n    title: Social media DMs"),
    ("    statuspage: ack.statuspage.md.j2", "    statuspage: ../ack.statuspage.md.j2"),
    ("    statuspage: ack.statuspage.md.j2", "    status_page: ack.statuspage.md.j2"),
    ("    statuspage: ack.statuspage.md.j2", "    statuspage: 5"),
    ("  amends:\n    email: amends.email.txt.j2", "  apology:\n    email: amends.email.txt.j2"),
    ("  amends:\n    email: amends.email.txt.j2", "  amends: amends.email.txt.j2"),
    ("    chat: reply.chat.txt.j2", "    phone: reply.chat.txt.j2"),
    ("    chat: reply.chat.txt.j2\n", ""),
    (
        "  resolved:\n    statuspage: resolved.statuspage.md.j2\n",
        "  resolvedx:\n    statuspage: resolved.statuspage.md.j2\n",
    ),
    ("templates:\n", "templates: [a]\nxtemplates:\n"),
    ("    - technical difficulties", "    - ''"),
    ("    - technical difficulties", "    - 12"),
    ("  jargon: [failover,", "  jargon: [failover, failover,"),
    ("    ack: [apology, ownership, next_update]", "    ack: [apology, ownership, next_updates]"),
    ("    ack: [apology, ownership, next_update]", "    ack: [apology, apology]"),
    ("    ack: [apology, ownership, next_update]", "    acknowledgement: [apology]"),
    ("    ack: [apology, ownership, next_update]", "    ack: apology"),
    ("    social: 280", "    social: 0"),
    ("    social: 280", "    social: lots"),
    ("    social: 280", "    fax: 280"),
    ("  require:\n", "  requires:\n"),
    ("    min_pct: 5", "    min_pct: 50"),
    ("    min_pct: 5", "    min_pct: -5"),
    ("    max_pct: 20", "    max_pct: 101"),
    ("    max_pct: 20", "    max_pct: nan"),
    ("    max_pct: 20", "    max_pct: .inf"),
    ("      - {from: 1h, pct: 10}", "      - {from: 1h, pct: 30}"),
    ("      - {from: 1h, pct: 10}", "      - {from: 0m, pct: 10}"),
    ("      - {from: 1h, pct: 10}", "      - {from: 1h}"),
    ("      - {from: 4h, pct: 15}", "      - {from: 30m, pct: 15}"),
    ("      - {from: 4h, pct: 15}", "      - {from: 4h, pct: 8}"),
    ("      - {from: 0m, pct: 5}", "      - {from: 10m, pct: 5}"),
    ("    buffer: 2d", "    buffer: -1d"),
    ("    buffer: 2d", "    buffer: forever"),
    ("    free: [trial_extension]", "    free: [trial]"),
    ("    free: [trial_extension]", "    free: []"),
    ("    free: [trial_extension]", "    free: [trial_extension, trial_extension]"),
    ("    enterprise: [credit, consultation]", "    enterprise: [credit, consultation, hugs]"),
    ("  trial_extension:\n    buffer: 2d", "  trial_extensions:\n    buffer: 2d"),
    ("recovery:\n", "recovery: 5\nxrecovery:\n"),
    ("  credit:\n    min_pct: 5", "  credits:\n    min_pct: 5"),
    # found by the second sample
    ("timezone: America/New_York", "timezone: America/New_York\ntemplates_dir: ../" + "x" * 80),
    ("timezone: America/New_York", "timezone: America/New_York\ntemplates_dir: 5"),
    ("timezone: America/New_York", "timezone: America/New_York\napproval_role: comm"),
    ("timezone: America/New_York", "timezone: America/New_York\napproval_role: comms"),
    ("status_page_url: https://status.acme.example", "status_page_url: ftp://status.acme.example"),
    ("due_soon: 5m", 'due_soon: 5m\n"colour": red'),
    ("    swamped_at: 200", "    swamped_at: 1"),
    ("    swamped_action: pause-noncritical-auto-replies\n", ""),
    ("message_checks:\n", "message_checks:\n  jargon_allow: []\n"),
    ("channels:\n", "channels:\n  - id: fax\n    title: Fax\n    tone: Slow.\n    actions: []\n"),
    ("    min_pct: 5\n    max_pct: 20", "    min_pct: 15\n    max_pct: 10"),
    ("    free: [trial_extension]", "    Free!: [trial_extension]"),
    ("  light: [acknowledge, diagnose, resolve]", "  Light!: [acknowledge, diagnose, resolve]"),
    ("  - id: diagnose\n", "  - id: acknowledge\n"),
    ("    when: always", "    when: [always]"),
    ("    protocol: light\n    when: always", "    protocol: Light!\n    when: always"),
    # found by the third sample (200 mutants)
    ("status_page_url: https://status.acme.example", "status_page_url: [a]"),
    ("  - id: social\n    title: Social media DMs", "  - title: Social media DMs"),
    ("channels:\n", "channels:\n  - 5\n"),
    ("channels:\n", "channels: []\nxchannels:\n"),
    ("  max_length:\n", "  max_length: 5\n  xmax_length:\n"),
    ("  require:\n", "  require: 5\n  xrequire:\n"),
    ("    swamped_at: 100\n", ""),
    ("        done_by: publish.postmortem", "        done_by: 5"),
    ("        owner: engineering", "        owner: Engineering!"),
    ("protocols:\n", "protocols: 5\nxprotocols:\n"),
    (
        "protocols:\n  full: [acknowledge, diagnose, resolve, amends]\n"
        "  light: [acknowledge, diagnose, resolve]\n",
        "protocols: {}\n",
    ),
    ("      - {from: 1h, pct: 10}", "      - {from: 1h, pct: ten}"),
    ("    protocol: light\n    when: always", "    protocol: light"),
    ("  - id: acknowledge\n    title: Immediate", "  - title: Immediate"),
    (
        "      - id: reply-publicly\n        text: Respond publicly where possible\n",
        "      - text: Respond publicly where possible\n",
    ),
    (  # an item without id, then one with a wrong owner: both are answered
        "      - id: war-room\n        text: Open the war room and name the incident commander\n"
        "        owner: commander\n      - id: ack-status-page\n"
        "        text: Post the acknowledgement on the status page (humble, human, direct)\n"
        "        owner: comms\n",
        "      - text: Open the war room and name the incident commander\n"
        "        owner: commander\n      - id: ack-status-page\n"
        "        text: Post the acknowledgement on the status page (humble, human, direct)\n"
        "        owner: Comms!\n",
    ),
]


def problems(text: str) -> list[str]:
    try:
        parse_playbook(text.encode(), NAME)
    except PlaybookError as exc:
        return str(exc).splitlines()
    return []


def answers() -> dict[str, list[str]]:
    base = MAJOR.read_text()
    out: dict[str, list[str]] = {}
    for old, new in CASES:
        assert old in base, old
        out[f"{old!r} -> {new!r}"] = problems(base.replace(old, new, 1))
    return out


def test_the_shipped_playbook_has_no_problem() -> None:
    assert problems(MAJOR.read_text()) == []


def test_what_a_playbook_leaves_out_takes_its_documented_default() -> None:
    text = MAJOR.read_text().replace("status_page_url: https://status.acme.example\n", "")
    book = parse_playbook(text.encode(), NAME)
    assert book.status_page_url == "" and book.approval_role is None
    tickets = next(c for c in book.channels if c.id == "tickets")
    assert (tickets.swamped_at, tickets.swamped_mode) == (200, "propose")  # mode left out
    chat = next(c for c in book.channels if c.id == "chat")
    assert [a.default for a in chat.actions] == [True, False, False]


def test_what_a_playbook_says_is_what_the_model_holds() -> None:
    """The values a person wrote reach the model as written: the description, a severity's
    and a phase's titles, an all: group (every part must hold), a length limit; a channel
    without a tone has none."""
    from tui.core.conditions import AllOf

    text = (
        MAJOR.read_text()
        .replace("    title: MAJOR\n", "    title: Major outage\n", 1)
        .replace(
            "      any:\n        - users_affected_pct >= 5",
            "      all:\n        - users_affected_pct >= 5",
            1,
        )
        .replace("    tone: Present, responsive, directive.\n", "", 1)
    )
    book = parse_playbook(text.encode(), NAME)
    assert book.description.startswith("Full customer-recovery protocol: acknowledge within 15")
    assert (book.severity[0].id, book.severity[0].title) == ("major", "Major outage")
    assert isinstance(book.severity[0].when, AllOf)
    assert book.phases[0].title == "Immediate acknowledgement"
    assert next(c for c in book.channels if c.id == "social").tone == ""
    assert book.message_checks.max_length["social"] == 280


@pytest.mark.parametrize(("old", "new"), CASES)
def test_each_mistake_is_answered_with_its_line_and_sentence(old: str, new: str) -> None:
    golden = json.loads(GOLDEN.read_text())
    base = MAJOR.read_text()
    found = problems(base.replace(old, new, 1))
    assert found == golden[f"{old!r} -> {new!r}"]


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(answers(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}")
