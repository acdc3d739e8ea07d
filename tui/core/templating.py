"""Playbook templates, rendered with bounds and kept inside their directories.

A playbook's templates are code from a file anyone on the team may edit, and
they run inside the dashboard. Jinja2's sandbox stops them reaching Python; this
module stops them hanging or exhausting the machine, and keeps them (and what
they include) inside their templates directories:

- time: a render is abandoned after ``MAX_SECONDS``. A thread cannot be
  killed, so the render checks its own deadline at every loop step, call,
  attribute and item lookup, operator, filter and join;
- loops: ``range`` gives at most ``MAX_RANGE`` numbers, and a render takes at
  most ``MAX_LOOP_STEPS`` loop steps in all;
- size: no string, list or joined block may exceed ``MAX_STRING`` characters,
  refused *before* it is built (``"x" * 10**8`` allocates nothing); the
  output stops at ``MAX_OUTPUT`` characters;
- names: no absolute paths, no ``..``, no symlink that leads out of the
  directory -- for the playbook's entries and for ``include``/``extends``/
  ``import`` inside templates (:class:`ContainedLoader`).

:func:`playbook_environment` is the one environment built for playbook
templates (message drafts and post-mortem documents alike): bounded, contained,
strict about undefined names. Every refusal is a :class:`TemplateLimit` naming
the template file and line. Jinja2 is imported on first use, not when this
module is imported.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.playbook import contained_template

if TYPE_CHECKING:  # pragma: no cover
    from jinja2 import BaseLoader, Environment, Template
    from jinja2.runtime import Context
    from jinja2.sandbox import SandboxedEnvironment

MAX_SECONDS = 2.0
MAX_RANGE = 10_000
MAX_LOOP_STEPS = 1_000_000
MAX_STRING = 100_000
MAX_OUTPUT = 100_000
MAX_TEMPLATE_BYTES = 256 * 1024

# printf-style widths/precisions (``%99999s``, ``%.*f``) and str.format specs (``{:>99999}``)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*\}")
_DIGITS = re.compile(r"\d+")


class TemplateLimit(Exception):
    """A template asked for more than a message may take (time, size, loops) or left its dir."""


# ----------------------------------------------------------------------- the budget

_local = threading.local()


class _Budget:
    __slots__ = ("deadline", "steps")

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.steps = 0


def _tick() -> None:
    budget: _Budget | None = getattr(_local, "budget", None)
    if budget is not None and time.monotonic() > budget.deadline:
        raise TemplateLimit(f"the template took longer than {MAX_SECONDS:g} s (abandoned)")


def _step() -> None:
    budget: _Budget | None = getattr(_local, "budget", None)
    if budget is None:
        return
    budget.steps += 1
    if budget.steps > MAX_LOOP_STEPS:
        raise TemplateLimit(f"the template's loops take more than {MAX_LOOP_STEPS} steps")
    if budget.steps % 64 == 0:
        _tick()


def _size(value: Any, limit: int = MAX_STRING) -> int:
    """Characters and items in ``value``, nested lists counted whole (``[x] * n`` shares one
    ``x`` n times: printing it would not). Counting stops a little past ``limit``."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if not isinstance(value, (list, tuple, dict, set, frozenset)):
        return 0
    total = 0
    todo: list[Any] = [value]
    while todo and total <= limit:
        item = todo.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            todo.extend(x for x in item if isinstance(x, (str, bytes, list, tuple, dict, set)))
        elif isinstance(item, dict):
            total += len(item)
            todo.extend(item.keys())
            todo.extend(item.values())
    return total


def _check_size(value: Any, what: str = "a value") -> Any:
    if _size(value) > MAX_STRING:
        raise TemplateLimit(f"{what} would be {_size(value)} long (at most {MAX_STRING})")
    return value


def _refuse_big(n: int, what: str) -> None:
    raise TemplateLimit(f"{what} would be {n} long (at most {MAX_STRING})")


