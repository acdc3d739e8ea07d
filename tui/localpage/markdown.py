"""The Markdown subset a Statuspage incident update renders, as safe HTML.

Updates: paragraphs, line breaks (a single newline is a ``<br>``), **bold**, *italic*,
[links](https://example.com) and ``<https://example.com>``, bulleted and numbered lists.
Post-mortems add headings (``#`` to ``######``), as Statuspage post-mortems do.

Everything else stays text: raw HTML is escaped (a ``<script>`` someone typed is shown as
``<script>``), links only go to ``http``, ``https`` or ``mailto`` addresses (a
``javascript:`` link stays plain text) and open with ``rel="nofollow noopener noreferrer"``.
Terminal control characters are removed first (:func:`tui.core.textsafe.clean`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

from tui.core.textsafe import clean

_SCHEMES = ("http://", "https://", "mailto:")
_UPDATE_RULES = ["emphasis", "link", "autolink", "list", "newline", "escape"]


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(_SCHEMES)


def _link_open(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    rendered: str = self.renderToken(tokens, idx, options, env)
    return rendered


@cache
def _parser(headings: bool) -> MarkdownIt:
    md = MarkdownIt("zero", {"breaks": True, "html": False, "linkify": False, "typographer": False})
    md.enable(_UPDATE_RULES + (["heading"] if headings else []))
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


def render(text: str | None, *, headings: bool = False) -> Markup:
    """``text`` (Markdown) as HTML that is safe to put in the page."""
    if not text:
        return Markup("")
    return Markup(_parser(headings).render(clean(text)))
