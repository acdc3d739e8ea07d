"""The requires.* ladder through the real `warroom lint` (issue 12): an error only when the
element is surely missing, a warning that points at what it saw when a cue is there; the
JSON shape and the exit code keep their meaning (1 only when an error blocks)."""

from __future__ import annotations

import json

import pytest

SEEN = "Customers cannot sign in. Our engineers expect a fix by 3 PM.\n"
NOTHING = "Customers cannot sign in. Our engineers are working on a fix and will update you soon.\n"
CAUSE_AND_CHANGE = (
    "Sign-in works again since 10:40 UTC. A damaged cable cut the link; the spare link was "
    "reconfigured. Thank you for your patience.\n"
)


def lint(cli, text: str, purpose: str) -> tuple[int, dict]:
    r = cli("lint", "-", "--purpose", purpose, "--json", input=text)
    assert "Traceback" not in r.err
    data = json.loads(r.out)
    assert set(data) == {"purpose", "kind", "blocked", "findings"}
    return r.code, data


def the(data: dict, rule: str) -> dict:
    (found,) = [f for f in data["findings"] if f["rule"] == rule]
    return found


@pytest.mark.parametrize(
    ("text", "purpose", "rule", "quote"),
    [
        (SEEN, "update", "requires.next_update", "3 PM"),
        (CAUSE_AND_CHANGE, "resolved", "requires.postmortem_promise", "damaged"),
    ],
)
def test_a_cue_is_a_warning_that_quotes_what_it_saw_and_does_not_block(
    cli, text, purpose, rule, quote
):
    code, data = lint(cli, text, purpose)
    f = the(data, rule)
    assert f["severity"] == "warning" and f["quote"] == quote
    assert text[f["start"] : f["end"]] == quote and "?" in f["message"]
    assert code == 0 and data["blocked"] is False


def test_no_cue_at_all_is_an_error_that_blocks(cli):
    code, data = lint(cli, NOTHING, "update")
    assert the(data, "requires.next_update")["severity"] == "error"
    assert code == 1 and data["blocked"] is True