def _check_number_arg(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_STRING:
        raise TemplateLimit(f"{what}: {value} is too large (at most {MAX_STRING})")


def _check_percent(fmt: str) -> None:
    for m in _PERCENT_SPEC.finditer(fmt):
        for g in m.groups():
            if g == "*":
                raise TemplateLimit("'%*' widths are not allowed in templates")
            if g and int(g) > MAX_STRING:
                _refuse_big(int(g), "a formatted field")


def _check_brace_format(fmt: str) -> None:
    for m in _BRACE_SPEC.finditer(fmt):
        for digits in _DIGITS.findall(m.group()):
            if len(digits) > 6 or int(digits) > MAX_STRING:
                _refuse_big(int(digits[:12]), "a formatted field")


def _bounded_range(*args: int) -> range:
    _tick()
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TemplateLimit(f"range() of {len(rng)} numbers (at most {MAX_RANGE})")
    return rng


def _check_replace(text: str, old: Any, new: Any) -> None:
    """``text.replace(old, new)`` (method or filter) refused before it grows past the bound."""
    old, new = str(old), str(new)
    grows = max(len(new) - len(old), 0) * (text.count(old) if old else len(text) + 1)
    if len(text) + grows > MAX_STRING:
        _refuse_big(len(text) + grows, "a replaced string")


def _join_size(items: list[Any], sep: str) -> int:
    return sum(len(str(x)) for x in items) + len(sep) * max(len(items) - 1, 0)


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that checks the deadline, refuses amplifying arguments, and bounds its result."""
    from jinja2.utils import pass_context, pass_environment, pass_eval_context

    def check_args(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        _tick()
        _check_size(value, f"the {name} filter's input")
        for arg in (*args, *kwargs.values()):
            _check_number_arg(arg, f"the {name} filter")
        if name == "format" and isinstance(value, str):
            _check_percent(value)
        if name == "join":
            value = list(value)
            sep = str(args[0]) if args else str(kwargs.get("d", ""))
            if _join_size(value, sep) > MAX_STRING:
                _refuse_big(_join_size(value, sep), "a joined string")
        if name == "indent" and isinstance(value, str):
            width = args[0] if args else kwargs.get("width", 4)
            width = len(width) if isinstance(width, str) else int(width)
            if len(value) + (value.count("\n") + 1) * width > MAX_STRING:
                _refuse_big(len(value) + (value.count("\n") + 1) * width, "an indented text")
        if name == "sum":
            value = list(value)
            if _size(value) > MAX_STRING:
                _refuse_big(_size(value), "a sum of lists")
        if name == "replace" and isinstance(value, str) and len(args) >= 2:
            _check_replace(value, args[0], args[1])
        return value

    kind = getattr(func, "jinja_pass_arg", None)
    if kind is not None:  # the first argument is the context/environment: the value is second

        def passing(first: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
            value = check_args(value, args, kwargs)
            return _check_size(func(first, value, *args, **kwargs), f"the {name} filter's result")

        decorate = {
            "context": pass_context,
            "eval_context": pass_eval_context,
            "environment": pass_environment,
        }[kind.name]
        return decorate(passing)

    def plain(value: Any, *args: Any, **kwargs: Any) -> Any:
        value = check_args(value, args, kwargs)
        return _check_size(func(value, *args, **kwargs), f"the {name} filter's result")

    return plain


@lru_cache(maxsize=1)
def _classes() -> tuple[type[SandboxedEnvironment], Callable[[Iterable[Path]], BaseLoader]]:
    """The Jinja2 subclasses, built on first use: importing this module imports no Jinja2."""
    from jinja2 import BaseLoader, TemplateNotFound, nodes
    from jinja2.runtime import markup_join, str_join
    from jinja2.sandbox import SandboxedEnvironment

    class ContainedLoader(BaseLoader):
        """Templates from a list of directories, first match wins; never a file outside them."""

        def __init__(self, dirs: Iterable[Path]) -> None:
            self.dirs = [Path(d) for d in dirs]

        def get_source(
            self, environment: Environment, template: str
        ) -> tuple[str, str, Callable[[], bool]]:
            for directory in self.dirs:
                path, problem = contained_template(directory, template)
                if problem:
                    raise TemplateLimit(problem)
                if path is None:
                    continue
                size = path.stat().st_size
                if size > MAX_TEMPLATE_BYTES:
                    raise TemplateLimit(
                        f"template {template!r} is {size} bytes (at most {MAX_TEMPLATE_BYTES})"
                    )
                source = path.read_text(encoding="utf-8")
                mtime = path.stat().st_mtime
                return (
                    source,
                    str(path),
                    lambda p=path, m=mtime: p.exists() and p.stat().st_mtime == m,
                )
            raise TemplateNotFound(template)

        def list_templates(self) -> list[str]:
            return []

    class BoundedEnvironment(SandboxedEnvironment):
        """Jinja2's sandbox, plus deadlines and size bounds (see the module docstring)."""

        intercepted_binops = frozenset({"*", "+", "%", "**"})

        def __init__(self, **options: Any) -> None:
            # every {{ value }} is measured before it is made a string (nested lists too)
            finalize = options.pop("finalize", None)

            def bounded_finalize(value: Any) -> Any:
                _check_size(value, "a printed value")
                return finalize(value) if finalize is not None else value

            super().__init__(finalize=bounded_finalize, **options)
            self.globals["range"] = _bounded_range
            self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

        def add_filter(self, name: str, func: Callable[..., Any]) -> None:
            """Register a project filter: bounded like the built-in ones."""
            self.filters[name] = _guard_filter(name, func)

        # the tree: every loop steps through the budget, every ``~`` is bounded
        def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
            tree = super()._parse(source, name, filename)
            for loop in tree.find_all(nodes.For):
                loop.iter = nodes.Call(
                    nodes.EnvironmentAttribute("bounded_loop"), [loop.iter], [], None, None,
                    lineno=loop.iter.lineno,
                )  # fmt: skip
            for concat in list(tree.find_all(nodes.Concat)):
                joined = nodes.EnvironmentAttribute("bounded_concat")
                call = nodes.Call(joined, list(concat.nodes), [], None, None, lineno=concat.lineno)
                _replace(tree, concat, call)
            return tree

        @staticmethod
        def bounded_loop(iterable: Any) -> Iterator[Any]:
            _tick()
            for item in iterable:
                _step()
                yield item

        @staticmethod
        def bounded_concat(*values: Any) -> str:
            _tick()
            total = sum(len(str(v)) for v in values)
            if total > MAX_STRING:
                _refuse_big(total, "a joined string")
            if any(hasattr(v, "__html__") for v in values):
                return markup_join(values)
            return str_join(values)

        def concat(self, parts: Iterable[Any]) -> str:
            """Block bodies (``set`` blocks, macros, filters) joined within the bound."""
            parts = list(parts)
            total = sum(len(p) for p in parts)
            if total > MAX_STRING:
                _refuse_big(total, "a block of text")
            return "".join(parts)

        # the sandbox's hooks: each one checks the deadline
        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            _tick()
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    sequence = isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int)
                    if sequence and max(_size(seq), 1) * max(n, 0) > MAX_STRING:
                        _refuse_big(max(_size(seq), 1) * n, "a repeated string")
            elif operator == "+" and _size(left) + _size(right) > MAX_STRING:
                _refuse_big(_size(left) + _size(right), "a joined string")
            elif operator == "%" and isinstance(left, str):
                _check_percent(left)
                _check_size(right, "a formatted value")
            elif operator == "**" and isinstance(left, (int, float)) and isinstance(right, int):
                bits = abs(right) * math.log2(abs(left)) if abs(left) > 1 else 0
                if bits > 100_000:
                    raise TemplateLimit(f"{left} ** {right} is too large a number")
            result = super().call_binop(context, operator, left, right)
            return _check_size(result)

        def getattr(self, obj: Any, attribute: str) -> Any:
            _tick()
            return super().getattr(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            _tick()
            return super().getitem(obj, argument)

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            wrapper = super().wrap_str_format(value)
            if wrapper is not None:
                _check_brace_format(value.__self__)
            return wrapper

        def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            _tick()
            owner = getattr(__obj, "__self__", None)
            for arg in (*args, *kwargs.values()):
                _check_size(arg, "an argument")
            if isinstance(owner, (str, bytes, list, tuple)):  # a method of a string or list
                for arg in (*args, *kwargs.values()):
                    _check_number_arg(arg, f"{type(owner).__name__}.{__obj.__name__}()")
                if __obj.__name__ == "join" and args:
                    items = list(args[0])
                    if _join_size(items, str(owner)) > MAX_STRING:
                        _refuse_big(_join_size(items, str(owner)), "a joined string")
                    args = (items, *args[1:])
                if __obj.__name__ == "expandtabs" and isinstance(owner, str):
                    tab = args[0] if args else kwargs.get("tabsize", 8)
                    grown = len(owner) + owner.count("\t") * max(int(tab), 0)
                    if grown > MAX_STRING:
                        _refuse_big(grown, "an expanded string")
                if __obj.__name__ == "replace" and len(args) >= 2 and isinstance(owner, str):
                    _check_replace(owner, args[0], args[1])
            result = SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
            if isinstance(owner, list):  # append/extend in a loop: the list is bounded too
                _check_size(owner, "a list")
            return _check_size(result)

    def _replace(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
        """Put ``new`` where ``old`` is in the tree (Jinja2 nodes keep children in fields)."""
        for node in tree.find_all(nodes.Node):
            for field in node.fields:
                value = getattr(node, field, None)
                if value is old:
                    setattr(node, field, new)
                    return
                if isinstance(value, list) and any(v is old for v in value):
                    setattr(node, field, [new if v is old else v for v in value])
                    return

    return BoundedEnvironment, ContainedLoader


def BoundedEnvironment(**options: Any) -> SandboxedEnvironment:  # used like the class
    """Jinja2's sandbox with deadlines and size bounds (see the module docstring)."""
    return _classes()[0](**options)


def ContainedLoader(dirs: Iterable[Path]) -> BaseLoader:
    """Templates from these directories, first match wins; never a file outside them."""
    return _classes()[1](dirs)


@lru_cache(maxsize=16)
def playbook_environment(
    dirs: tuple[Path, ...],
    *,
    autoescape: bool = False,
    finalize: Callable[[Any], Any] | None = None,
    filters: tuple[tuple[str, Callable[..., Any]], ...] = (),
) -> SandboxedEnvironment:
    """The one environment playbook templates render in, drafts and post-mortems alike.

    A :func:`BoundedEnvironment` reading from ``dirs`` through a :func:`ContainedLoader`,
    with ``StrictUndefined`` (a misspelt name is an error, never an empty string), block
    tags that leave no blank lines, and no trailing newline. ``autoescape`` for HTML;
    ``finalize`` runs on every printed value (after the size check); ``filters`` are
    added bounded like the built-in ones. One environment per set of arguments, built once.
    """
    from jinja2 import StrictUndefined

    env = BoundedEnvironment(
        loader=ContainedLoader(dirs),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=autoescape,
        finalize=finalize,
    )
    for name, func in filters:
        env.filters[name] = _guard_filter(name, func)  # as ``add_filter`` does
    return env


def render_bounded(template: Template, variables: dict[str, Any]) -> str:
    """Render within the budget: TemplateLimit when it takes too long or grows too big."""
    previous = getattr(_local, "budget", None)
    _local.budget = _Budget(MAX_SECONDS)
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateLimit(f"the output is more than {MAX_OUTPUT} characters")
            out.append(chunk)
            _tick()
        return "".join(out)
    finally:
        _local.budget = previous


def error_line(exc: BaseException, dirs: Iterable[Path]) -> tuple[str | None, int | None]:
    """(template file, line) where an error was raised: the innermost template frame.

    Jinja2 rewrites tracebacks so that template frames carry the template's file
    name and line; syntax errors carry them as attributes. The file is shown
    relative to its templates directory.
    """
    roots = [Path(d).resolve() for d in dirs]

    def shown(filename: str | None) -> str | None:
        if not filename:
            return None
        path = Path(filename)
        for root in roots:
            if path.is_relative_to(root):
                return str(path.relative_to(root))
        return None

    file, line = shown(getattr(exc, "filename", None)), getattr(exc, "lineno", None)
    if file and line:
        return file, line
    tb = exc.__traceback__
    while tb is not None:
        name = shown(tb.tb_frame.f_code.co_filename)
        if name:
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    return file, line
