"""Loading a playbook: a file or bytes in, a validated :class:`Playbook` or every problem out.

Problems -- a YAML syntax error or a semantic one -- are reported as
``FILE:LINE:COL: message``, all of them at once, one per line, in
:class:`PlaybookError`. A playbook pinned in the database is validated again when
read back (:func:`playbook_from_text`, cached by content).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tui.core.playbook.model import Playbook
from tui.core.playbook.templates import check_template_files
from tui.core.playbook.validation import Validator
from tui.core.yamlsafe.nodes import Problem, YamlLoadError
from tui.core.yamlsafe.reading import load_bytes, read_file


class PlaybookError(Exception):
    """One or more problems, each ``FILE:LINE:COL: message``."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))


def load_playbook(path: str | os.PathLike[str], *, check_files: bool = True) -> Playbook:
    """Load and validate a playbook file; raise PlaybookError listing every problem."""
    try:
        data, name = read_file(path)  # regular files only, size-capped: a FIFO cannot block us
    except YamlLoadError as exc:
        raise PlaybookError(list(exc.problems)) from None
    source = str(Path(os.fspath(path)).resolve())
    return parse_playbook(data, name, source=source, check_files=check_files)


def parse_playbook(
    data: bytes, filename: str, *, source: str = "", check_files: bool = False
) -> Playbook:
    """Validate playbook bytes. ``source`` is the resolved path templates are found from."""
    try:
        root = load_bytes(data, filename)
    except YamlLoadError as exc:
        raise PlaybookError(list(exc.problems)) from None
    v = Validator(filename)
    book = v.playbook(root, data, source)
    if book is not None and check_files:
        check_template_files(v, book, root)
    if v.problems or book is None:
        raise PlaybookError(v.problems)
    return book


_CACHE: dict[str, Playbook] = {}


def playbook_from_text(text: str, source: str = "") -> Playbook:
    """Re-validate a playbook pinned in the database (cached by content)."""
    data = text.encode("utf-8")
    key = hashlib.sha256(data).hexdigest() + "\0" + source
    book = _CACHE.get(key)
    if book is None:
        book = parse_playbook(data, source or "<pinned playbook>", source=source)
        _CACHE[key] = book
    return book
