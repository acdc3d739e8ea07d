"""Where the playbooks and templates that ship with warroom live.

In the wheel they are mapped into ``tui/_data/`` at build time; in a source
checkout (or an editable install) they are the repository's top-level
``playbooks/`` and ``templates/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    inside = _PACKAGE / "_data" / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def shipped_playbooks_dir() -> Path:
    return _data_dir("playbooks")


def shipped_templates_dir() -> Path:
    return _data_dir("templates")


def shipped_playbooks() -> list[Path]:
    return sorted(shipped_playbooks_dir().glob("*.yaml"))


def resolve_playbook(name_or_path: str) -> Path:
    """A path as given, or the name of a shipped playbook (with or without .yaml)."""
    path = Path(name_or_path).expanduser()
    if path.exists() or "/" in name_or_path:
        return path
    stem = name_or_path.removesuffix(".yaml").removesuffix(".yml")
    shipped = shipped_playbooks_dir() / f"{stem}.yaml"
    return shipped if shipped.is_file() else path
