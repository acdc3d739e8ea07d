"""A channel's canned reply: its text (literally), tone, the update it comes from; y copies.

Opened with ``c`` on a channel of the queues pane. The text is what
:func:`tui.queues.replies.reply` rendered from the latest published update; the
screen says which ("based on update #12 at 2:05 PM EST") and watches for a newer
one: then an OUTDATED banner shows, and ``y`` or ``f`` first render the reply again
(the stale text is never copied unseen). ``y`` copies it (inside tmux to its paste buffer,
else OSC 52; where neither can work the app writes a file and says where), ``f``
writes it to a file, ``esc`` closes. Every text here is shown literally (escapes
stripped, never markup).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.core.clock import hhmm, wall
from tui.queues.replies import Reply, based_on_words
from tui.widgets._text import literal
from tui.widgets.keys import bindings

WATCH_EVERY = 0.5  # seconds: how soon a newer update shows as OUTDATED
HINT = " y copy \u00b7 f write to a file \u00b7 esc close "


class ReplyScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ReplyScreen { align: center middle; background: $background 60%; }
    ReplyScreen > #reply-dialog {
        width: 90%; max-width: 90; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ReplyScreen #reply-title { text-style: bold; }
    ReplyScreen #reply-outdated { display: none; }
    ReplyScreen #reply-outdated.on { display: block; }
    ReplyScreen #reply-scroll { height: auto; max-height: 20; }
    ReplyScreen #reply-text { border: round $primary 50%; padding: 0 1; }
    """
    BINDINGS = bindings("reply")

    def __init__(
        self,
        reply: Reply,
        tz: str,
        *,
        latest: Callable[[], int | None],
        render: Callable[[Callable[[Reply], None]], None],
        copy: Callable[[Reply, str], None],
    ) -> None:
        """``latest()``: the newest published event id now; ``render(shown)``: the reply
        again, off the UI thread, handed to ``shown`` (never called when it cannot be: the
        app has said why); ``copy(reply, how)``: "osc52" or "file", done by the app."""
        super().__init__()
        self.reply = reply
        self.tz = tz
        self._latest_id = latest
        self._rerender = render
        self._take = copy

    def compose(self) -> ComposeResult:
        with Vertical(id="reply-dialog"):
            yield Static(Text(""), id="reply-title", markup=False)
            yield Static(Text(""), id="reply-about", markup=False)
            yield Static(Text(""), id="reply-outdated", markup=False)
            with VerticalScroll(id="reply-scroll"):
                yield Static(Text(""), id="reply-text", markup=False)
            yield Static(Text(HINT), id="reply-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._show(self.reply)
        self.set_interval(WATCH_EVERY, self._watch)
        self.query_one("#reply-scroll", VerticalScroll).focus()

    def _show(self, r: Reply) -> None:
        self.reply = r
        title = literal(f"Canned reply \u2014 {r.title}", "bold", wrap=True)
        self.query_one("#reply-title", Static).update(title)
        about = Text()
        about.append_text(literal(f"tone: {r.tone or '(none in the playbook)'}", "italic"))
        about.append("\n" + based_on_words(r, self.tz))
        if r.next_update_at is not None:
            about.append(f" \u00b7 next update by {wall(r.next_update_at, self.tz)}")
        if r.copied is not None:
            about.append("\n")
            about.append_text(
                literal(f"last copied {hhmm(r.copied.at, self.tz)} by {r.copied.by}", "dim")
            )
        if r.notice:
            about.append("\n")
            about.append_text(literal(f"Note: {r.notice}", "bold", wrap=True))
        self.query_one("#reply-about", Static).update(about)
        self.query_one("#reply-text", Static).update(literal(r.text.rstrip("\n"), lines=True))
        self._outdated(self.is_outdated())

    def is_outdated(self) -> bool:
        """A newer update was published since the one this reply was rendered from."""
        return self._latest_id() != self.reply.based_on

    def _outdated(self, on: bool) -> None:
        banner = self.query_one("#reply-outdated", Static)
        if on:
            banner.update(
                Text(
                    " OUTDATED: a newer update was published since \u2014 "
                    "y or f shows the new reply first ",
                    style="bold reverse",
                )
            )
        banner.set_class(on, "on")

    def _watch(self) -> None:
        self._outdated(self.is_outdated())

    def _fresh(self) -> bool:
        """True when the shown reply is current; else it is rendered again (in a worker)
        and shown."""
        if not self.is_outdated():
            return True
        self._rerender(self._shown_again)
        return False

    def _shown_again(self, r: Reply) -> None:
        if not self.is_attached:
            return  # closed while it was rendered
        self._show(r)
        self.notify(
            "A newer update was published: this is the new reply. Press again to take it.",
            timeout=6,
            markup=False,
        )

    def action_copy(self) -> None:
        if self._fresh():
            self._take(self.reply, "osc52")
            self.dismiss(None)

    def action_write_file(self) -> None:
        if self._fresh():
            self._take(self.reply, "file")
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
