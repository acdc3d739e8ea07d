"""The message check, class by class: several varied sentences per class of phrasing.

Each class is a way real status pages phrase something (written here, never copied):
the rules are meant to generalise to messages nobody here has seen, so every class
has sentences in several registers. ``labels()`` and ``check_message()`` must agree
(the same detectors), and no error-severity finding may fire on a message that has
the element.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.playbook import MessageChecks, load_playbook, parse_playbook
from tui.core.playbook.loading import PlaybookError
from tui.publish.checks import ERROR, WARNING, check_message, has_errors, labels

ROOT = Path(__file__).resolve().parents[2]
BOOK = load_playbook(ROOT / "playbooks" / "saas-major-outage.yaml").message_checks
NONE = MessageChecks()


def rules(text: str, purpose: str, checks: MessageChecks = BOOK, **kw) -> dict[str, str]:
    return {f.rule: f.severity for f in check_message(text, purpose, "statuspage", checks, **kw)}


def params(*texts: str) -> list:
    return [pytest.param(t, id=t[:48]) for t in texts]


# ------------------------------------------------------------------------- robotic

PREFILLED = params(
    "We are currently investigating this issue.",
    "The issue has been identified and a fix is being implemented.",
    "A fix has been implemented and we are monitoring the results.",
    "This incident has been resolved.",
    "We are continuing to investigate this issue.",
    "We're continuing to monitor for any further issues.",
    "Our engineering team is currently looking into the problem.",
)
GENERIC_IMPACT = params(
    "We are investigating reports of degraded performance for Pull Requests.",
    "Some users may be experiencing issues with our services.",
    "We're seeing elevated error rates on some services and are looking into it.",
    "Acme Cloud is aware of a service disruption affecting some customers.",
    "We're investigating an issue affecting card payments. Next update in 30 minutes.",
    "Users may experience intermittent issues. We apologise for the inconvenience.",
)
ONE_LINERS = params(
    "Investigating.",
    "We're on it!",
    "Resolved.",
    "All good now, thanks everyone!",
    "We're back. Sorry about that.",
    "Fixed at 10:32 UTC.",
)
NON_COMMITTAL = params(
    "We are aware of the problem. Updates to follow.",
    "We will provide more information as it becomes available.",
    "An update will be provided in due course. Thank you for your patience.",
    "More details will be shared as soon as we have them. Stay tuned.",
)
SPECIFIC_WITH_FILLER = params(
    "At this time, card payments in the EU are failing with a 502 error. We're rolling back "
    "this morning's release and will update you by 14:30 UTC.",
    "Invoices are taking up to a minute to load at the moment. We'll post another update "
    "in 30 minutes.",
    "Emails sent after 09:10 UTC are delayed by up to 20 minutes. We apologize for any "
    "inconvenience and will update you by 10:00 UTC.",
    "Photos aren't uploading from the Android app right now; the iPhone app is fine. "
    "We're on it and will post again within the hour.",
    "Checkout works again for every store since 16:02 UTC. Thanks for your patience!",
)


@pytest.mark.parametrize("text", PREFILLED + GENERIC_IMPACT + ONE_LINERS + NON_COMMITTAL)
@pytest.mark.parametrize("purpose", ["ack", "update", "resolved"])
def test_a_status_message_that_never_says_what_is_wrong_is_robotic(text, purpose):
    assert labels(text, purpose, BOOK)["robotic"]
    found = [f for f in check_message(text, purpose, "statuspage", NONE) if f.rule == "robotic"]
    assert found and all(f.severity == WARNING for f in found)
    assert all("never says what is wrong" in f.message for f in found)


@pytest.mark.parametrize("text", SPECIFIC_WITH_FILLER)
@pytest.mark.parametrize("purpose", ["ack", "update", "resolved"])
def test_mild_filler_inside_a_specific_message_is_not_robotic(text, purpose):
    assert not labels(text, purpose, BOOK)["robotic"]
    assert "robotic" not in rules(text, purpose, NONE)


def test_a_robotic_finding_points_at_the_template_words_and_says_what_to_write():
    text = "We are experiencing technical difficulties. Updates to follow."
    found = [f for f in check_message(text, "ack", "statuspage", NONE) if f.rule == "robotic"]
    assert [text[f.start : f.end] for f in found] == ["technical difficulties", "Updates to follow"]
    assert "what customers see" in found[0].suggestion  # the article's better phrasing
    assert "2:45 PM EST" in found[1].suggestion


def test_a_channel_reply_or_amends_is_robotic_only_with_template_words():
    assert not labels("Thanks for your patience, Jane. We're on it!", "channel_reply", BOOK)[
        "robotic"
    ]
    assert labels("Sorry for any inconvenience.", "amends", NONE)["robotic"]


BETTER = (
    "We're aware of a major service disruption impacting our platform. We know you rely "
    "on us, and we're urgently investigating. We'll update you within 30 minutes. We are "
    "so sorry for the disruption."
)


def test_generic_impact_in_the_companys_own_voice_is_not_robotic():
    # "a major service disruption" is a generic category, but empathy and action in the
    # first person, a genuine apology and a concrete next update are not a template's
    # (tests/unit/test_article_examples.py has the article's own examples)
    assert not labels(BETTER, "ack", BOOK)["robotic"]
    specific = BETTER.replace("impacting our platform", "- invoices fail to load")
    assert not labels(specific, "ack", BOOK)["robotic"]
    assert rules(specific, "ack") == {}


OWN_VOICE = params(
    # the class in other words and registers, never the article's sentence
    "We know how much you depend on us today, and our engineers are working on it right now. "
    "We're really sorry. Next update by 15:00 UTC.",
    "I know a lot of you rely on this app every morning, and I'm digging in now. Sorry, "
    "truly. I'll post again within the hour.",
    "We understand how disruptive this outage is for your team. Our on-call engineers are "
    "investigating. We sincerely apologise. We will update this page every 30 minutes.",
)


@pytest.mark.parametrize("text", OWN_VOICE)
def test_own_voice_is_a_class_of_phrasing(text):
    assert not labels(text, "ack", BOOK)["robotic"]
    assert "robotic" not in rules(text, "ack")


STILL_ROBOTIC = params(
    # empathy but nobody acting
    "We're aware of a service disruption. We know you rely on us. We'll update you within "
    "30 minutes. We're so sorry.",
    # a pre-filled status sentence
    "We are currently investigating this issue. We know you rely on us and we're working "
    "hard. Next update in 30 minutes. Sorry for the disruption.",
    # the apology formula, not an apology
    "We're aware of a service disruption. We know you rely on us, and we're urgently "
    "investigating. We'll update you within 30 minutes. We apologise for any inconvenience.",
    # no concrete next update
    "We're aware of a major service disruption. We know you rely on us, and we're urgently "
    "investigating. We are so sorry for the disruption.",
    # non-committal updates
    "We know you rely on us and we're urgently investigating the disruption. Sorry! Next "
    "update in 30 minutes; updates to follow as they become available.",
    # technical difficulties
    "We are experiencing technical difficulties. We know you rely on us, and we're urgently "
    "investigating. We'll update you within 30 minutes. We're so sorry.",
)


@pytest.mark.parametrize("text", STILL_ROBOTIC)
def test_generic_impact_with_template_sentences_or_without_a_voice_stays_robotic(text):
    assert labels(text, "ack", BOOK)["robotic"]
    assert labels(text, "ack", NONE)["robotic"]


def test_a_draft_with_blanks_is_judged_once_filled():
    assert not labels("Resolved. [[ what customers saw ]]", "resolved", BOOK)["robotic"]


# ------------------------------------------------------- forbidden phrases: the guard


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("We are investigating the issue.", True),
        ("We are investigating the issue, and we'll update you at this time tomorrow.", True),
        ("We are investigating the issue with card refunds.", False),
        ("We are investigating the issue that stops invoices from loading.", False),
        ("Sorry for any inconvenience this may have caused.", True),
        ("Sorry for any inconvenience to the 40 stores that missed orders.", False),
    ],
)
def test_a_playbook_phrase_is_flagged_only_when_nothing_specific_follows_it(text, flagged):
    checks = MessageChecks(
        forbidden_phrases=("we are investigating the issue", "sorry for any inconvenience")
    )
    assert ("forbidden_phrase" in rules(text, "channel_reply", checks)) is flagged


# ----------------------------------------------------------------- next update


@pytest.mark.parametrize(
    "text",
    params(
        "Customers can't sign in. We'll be back with more information in 30 minutes.",
        "Exports are failing. Expect additional details by 15:00 UTC.",
        "Exports are failing. We will share another update within the hour.",
        "Exports are failing. Next update in 45 minutes, or sooner if anything changes.",
        "Exports are failing. We'll post again at 4:30 PM PT or sooner if we learn more.",
        "Exports are failing. We will let you know by 3 PM how the rollback is going.",
        "Exports work again. We'll keep monitoring for the next two hours.",
        "Exports work again. We'll confirm here at 13:30 UTC once the backlog is cleared.",
        "Exports work again. We'll publish a root cause analysis within 48 hours.",
        "Exports are failing. Next update: 30 mins",
        "Exports are failing. Expect our next update no later than 18:00 UTC.",
    ),
)
def test_a_commitment_to_information_at_a_concrete_time_is_a_next_update(text):
    assert labels(text, "update", BOOK)["next_update"]
    assert "requires.next_update" not in rules(text, "update")


@pytest.mark.parametrize(
    "text",
    params(
        "Exports are failing. We will provide updates as they become available.",
        "Exports are failing. We'll update you soon.",
        "Exports are failing. More information to follow.",
        "Exports are failing since 13:05 UTC.",
        "Exports work again. We monitored for 30 minutes and all is stable.",
        "Exports work again. A post-mortem will follow.",
    ),
)
def test_vague_or_past_words_are_not_a_next_update(text):
    assert not labels(text, "update", BOOK)["next_update"]
    assert rules(text, "update")["requires.next_update"] == ERROR


@pytest.mark.parametrize(
    "text",
    params(
        "Invoices are not sending. We'll post our next update at the top of the hour.",
        "Invoices are not sending. Expect another update at the bottom of the hour.",
        "Invoices are not sending. We will update this page by noon ET.",
        "Invoices are not sending. Our next update will come at midnight UTC.",
        "Invoices are not sending. We'll share an update by end of day PT.",
        "Invoices are not sending. Next update by the end of the business day CET.",
    ),
)
def test_a_named_time_is_a_concrete_next_update(text):
    assert labels(text, "update", BOOK)["next_update"]
    assert "requires.next_update" not in rules(text, "update")


@pytest.mark.parametrize(
    "text",
    params(
        "Invoices are not sending. We're fixing the relay and will have more for you by noon ET.",
        "Invoices are not sending; we'll have more to share at 3:30 PM EST.",
        "Invoices are not sending. We should have more to tell you by 14:00 UTC.",
    ),
)
def test_more_for_you_at_a_time_is_a_next_update(text):
    assert labels(text, "ack", BOOK)["next_update"]
    assert "requires.next_update" not in rules(text, "ack")


@pytest.mark.parametrize(
    "text",
    params(
        # end of day without its zone is not a time a customer can plan around
        "Invoices are not sending. We'll share an update by end of day.",
        # history, not a promise
        "Invoices are not sending. The queue was last drained at the top of the hour.",
        "Invoices are not sending. We'll have more for you soon.",
    ),
)
def test_a_named_time_needs_its_zone_and_a_promise(text):
    assert not labels(text, "update", BOOK)["next_update"]
    assert rules(text, "update")["requires.next_update"] == ERROR


# ----------------------------------------------------------------- restore time


@pytest.mark.parametrize(
    "text",
    params(
        "Service was restored at 14:05 UTC.",
        "Between 10:11 and 13:25 UTC, some customers could not reach the API.",
        "From 12:10 to 12:12 PM PDT, uploads failed for about 3% of requests.",
        "Webhooks were delayed 10:11–13:25 CET.",
        "Search has worked normally since 15:12 UTC.",
        "The queue caught up at 14:52 UTC.",
        "Customers have been able to check out since 11:48 GMT.",
        "There have been no new failed logins since 1:05 PM.",
        "Uploads failed from approximately 10:01 to 10:32 UTC.",
    ),
)
def test_when_service_came_back_is_a_restore_time(text):
    assert labels(text, "resolved", BOOK)["restore_time"]
    assert "requires.restore_time" not in rules(text, "resolved")


@pytest.mark.parametrize(
    "text",
    params(
        "We expect service to be restored by 3 PM.",
        "Since 10:11 UTC, customers cannot log in.",
        "About 20% of requests have returned 500 errors since 14:02 UTC.",
        "Webhooks stopped firing at 09:05 UTC.",
        "The issue has been resolved. Next update by 15:00 UTC, or sooner if it recovers.",
        "Everything is back to normal.",
    ),
)
def test_a_start_time_a_promise_or_no_time_is_not_a_restore_time(text):
    assert not labels(text, "resolved", BOOK)["restore_time"]
    assert rules(text, "resolved")["requires.restore_time"] == ERROR


# ------------------------------------------------------------------- resolutions

SAID = "Search failed for every workspace between 10:02 and 10:40 UTC. Thank you for your patience."


@pytest.mark.parametrize(
    "text",
    params(
        "A full write-up will follow within 5 business days.",
        "We'll publish a root cause analysis by Friday.",
        "We will share a blog post describing the incident next week.",
        "A post-incident review will be published on this page within 72 hours.",
        "We will publish a summary of what happened by 5 December.",
    ),
)
def test_a_write_up_promised_with_a_deadline_passes(text):
    assert labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(f"{SAID} {text}", "resolved")


@pytest.mark.parametrize(
    "text",
    params(
        "A full root-cause report will be emailed to our partner agencies within a week.",
        "We'll publish a root cause review on this page by Friday.",
        "An outage review will be shared with every customer within 5 business days.",
        "Our incident retrospective will be posted here by 12 December.",
        "Expect a detailed root-cause write-up within 72 hours.",
    ),
)
def test_a_report_named_for_the_root_cause_or_the_incident_is_a_write_up(text):
    assert labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(f"{SAID} {text}", "resolved")


@pytest.mark.parametrize(
    "text",
    params(
        "A post-mortem will follow.",
        "We'll publish an incident report once our review is complete.",
        "We will share a write-up on our engineering blog.",
    ),
)
def test_a_write_up_without_a_deadline_is_a_warning(text):
    assert labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]
    assert rules(f"{SAID} {text}", "resolved")["requires.postmortem_promise"] == WARNING


@pytest.mark.parametrize(
    "text",
    params(
        "The cause was an expired certificate on our API gateway; we replaced it and now "
        "renew certificates automatically.",
        "A change to our search indexer lowered a limit by mistake. We've rolled it back "
        "and added a test that runs before every release.",
        "Our hosting provider ran out of capacity in one region, so we now spread "
        "workspaces across three regions.",
        "The root cause analysis is available at status.example.com/incidents/12.",
    ),
)
def test_a_resolution_that_explains_cause_and_remedy_is_its_own_write_up(text):
    assert labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(f"{SAID} {text}", "resolved")


@pytest.mark.parametrize(
    "text",
    params(
        "The change we deployed this morning has been reverted, and we're adding a check for it "
        "to our release process.",
        "We rolled back the release from 09:00 and are adding an alert to our on-call runbook.",
        "Yesterday's configuration push was rolled back; we've added safeguards to the deploy "
        "pipeline.",
        "We reverted the database migration and added a guard to our migration checklist.",
        "The upgrade was undone, and we are adding automated tests for this case to our CI "
        "pipeline.",
    ),
)
def test_an_undone_change_and_a_safeguard_added_to_a_process_is_its_own_write_up(text):
    assert labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(f"{SAID} {text}", "resolved")


@pytest.mark.parametrize(
    "text",
    params(
        # a cause with nothing done, or a safeguard with no cause, explains half of it
        "Yesterday's release caused it.",
        "We're adding a check to our release process.",
        "We will review our processes.",
    ),
)
def test_half_an_explanation_is_no_write_up(text):
    assert not labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]
    assert rules(f"{SAID} {text}", "resolved")["requires.postmortem_promise"] == ERROR


@pytest.mark.parametrize(
    "text",
    params(
        "The outage was caused by an expired security certificate.",
        "It turned out one of our providers was having trouble.",
        "We'll share more details soon.",
    ),
)
def test_a_cause_alone_or_more_details_soon_is_no_write_up(text):
    assert not labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]
    assert rules(f"{SAID} {text}", "resolved")["requires.postmortem_promise"] == ERROR


def test_only_a_resolution_can_be_its_own_write_up():
    text = "The cause was a full disk; we moved the data and added an alert."
    assert labels(text, "resolved", BOOK)["postmortem_promise"]
    assert not labels(text, "update", BOOK)["postmortem_promise"]


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Search has worked normally since 10:40 UTC. We're so sorry.", WARNING),
        ("Search has worked normally since 10:40 UTC. We apologise for the disruption.", WARNING),
        ("Search has worked normally since 10:40 UTC.", ERROR),
        ("Search has worked normally since 10:40 UTC. Thanks for bearing with us.", None),
        ("Search has worked normally since 10:40 UTC. We appreciate your patience.", None),
    ],
)
def test_an_apology_stands_in_for_thanks(text, severity):
    assert rules(text, "resolved").get("requires.thanks") == severity


# ----------------------------------------------------------------- ownership


@pytest.mark.parametrize(
    "text",
    params(
        "Our engineers are on it.",
        "We're rolling back the release now.",
        "We have identified the cause and are deploying a fix.",
        "Our on-call team is investigating.",
        "We're on it!",
        "Acme Cloud is currently investigating the login failures.",
        "We now validate every payout file before sending it.",
        "This one is on us.",
        "We're aware that some customers can't receive SMS codes and are working with our "
        "SMS provider.",
    ),
)
def test_first_person_action_is_ownership(text):
    assert labels(text, "ack", BOOK)["ownership"]
    assert "requires.ownership" not in rules(text, "ack")


@pytest.mark.parametrize(
    "text",
    params(
        "We are aware of an issue affecting some users.",
        "We're currently experiencing issues.",
        "Investigation is ongoing.",
        "A fix is being worked on. We will update you when we have more information.",
        "Our payment provider is implementing a fix.",
        "We'll provide an update within 30 minutes.",
        "We've received reports of login failures.",
        "We'd like to apologise for the disruption.",
        "We will be providing an update within the hour.",
    ),
)
def test_awareness_passive_voice_or_a_third_party_is_not_ownership(text):
    assert not labels(text, "ack", BOOK)["ownership"]
    assert rules(text, "ack")["requires.ownership"] == WARNING


# --------------------------------------------------------------- fix-time promises


@pytest.mark.parametrize(
    "text",
    params(
        "Service recovered by 3 PM.",
        "We rolled back the release within 20 minutes.",
        "The fix was deployed at 14:05 UTC.",
        "Uploads were restored in 40 minutes.",
    ),
)
def test_simple_past_is_history_not_a_promised_fix_time(text):
    assert "fix_time_promise" not in rules(text, "channel_reply")


@pytest.mark.parametrize(
    "text",
    params(
        "We expect to have this fixed by 3 PM.",
        "Service will be back up within 2 hours.",
        "The fix is scheduled for 5 PM and should be restored by 6 PM.",
        "Our ETA is 5 PM.",
    ),
)
def test_a_future_fix_time_is_a_warning_that_says_why(text):
    found = [
        f
        for f in check_message(text, "channel_reply", "statuspage", BOOK)
        if f.rule == "fix_time_promise"
    ]
    assert found and found[0].severity == WARNING
    assert "customers stop trusting" in found[0].message


# ----------------------------------------------------------------------- jargon


def test_the_playbooks_jargon_allowlist_is_never_flagged():
    checks = MessageChecks(jargon=("cluster", "DNS"), jargon_allow=("dns",))
    text = "Payments fail: a cluster lost its DNS records. We'll update you by 3 PM."
    assert [
        text[f.start : f.end]
        for f in check_message(text, "update", "email", checks)
        if f.rule == "jargon"
    ] == ["cluster"]


def test_the_pages_component_names_are_not_jargon():
    text = "Kubernetes Hosting is down: new pods won't start. We'll update you by 3 PM."
    checks = MessageChecks(jargon=("kubernetes", "pod"))
    found = check_message(text, "update", "email", checks, names=("Kubernetes Hosting",))
    assert [text[f.start : f.end] for f in found if f.rule == "jargon"] == ["pods"]


def test_no_jargon_in_a_resolutions_root_cause_paragraph():
    text = (
        "Checkout has worked normally since 14:05 UTC. Thank you for your patience.\n\n"
        "What happened: a failover to the replica cluster was caused by a full disk; we "
        "added an alert so it can't happen again.\n\n"
        "Our failover drills continue next week."
    )
    found = check_message(text, "resolved", "email", BOOK)
    jargon = [text[f.start : f.end] for f in found if f.rule == "jargon"]
    assert jargon == ["failover"]  # the last paragraph, not the root-cause one
    in_update = check_message(text, "update", "email", BOOK)
    assert len([f for f in in_update if f.rule == "jargon"]) == 4  # an update explains nothing


def test_latency_is_an_ordinary_word():
    text = "API latency is up to 10 seconds for EU customers. We'll update you by 3 PM."
    assert "jargon" not in rules(text, "update")


def test_jargon_allow_is_validated_like_the_other_word_lists():
    data = (ROOT / "playbooks" / "saas-major-outage.yaml").read_bytes()
    good = data.replace(b"  jargon: [", b"  jargon_allow: [cluster]\n  jargon: [", 1)
    assert parse_playbook(good, "p.yaml").message_checks.jargon_allow == ("cluster",)
    bad = data.replace(b"  jargon: [", b"  jargon_allow: cluster\n  jargon: [", 1)
    with pytest.raises(PlaybookError, match=r"p\.yaml:\d+:\d+: .*jargon_allow must be a list"):
        parse_playbook(bad, "p.yaml")


# ----------------------------------------------------------------- explain


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("We are experiencing technical difficulties.", "ack"),
        ("Resolved.", "resolved"),
        ("We expect a fix by 3 PM.", "update"),
        ("The cluster failed. We'll donate to charity on behalf of our users.", "amends"),
    ],
)
def test_every_finding_says_why_in_one_line_with_a_better_phrasing(text, purpose):
    for f in check_message(text, purpose, "social", BOOK):
        assert f.message and "\n" not in f.message
        assert ":" in f.message or "(" in f.message  # the finding, then why
        assert f.suggestion and "\n" not in f.suggestion


# ------------------------------------------------- the ladder: error = surely missing

E_OR_W = {ERROR, WARNING}


def finding(text: str, purpose: str, rule: str):
    found = [f for f in check_message(text, purpose, "statuspage", BOOK) if f.rule == rule]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("We expect a fix by 3 PM.", "3 PM"),
        ("Engineers aim to have the importer running within 2 hours.", "within 2 hours"),
        ("Card payments fail at checkout. We'll be back to you this afternoon.", "this afternoon"),
        ("Logins fail for EU customers; the provider targets a fix by 16:30 CET.", "16:30 CET"),
    ],
)
def test_a_time_without_a_promise_to_update_by_it_is_a_warning_that_names_it(text, seen):
    f = finding(text, "update", "requires.next_update")
    assert f is not None and f.severity == WARNING
    assert f"“{seen}”" in f.message and "is that the next update?" in f.message
    assert text[f.start : f.end] == seen  # the finding points at what it saw
    assert not labels(text, "update", BOOK)["next_update"]  # a cue is not the element


@pytest.mark.parametrize(
    "text",
    [
        "We are investigating failed logins for EU customers.",
        "Card payments fail at checkout. We'll update you soon.",
        "Search was down from 09:00; it is still down.",
        "Exports are slow. More updates to follow as soon as possible.",
    ],
)
def test_no_time_at_all_is_an_error(text):
    f = finding(text, "update", "requires.next_update")
    assert f is not None and f.severity == ERROR


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        (
            "Resolved. Our findings are still being gathered. Thank you for your patience.",
            "Our findings",
        ),
        ("Resolved. We are still working out what happened. Thanks, everyone.", "what happened"),
        (
            "Resolved: a damaged cable cut the Lyon link, and the spare link was reconfigured. "
            "Thank you for your patience.",
            "damaged",
        ),
    ],
)
def test_a_write_up_cue_without_a_promise_is_a_warning_that_names_it(text, seen):
    f = finding(text, "resolved", "requires.postmortem_promise")
    assert f is not None and f.severity == WARNING, f
    assert f"“{seen}" in f.message and "?" in f.message
    assert not labels(text, "resolved", BOOK)["postmortem_promise"]


@pytest.mark.parametrize(
    "text",
    [
        "Everything works again since 15:20 UTC. Thanks for your patience.",
        "Resolved at 15:20 UTC. Thank you.",
        "The importer is healthy again since 11:02 CET. We apologise for the delay.",
    ],
)
def test_no_write_up_cue_at_all_is_an_error(text):
    f = finding(text, "resolved", "requires.postmortem_promise")
    assert f is not None and f.severity == ERROR


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        (
            "The last queued invoice went out at 14:52 UTC. Thank you for your patience.",
            "14:52 UTC",
        ),
        ("Logins look good as of 09:41 CET, thanks for bearing with us.", "09:41 CET"),
    ],
)
def test_a_time_not_recognised_as_the_restore_time_is_a_warning(text, seen):
    f = finding(text, "resolved", "requires.restore_time")
    assert f is not None and f.severity == WARNING, f
    assert f"“{seen}”" in f.message and "is that the restore time?" in f.message


def test_the_ladder_keeps_the_json_shape_and_blocking_means_errors():
    warned = check_message("We expect a fix by 3 PM.", "update", "statuspage", BOOK)
    assert not has_errors(warned)  # a cue: a second look, not a block
    blocked = check_message("We expect a fix soon.", "update", "statuspage", BOOK)
    assert has_errors(blocked)


# ------------------------------------------------- broader classes (issue 12, third batch)

COMMUNICATION_AT_A_TIME = params(
    "We will inform you again in 30 minutes.",
    "Next information until 10:00 CET.",
    "We will give a new status at 16h00.",
    "Our next report will be at 12:00 JST.",
    "We will report again at 14:00 UTC on our progress.",
    "We'll circle back within the hour.",
    "We will check back in 45 minutes with what we find.",
    "We'll keep you posted every half hour.",
    "Stay tuned, more at 10h30.",
    "Next status: 11:00 Madrid time.",
    "We will notify you again by 3 PM at the latest.",
    "Expect the next bulletin at 18:00 CET.",
)


@pytest.mark.parametrize("text", COMMUNICATION_AT_A_TIME)
def test_any_communication_verb_or_next_status_noun_with_a_time_is_a_next_update(text):
    full = f"Exports fail for EU customers. {text}"
    assert labels(full, "update", BOOK)["next_update"]
    assert "requires.next_update" not in rules(full, "update")


WIDER_WRITE_UP = params(
    "We will publish our findings within a week.",
    "An RCA will follow by Friday.",
    "A written summary will be emailed to admins by Monday.",
    "Details of the root cause will be shared within 5 business days.",
    "We'll share what happened on our blog this week.",
    "An analysis will be posted here within 5 business days.",
    "Look out for a blog post next week on what broke.",
)


@pytest.mark.parametrize("text", WIDER_WRITE_UP)
def test_the_wider_write_up_vocabulary_with_a_deadline_passes(text):
    full = f"{SAID} {text}"
    assert labels(full, "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(full, "resolved")


PLAIN_CAUSE_AND_REMEDY = params(
    "A power supply in our Paris rack was faulty. Our technicians replaced it, and from now on "
    "both supplies are watched.",
    "The cause was a damaged fibre cable near the station. We repaired the cable and added a "
    "second route.",
    "Our card processor rejected every request after its certificate rotated early. We've pinned "
    "the certificate and added an alert for rejections.",
    "A bad index build corrupted the search results. We restored from last night's backup and "
    "introduced a review for index changes.",
    # the culprit named with a long noun phrase (real write-ups name exactly which part)
    "A scheduled upgrade of the two primary database nodes in our Frankfurt region caused "
    "writes to time out. We've since changed the upgrade runbook to drain one node at a time.",
    "A configuration change to one of our edge load balancers removed half of the healthy "
    "backends. We reverted it and added a check for backend counts to our deploy pipeline.",
    "A routine migration of the billing tables in the EU cluster blocked new invoices for an "
    "hour. We've rebuilt the migration tooling so large tables are copied in batches.",
)


@pytest.mark.parametrize("text", PLAIN_CAUSE_AND_REMEDY)
def test_cause_and_remedy_in_plain_verbs_is_its_own_write_up(text):
    full = f"{SAID} {text}"
    assert labels(full, "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(full, "resolved")


ESL_OWNERSHIP = params(
    "Our technicians analyse the problem at the moment.",
    "Our technicians make now a rollback of the firmware.",
    "Our specialists are checking the database servers.",
    "We are aware and working to resolve this.",
    "Our developers prepare a correction.",
    "We are currently confirming the cause.",
)


@pytest.mark.parametrize("text", ESL_OWNERSHIP)
def test_our_people_acting_in_any_word_order_is_ownership(text):
    assert labels(text, "ack", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "Apple says they've found the cause and are rolling out a fix. More as I hear it.",
        "We shall revert with an update within 60 minutes.",
        "Our team members were notified.",
        "I'll write up what happened in a blog post this week.",
    ),
)
def test_hearing_replying_or_writing_up_is_not_ownership(text):
    assert not labels(text, "ack", BOOK)["ownership"]


FORMAL_FORMULAE = params(
    "Dear customers, there is currently a disruption of our services due to technical reasons.",
    "There is currently a service outage in your area. We thank you for your understanding.",
    "Services are temporarily impacted due to technical reasons. Thank you for your patience.",
    "A failure has occurred in some services. Details are under confirmation.",
    "Dear Valued Customers, we are facing some technical issues. Updates will be shared shortly.",
    "Issue stands resolved. Inconvenience regretted.",
    # the customer-service register: politeness and procedure words, still no symptom
    "Please note that some of our online services are currently disturbed. Kindly try again "
    "after some time. We sincerely regret the inconveniences.",
    "Dear user, we are pleased to inform you that normal service has resumed. We thank you for "
    "your kind cooperation.",
    "The matter has been addressed at our end. In case of further difficulties, kindly revert to "
    "the support desk.",
    "Due to a disturbance, services may be limited. We are handling this with high priority.",
)


@pytest.mark.parametrize("text", FORMAL_FORMULAE)
def test_formal_formulae_that_name_no_symptom_are_robotic(text):
    assert labels(text, "ack", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "Dear customers, since 08:12 CET the webmail can not be reached because a storage "
        "system is defective. Next information until 10:00 CET.",
        "There is currently an outage of fibre internet in Lyon: the box shows a red light.",
        "Services are temporarily impacted: invoices cannot be downloaded.",
    ),
)
def test_the_formal_register_with_a_symptom_is_not_robotic(text):
    assert not labels(text, "ack", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "After the fix we will send you a report with the root cause within a week.",
        "We'll email customers a summary of the incident by Friday.",
        "Our team will mail everyone the full review within 5 days.",
    ),
)
def test_a_write_up_sent_to_the_reader_is_a_promise(text):
    assert labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]


@pytest.mark.parametrize(
    "text",
    params(
        "Resolved. The issue with bookings that started at 06:10 JST has been fixed.",
        "The sync problem, which began around 9:30 CET, is resolved.",
        "The outage that occurred at 14:02 UTC has been mitigated.",
    ),
)
def test_the_time_a_start_verb_names_is_not_the_restore_time(text):
    assert not labels(text, "resolved", BOOK)["restore_time"]


@pytest.mark.parametrize(
    "text",
    params(
        "Balances have shown correctly since 11:15 GMT.",
        "Invoices render properly again as of 3:40 PM ET.",
        "Since 08:05 CET the portal behaves as normal.",
    ),
)
def test_working_correctly_since_a_time_is_a_restore_time(text):
    assert labels(text, "resolved", BOOK)["restore_time"]


@pytest.mark.parametrize(
    "text",
    params(
        "We're grateful for your patience.",
        "We are relieved that bookings work again.",
        "We're proud of how quickly everyone adapted.",
    ),
)
def test_a_feeling_is_not_ownership(text):
    assert not labels(text, "resolved", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "An issue has been detected and is being addressed.",
        "A problem was detected and is currently being addressed by our team.",
    ),
)
def test_detected_and_being_addressed_is_a_template(text):
    assert labels(text, "ack", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "Next update at 16.00 CET.",
        "We will update you by 4.30pm.",
        "Next update at 1600 UTC.",
        "We will inform you again at 4 o'clock.",
        "Next status 11:00 CET.",
        "Next information 10:00 CET.",
    ),
)
def test_other_ways_of_writing_the_clock_are_times(text):
    full = f"Logins fail for EU customers. {text}"
    assert labels(full, "update", BOOK)["next_update"]
    assert "requires.next_update" not in rules(full, "update")


@pytest.mark.parametrize(
    "text",
    params(
        "Logins fail since version 4.12. We are on it.",
        "Logins fail in release 2.30 for some users. We are on it.",
    ),
)
def test_a_version_number_is_not_a_time(text):
    assert not labels(text, "update", BOOK)["next_update"]
    assert rules(text, "update")["requires.next_update"] == ERROR


@pytest.mark.parametrize(
    "text",
    params(
        "We will share our learnings by Friday.",
        "A PIR will follow within 5 business days.",
        "We'll describe how this happened in a write-up next week.",
    ),
)
def test_learnings_a_pir_or_how_it_happened_is_a_write_up(text):
    assert labels(f"{SAID} {text}", "resolved", BOOK)["postmortem_promise"]


@pytest.mark.parametrize(
    "text",
    params(
        "We would like to report that the failure of the reservation screen is resolved.",
        "A malfunction of the booking module has occurred. Measures are being taken.",
        "Please note a failure of the payment page. Further information will follow on this page.",
    ),
)
def test_a_failure_of_a_named_part_with_no_symptom_is_generic(text):
    assert labels(text, "ack", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "A failure of the payment page means checkout returns an error for card payments.",
        "The reservation screen does not load; customers cannot book new tables.",
    ),
)
def test_a_failure_with_what_customers_see_is_not_robotic(text):
    assert not labels(text, "ack", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "Card payments fail. We hope to get back to normal by 3 PM.",
        "Card payments fail. Service should come back by 15:00 UTC.",
        "Card payments fail. The provider announced maintenance at 14:00 UTC yesterday.",
    ),
)
def test_a_fix_time_or_the_past_is_not_a_next_update(text):
    assert not labels(text, "update", BOOK)["next_update"]


# ------------------------------------------------------- the fourth batch's classes

GENERIC_WORDS_ONLY = params(
    "We're having some technical difficulties, thanks for your patience!",
    "We are currently experiencing an instability in our platform. Our team is working on it.",
    "A failure has occurred in some services. We are working to restore them.",
    "The platform is showing signs of recovery. We continue to monitor.",
    "All services are normalized. Thank you for your patience.",
    "There is a disruption right now and we are on it. Sorry!",
    "Some users may notice intermittent issues. Our team keeps working on it.",
    "Systems are showing signs of recovery after the instability.",
)


@pytest.mark.parametrize("text", GENERIC_WORDS_ONLY)
def test_impact_only_in_generic_words_is_robotic_whatever_the_tone(text):
    assert labels(text, "update", BOOK)["robotic"]
    # a phrase the playbook forbids is said once, as forbidden_phrase
    assert {"robotic", "forbidden_phrase"} & set(rules(text, "update"))


@pytest.mark.parametrize(
    "text",
    params(
        "We're having some technical difficulties: the dashboard won't load for most users.",
        "Signs of recovery: new orders go through again, but invoices are still delayed.",
        "An instability in the EU region means uploads time out after a minute.",
        "Queues are normalized and every delayed email has now been sent.",
    ),
)
def test_a_generic_word_next_to_a_real_symptom_is_not_robotic(text):
    assert not labels(text, "update", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "Our engineering team has confirmed the issue is resolved.",
        "Our engineering team has confirmed the issue is fully resolved. This incident "
        "affected: API, Dashboard.",
        "This incident has been resolved.\n\nThis incident affected: Web App and Mobile App.",
        "The issue is now resolved.\nThis incident affected: Billing (Invoices).",
    ),
)
def test_a_confirmed_resolution_and_the_affected_footer_are_template(text):
    assert labels(text, "resolved", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "Working on it.",
        "On it, rolling back now.",
        "Checkout is down. Looking into it now, update in 30 min.",
        "Logins fail for some of you. Still digging into it.",
        "Uploads stall at 90 %. Rolling back the 10:00 release.",
    ),
)
def test_an_elided_subject_acting_is_ownership(text):
    assert labels(text, "ack", BOOK)["ownership"]
    assert "requires.ownership" not in rules(text, "ack")


@pytest.mark.parametrize(
    "text",
    params(
        "Our IT department is checking the servers.",
        "The on-call engineer is restarting the payment workers.",
        "Our support department is contacting the hosting provider.",
        "The operations desk is moving traffic to the backup line.",
    ),
)
def test_a_department_or_role_acting_is_ownership(text):
    assert labels(text, "ack", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "We have confirmed the fix and logins work again.",
        "We can confirm that the issue is resolved.",
        "We will explain what happened in a later post.",
        "We are aware that logins fail.",
        "We'll describe the cause once we know it.",
    ),
)
def test_confirming_explaining_or_awareness_is_not_ownership(text):
    assert not labels(text, "resolved", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "We are confirming the cause and will announce the next report at 11:00 JST.",
        "We've confirmed the storage is healthy and are now looking at the proxy.",
    ),
)
def test_confirming_a_cause_is_still_investigating(text):
    assert labels(f"Logins fail. {text}", "ack", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "We will inform the next situation by 19:30 JST.",
        "Next update latest 10:00 CET.",
        "We'll close this out by 4 PM PT.",
        "Next info at 15h.",
        "News from us before 18:00.",
        "You will hear from us no later than 14:30 UTC.",
    ),
)
def test_second_language_and_casual_next_updates(text):
    full = f"Bookings fail for every hotel. {text}"
    assert labels(full, "update", BOOK)["next_update"]
    assert "requires.next_update" not in rules(full, "update")


@pytest.mark.parametrize(
    "text",
    params(
        "We will publish a write-up by November 19.",
        "A write-up follows on 19 Nov.",
        "Our post-mortem will be on this page on 3 December.",
    ),
)
def test_a_write_up_promised_by_a_date_is_a_next_update(text):
    full = f"{SAID} {text}"
    assert labels(full, "resolved", BOOK)["next_update"]
    assert labels(full, "resolved", BOOK)["postmortem_promise"]


@pytest.mark.parametrize(
    "text",
    params(
        "Bookings fail. Back at 15h we had a call with the provider.",
        "Bookings fail; we are on it. The 24h report shows more errors.",
    ),
)
def test_an_hour_word_without_a_promise_is_not_a_next_update(text):
    assert not labels(text, "update", BOOK)["next_update"]


@pytest.mark.parametrize(
    "text",
    params(
        "The update broke logins. We made a rollback and will test updates better in the future.",
        "A region went down, so bookings failed. We set the app to connect through a second "
        "region if one fails.",
        "The database host crashed. We added a failover so a second host takes over.",
        "Our provider had a power cut. We have now set up a standby in another data center.",
    ),
)
def test_a_cause_and_a_resilience_change_is_the_write_up(text):
    full = f"{text} Thank you for your patience."
    assert labels(full, "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(full, "resolved")


@pytest.mark.parametrize(
    "text",
    params(
        "The primary database went down; we failed over to the standby at 10:02.",
        "We switched to the backup line at 10:02 UTC and everything works.",
    ),
)
def test_the_failover_during_the_incident_is_not_a_write_up(text):
    assert not labels(f"{text} Thanks!", "resolved", BOOK)["postmortem_promise"]


@pytest.mark.parametrize(
    "text",
    params(
        "Bookings are working again since 11:25 CET.",
        "The database is accepting connections as of 09:47 UTC.",
        "Logins succeed as of 09:47 UTC.",
        "Payments go through again since 14:10 UTC.",
        "The API is responding since 08:15 CET.",
    ),
)
def test_a_working_again_predicate_since_a_time_is_a_restore_time(text):
    assert labels(f"{text} Thanks!", "resolved", BOOK)["restore_time"]


@pytest.mark.parametrize(
    "text",
    params(
        "Logins have been failing since 09:47 UTC.",
        "As of 09:47 UTC some customers cannot log in.",
        "Since 11:25 CET the API is not accepting connections.",
    ),
)
def test_a_start_of_trouble_is_not_a_restore_time(text):
    assert not labels(text, "update", BOOK)["restore_time"]


@pytest.mark.parametrize(
    "text",
    params(
        "Excuse us for the trouble.",
        "Please excuse us for the delay in your orders.",
        "Pardon the interruption to your bookings today.",
        "Our excuses for this outage.",
    ),
)
def test_second_language_apologies(text):
    assert labels(f"Exports fail. {text}", "ack", BOOK)["apology"]


@pytest.mark.parametrize(
    "text",
    params(
        "We're having some technical difficulties right now.",
        "We are having problems with our website today.",
        "We're having trouble with payments this morning.",
    ),
)
def test_having_difficulties_is_experiencing_not_acting(text):
    assert not labels(text, "ack", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "We're having a look at the payment workers.",
        "Still searching the cause with our hosting partner.",
        "Analysing the problem with the slow exports now.",
        "The team's digging through the notification queue.",
        "Our on-call's restarting the workers.",
    ),
)
def test_a_look_an_elided_search_or_a_contracted_team_is_ownership(text):
    assert labels(f"Exports fail. {text}", "update", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "Exports fail. Sending the invoices by hand works.",
        "Searching the catalogue returns nothing.",
    ),
)
def test_a_gerund_that_is_the_symptom_is_not_ownership(text):
    assert not labels(text, "update", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "Our engineering team has confirmed the issue is resolved.",
        "Our engineers have now confirmed that the fix is working.",
        "The support team confirms everything is back.",
    ),
)
def test_our_people_confirming_a_resolution_is_not_ownership(text):
    assert not labels(text, "resolved", BOOK)["ownership"]


def test_our_people_confirming_a_cause_is_still_ownership():
    text = "Our engineers have confirmed the cause: an expired certificate."
    assert labels(text, "resolved", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "Found it. Rolling back now, should be sorted soon.",
        "A bad setting logs people out. Reverting, more soon.",
        "Logins fail in one zone. Failing over to the other one now.",
    ),
)
def test_an_elided_rollback_is_ownership(text):
    assert labels(text, "update", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "Reason was a software update that made the session expire early. We made a rollback, "
        "and from now on we'll test updates with a small group first.",
        "A load balancer stopped passing health checks and kept its traffic. We've set the API "
        "to fail over to a second zone automatically.",
        "The reason for this outage was a full disk on the mail relay. We added an alert that "
        "fires at 80 % so it never happens again.",
    ),
)
def test_a_plain_cause_and_a_remedy_are_the_write_up(text):
    full = f"{text} Sorry for the disruption."
    assert labels(full, "resolved", BOOK)["postmortem_promise"]
    assert "requires.postmortem_promise" not in rules(full, "resolved")


@pytest.mark.parametrize(
    "text",
    params(
        "We will explain the details on this page by December 4.",
        "We'll explain the background in a post on 4 Dec.",
        "Our team will explain the reasons by Friday.",
    ),
)
def test_explaining_the_details_by_a_date_is_a_write_up_and_a_next_update(text):
    got = labels(f"{SAID} {text}", "resolved", BOOK)
    assert got["postmortem_promise"] and got["next_update"]


@pytest.mark.parametrize(
    "text",
    params(
        "The problem started yesterday at 08:15 after an update of the PDF library.",
        "It began at 08:15 after a firmware update on the routers.",
        "At 08:15 a software update reached the mail servers.",
    ),
)
def test_a_software_update_at_a_time_is_not_a_next_update(text):
    assert not labels(f"Exports work again. {text}", "resolved", BOOK)["next_update"]


@pytest.mark.parametrize(
    "text",
    params(
        "We'll post an update of our progress at 10:00 UTC.",
        "Next update at 10:00 UTC, after the update of the routers is done.",
        "We will share an update on the status by 10:00 UTC.",
    ),
)
def test_an_update_of_our_progress_is_still_a_next_update(text):
    assert labels(f"Exports fail. {text}", "update", BOOK)["next_update"]


@pytest.mark.parametrize(
    "text",
    params(
        "We observe signs of recovery across our platform.",
        "Hey folks, we've got some technical hiccups, hang tight!",
        "We're experiencing some technical glitches. Back soon!",
        "Services have been normalised. Thanks for your patience.",
        "A disruption is affecting some of our services.",
    ),
)
def test_more_generic_impact_words_are_robotic(text):
    assert labels(text, "ack", BOOK)["robotic"]


@pytest.mark.parametrize(
    "text",
    params(
        "The network operations center is rerouting traffic.",
        "Support and engineering are working together on it.",
        "IT is replacing the broken switch.",
        "Our help desk is checking every ticket.",
    ),
)
def test_more_departments_acting_are_ownership(text):
    assert labels(text, "ack", BOOK)["ownership"]


@pytest.mark.parametrize(
    "text",
    params(
        "We will communicate the next status at 11 JST.",
        "We'll wrap this up by 5 PM ET.",
        "Next update: latest 10:00 CET.",
        "We will inform the next progress by 15:00.",
    ),
)
def test_more_next_update_forms(text):
    assert labels(f"Logins fail. {text}", "update", BOOK)["next_update"]


def test_a_dated_report_with_an_ordinal_is_a_next_update():
    text = f"{SAID} The report will be published on Nov 19th."
    assert labels(text, "resolved", BOOK)["next_update"]


@pytest.mark.parametrize(
    "text",
    params(
        "Logins fail on 3 EU servers. We are on it.",
        "Logins fail for 11 EU customers. We are on it.",
    ),
)
def test_a_count_before_capitals_is_not_a_time(text):
    assert not labels(text, "update", BOOK)["next_update"]


def test_the_api_responding_since_a_time_is_a_restore_time():
    assert labels("The API responds since 14:10 UTC. Thanks!", "resolved", BOOK)["restore_time"]
    assert not labels("Since 09:47 UTC the API responds with errors.", "update", BOOK)[
        "restore_time"
    ]
