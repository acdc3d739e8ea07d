"""The CLI's start-up shortcuts change nothing a person sees."""

from __future__ import annotations

import argparse
import gettext

from tui import cli
from tui.cli.parser import subparsers


def test_the_parser_built_without_gettext_helps_and_errs_as_before():
    fast, plain = cli.build_parser(), cli._build_parser()
    helps = [fast.format_help()] + [sp.format_help() for sp in subparsers(fast)]
    assert len(helps) > 40
    assert helps == [plain.format_help()] + [sp.format_help() for sp in subparsers(plain)]
    assert argparse._ is gettext.gettext  # type: ignore[attr-defined]  # restored for parse time
