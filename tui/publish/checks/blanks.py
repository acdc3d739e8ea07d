"""An unfilled blank (``[[ ... ]]``) blocks publishing: an ERROR at each one."""

from __future__ import annotations

from tui.publish.checks.findings import ERROR, Finding, one_line, quote
from tui.publish.checks.scan import Scan


def blank_findings(scan: Scan) -> list[Finding]:
    return [
        Finding(
            "blank",
            ERROR,
            b.start,
            b.end,
            one_line(f"unfilled blank: {quote(b.description or 'blank')}"),
            "replace the [[ … ]] with your own words before publishing",
        )
        for b in scan.blanks
    ]
