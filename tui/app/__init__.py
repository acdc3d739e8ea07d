"""The dashboard application (Textual): boot, polling, background work and the dialogs.

- ``app``: :class:`WarroomApp` -- start-up, the sync poller, work off the UI thread;
- ``room``: the dashboard's one store connection, serialised (no Textual);
- ``command_path``: a key's command run off the UI thread, its state shown;
- ``flows/``: the dialogs, one module per purpose;
- ``courier``: the delivery thread (outbox -> status pages) while the dashboard runs;
- ``palette``: ``?`` help and the command palette, from the action table;
- ``run``, ``driver``, ``lifeline``: running, leaving within 2 s, surviving a lost terminal.

Screens and panes reach the app only through ``screens/_host.py`` and
``tui/widgets/_host.py`` (the layers put this package above them).
"""
