"""The playbook example in the README is a valid playbook."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tui.core.playbook import load_playbook


def test_readme_playbook_example_validates(tmp_path):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    playbooks = [b for b in blocks if b.startswith("warroom_playbook:")]
    assert playbooks, "the README shows a playbook example"
    path = tmp_path / "example.yaml"
    path.write_text(playbooks[0])
    book = load_playbook(path)  # template files resolve to the shipped ones
    assert book.classify({"users_affected_pct": 7}).id == "major"
    assert book.classify({}).id == "watch"


def test_readme_names_the_two_setup_commands():
    text = (ROOT / "README.md").read_text()
    assert text.index("make demo") < text.index("make test")


def test_readme_config_example_validates(tmp_path):
    from tui.core.config import load_config

    text = (ROOT / "README.md").read_text()
    configs = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "destinations:" in b]
    assert configs, "the README shows a destinations config"
    path = tmp_path / "config.yaml"
    path.write_text(configs[0])
    config = load_config(path)
    assert config.destinations[0].api_key_env == "STATUSPAGE_API_KEY"
    assert dict(config.destinations[0].components) == {
        "API": "8kbf7d35c070",
        "Dashboard": "3jn0lv6s4t7c",
    }


def test_every_guarantee_names_test_files_that_exist():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "tests/" in line]
    assert len(rows) >= 15, "the Guarantees table lists each promise"
    for row in rows:
        files = re.findall(r"`(tests/[\w/]+\.py)`", row)
        assert files, f"a guarantee without its test: {row}"
        for name in files:
            assert (ROOT / name).is_file(), f"{name} (named in Guarantees) does not exist"


def test_readme_lists_the_action_ids_of_the_table():
    from tui.core.actions import markdown_reference

    text = (ROOT / "README.md").read_text()
    listed = text.split("<!-- actions:", 1)[1].split("-->", 1)[1].split("<!-- /actions -->")[0]
    assert listed.strip() == markdown_reference().strip(), "regenerate: markdown_reference()"


def test_readme_keymap_example_validates(tmp_path):
    from tui.core.config import load_config

    text = (ROOT / "README.md").read_text()
    [example] = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("keymap:")]
    path = tmp_path / "config.yaml"
    path.write_text(example)
    assert load_config(path).keymap == {
        "publish": ("P",),
        "next_phase": ("n", "ctrl+right"),
        "help": ("h", "question_mark"),
    }
