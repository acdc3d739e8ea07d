"""``warroom demo``: a sample incident in a temporary database (placeholder until the dashboard)."""

from __future__ import annotations


def run_demo(ctx) -> int:
    raise NotImplementedError
