"""``python -m tui``: the ``warroom`` command, for when the console script is not on PATH."""

from tui.cli import main

raise SystemExit(main())
