"""The error a refused request raises: one line for the user, and nothing was written.

Every command (``tui.commands``, which re-exports it) raises :class:`CommandError`
for bad input before it writes anything; the CLI prints the line and exits 2,
the dashboard shows it as a notice. It lives in the core because the core's
own look-ups of what the user typed (:mod:`tui.core.lookup`) refuse the same way.
"""

from __future__ import annotations


class CommandError(Exception):
    """One line for the user; nothing was written."""
