"""One widget per dashboard pane. Widgets render the state they are given and post
messages (:mod:`tui.widgets.messages`); they never talk to SQLite or HTTP."""
