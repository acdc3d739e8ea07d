"""The dashboard's dialogs, one module per purpose; each is a function taking the app.

- ``opening``: which incident opens (the picker, the start form, a duplicate title);
- ``incident``: the next phase, a message published by hand, roles, metrics,
  notes, a channel's queue, a skipped checklist item;
- ``publish``: the draft checked, confirmed and published; the two-person approval;
- ``outbox``: the deliveries on their way, retried or cancelled;
- ``postmortem``: the post-mortem previewed, exported, published; remedial actions;
- ``offers``: recovery offers from a billing export, written next to it.

A dialog pushes a screen and, once answered, runs a command through
:meth:`WarroomApp.run_command` (the one command path) or reads the database
in a worker (:meth:`WarroomApp.background`); nothing here blocks the UI thread.
WarroomApp names each dialog once, as the screens ask for it (``screens/_host.py``).
"""
