"""``python -m tui``: the ``warroom`` command, for when the console script is not on PATH."""

from tui.entry import main

raise SystemExit(main())
