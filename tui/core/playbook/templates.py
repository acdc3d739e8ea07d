"""Template files a playbook names: where they are looked up, and which ones may be used.

Names stay inside their directory (relative, forward slashes, no ``..``), and a
symlink leading out of the templates directory is refused after it is resolved. A
team's own templates are compiled when checked, so ``playbook check`` and ``start``
report a syntax error with its line; the shipped ones are compiled by the test suite.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.playbook.model import Playbook
from tui.core.yamlsafe.nodes import Map, Node

if TYPE_CHECKING:  # the validator imports this module: only its type is needed here
    from tui.core.playbook.validation.nodes import NodeChecker


def template_name_problem(name: str) -> str | None:
    """Why ``name`` may not name a template or a templates_dir (None: it may).

    Names stay inside their directory: relative, forward slashes, no ``..``,
    ``.`` or empty parts. (Symlinks are checked against the files:
    :func:`contained_template`.)
    """
    if not name or name != name.strip():
        return "must be a path inside the directory (no surrounding spaces)"
    if name.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", name) or "\\" in name:
        return "must be a relative path (no absolute path)"
    if any(part in ("", ".", "..") for part in name.rstrip("/").split("/")):
        return "must stay inside the directory (no '..', '.' or empty parts)"
    return None


def _template_syntax_problem(path: Path, name: str) -> str | None:
    """A template that would not compile: ``template NAME line N: message`` (None: it compiles).

    Only ``playbook check`` and ``start`` look (Jinja2 is imported here, lazily).
    """
    from jinja2 import TemplateSyntaxError

    from tui.core.templating import MAX_TEMPLATE_BYTES, BoundedEnvironment

    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            return f"template {name} is larger than {MAX_TEMPLATE_BYTES} bytes"
        source = path.read_text(encoding="utf-8")
        BoundedEnvironment().parse(source, name, str(path))
    except TemplateSyntaxError as exc:
        return f"template {name} line {exc.lineno}: {exc.message}"
    except (OSError, UnicodeDecodeError) as exc:
        return f"template {name} cannot be read: {getattr(exc, 'strerror', None) or exc}"
    return None


def contained_template(directory: Path, name: str) -> tuple[Path | None, str | None]:
    """(the file, None) when ``name`` is a file inside ``directory`` after every symlink is
    resolved; (None, None) when it is missing there; (None, why) when it may not be used."""
    problem = template_name_problem(name)
    if problem:
        return None, f"template name {name!r} {problem}"
    root = Path(directory).resolve()
    path = root / name
    if not os.path.lexists(path):
        return None, None
    real = path.resolve()
    if not real.is_relative_to(root):
        return None, f"template {name!r} leads outside its templates directory {root} (to {real})"
    return (real, None) if real.is_file() else (None, None)


def check_template_files(v: NodeChecker, book: Playbook, root: Node) -> None:
    """Every template file the playbook names must exist (user dir, then shipped), stay
    inside its directory and compile; each problem is recorded in ``v`` at the naming node."""
    from tui.core.resources import shipped_templates_dir

    dirs = book.template_dirs()
    shipped = shipped_templates_dir().resolve()
    tnode = root.get("templates") if isinstance(root, Map) else None
    if book.templates_dir and book.source and isinstance(root, Map):
        base = Path(book.source).parent
        found = (base / book.templates_dir).resolve()
        if not found.is_relative_to(base.resolve()):
            v.err(
                root.get("templates_dir") or root,
                f"templates_dir {book.templates_dir!r} leads outside the playbook's folder "
                f"(to {found})",
            )
    for purpose, entries in book.templates.items():
        for kind, fname in entries.items():
            node: Node = root
            pnode = tnode.get(purpose) if isinstance(tnode, Map) else None
            if isinstance(tnode, Map) and isinstance(pnode, Map):
                node = pnode.get(kind) or tnode
            path, escapes = None, None
            for d in dirs:
                path, escapes = contained_template(d, fname)
                if path is not None or escapes:
                    break
            if escapes:
                v.err(node, f"{purpose}/{kind}: {escapes}")
                continue
            if path is not None:
                # the shipped templates are compiled by the test suite: only a team's own
                # are compiled here (so the CLI path imports Jinja2 only for those)
                problem = (
                    None if path.is_relative_to(shipped) else _template_syntax_problem(path, fname)
                )
                if problem:
                    v.err(node, f"{purpose}/{kind}: {problem}")
                continue
            v.err(
                node,
                f"template {fname!r} for {purpose}/{kind} not found "
                f"(looked in {', '.join(str(d) for d in dirs)})",
            )
