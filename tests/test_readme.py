"""The playbook example in the README is a valid playbook."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tui.playbook import load_playbook


def test_readme_playbook_example_validates(tmp_path):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks, "the README shows a playbook example"
    path = tmp_path / "example.yaml"
    path.write_text(blocks[0])
    book = load_playbook(path)  # template files resolve to the shipped ones
    assert book.classify({"users_affected_pct": 7}).id == "major"
    assert book.classify({}).id == "watch"


def test_readme_names_the_two_setup_commands():
    text = (ROOT / "README.md").read_text()
    assert text.index("make demo") < text.index("make test")
