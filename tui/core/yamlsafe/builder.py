"""Building the node tree from PyYAML's events, within limits a hostile file cannot exceed.

Events come from PyYAML's *event* API (libyaml when available) and the tree is built
with an explicit stack, never ``compose``/``load``: nesting is limited to ``MAX_DEPTH``
collections, the node count (aliases expanded) to ``MAX_NODES``, integers to
``MAX_INT_DIGITS`` digits, problems to ``MAX_PROBLEMS``. Only safe tags are resolved;
merge keys, duplicate keys, recursive and unknown aliases are problems; a syntax error
becomes one problem at its position (tabs get their own wording). :func:`build` raises
only :class:`YamlLoadError` for a problem in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Protocol, cast

import yaml

from tui.core.yamlsafe.nodes import (
    LINE_BREAK,
    Map,
    Mark,
    Node,
    Problem,
    Scalar,
    ScalarValue,
    Seq,
    YamlLoadError,
    key_str,
    position,
    printable,
)

MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_PROBLEMS = 100
MAX_INT_DIGITS = 4300
_QUOTE_MAX = 60

_LOADER = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
_RESOLVER = yaml.resolver.Resolver()
# the implicit tag of a plain scalar (the stub leaves Resolver.resolve untyped)
_resolve_tag = cast(Callable[[type, str, tuple[bool, bool]], str], _RESOLVER.resolve)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

_P = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_P + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = _P + "map", _P + "seq", _P + "merge"
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL})
_BOOL_VALUES = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


def _q(text: str) -> str:
    """Quote user-supplied text for a message: repr-style, escaped, truncated."""
    if len(text) > _QUOTE_MAX:
        return repr(text[:_QUOTE_MAX]) + "..."
    return repr(text)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_P) :] if tag.startswith(_P) else tag


class _Position(Protocol):
    """A PyYAML mark (pure-Python or libyaml's): 0-based line and column."""

    line: int
    column: int


def _mark(ymark: _Position | None) -> Mark:
    if ymark is None:  # pragma: no cover - the parsers mark every event
        return Mark(1, 1)
    return Mark(ymark.line + 1, ymark.column + 1)


class _Stop(Exception):
    """Internal: stop parsing (a fatal problem was recorded)."""


class _Retry(Exception):
    """Internal: libyaml gave up on nesting; parse again with the pure-Python parser."""


class _Frame:
    """An open collection on the builder's stack."""

    __slots__ = ("anchor", "cost", "entries", "is_map", "key", "mark", "pairs", "seen")

    def __init__(self, is_map: bool, mark: Mark, anchor: str | None):
        self.is_map = is_map
        self.mark = mark
        self.anchor = anchor
        self.entries: list[Node] = []  # a sequence's items
        self.pairs: list[tuple[Scalar, Node]] = []  # a mapping's items
        self.cost = 1  # this node plus everything below it (aliases expanded)
        self.key: object = _NO_KEY
        self.seen: dict[str, Mark] = {}


_NO_KEY = object()  # the mapping expects a key next
_BAD_KEY = object()  # the key was rejected; drop the value that follows


class _Builder:
    def __init__(self, filename: str, text: str, loader: type | None = None):
        self.filename = filename
        self.text = text
        self.loader = loader or _LOADER
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Frame | tuple[Node, int]] = {}
        self.merge_keys: set[Scalar] = set()
        self.total = 0
        self.aliased = False
        self.root: Node | None = None
        self.root_empty = False
        self.documents = 0
        self.capped: Problem | None = None  # the "too many problems" notice, always last

    # -- problems

    def problem(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.filename, mark.line, mark.col, printable(message)))
        if len(self.problems) >= MAX_PROBLEMS:
            self.capped = Problem(
                self.filename,
                mark.line,
                mark.col,
                f"too many problems; stopped after {MAX_PROBLEMS}",
            )
            raise _Stop

    def fatal(self, mark: Mark, message: str) -> None:
        self.problem(mark, message)
        raise _Stop

    # -- driver

    def run(self) -> Node:
        # a generator (the stub says Iterator): closed below, whatever happens
        events = cast(Generator[yaml.Event, None, None], yaml.parse(self.text, Loader=self.loader))
        complete = False
        try:
            for event in events:
                self.handle(event)
            complete = True
        except _Stop:
            pass
        except yaml.YAMLError as exc:
            if self.loader is not yaml.SafeLoader and "nesting depth" in str(exc):
                # libyaml's scanner looks ahead and refuses ~1000 nested flow collections
                # before we see the 65th; PyYAML's parser has no such limit, so parsing again
                # with it reports our own depth problem at the right node.
                raise _Retry from None
            self.yaml_error(exc)
        finally:
            events.close()
        if complete and (self.documents == 0 or self.root_empty):
            self.problems.append(Problem(self.filename, 1, 1, "the file is empty"))
        if self.problems or self.root is None:
            if not self.problems:  # pragma: no cover - defensive
                self.problems.append(Problem(self.filename, 1, 1, "the file is empty"))
            self.problems.sort(key=lambda p: (p.line, p.col))
            if self.capped is not None:
                self.problems.append(self.capped)
            raise YamlLoadError(self.problems)
        return self.root

    def handle(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, yaml.CollectionStartEvent):  # a mapping or a sequence
            self.start(event, isinstance(event, yaml.MappingStartEvent))
        elif isinstance(event, yaml.CollectionEndEvent):
            self.end()
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.root_empty = False
                self.fatal(_mark(event.start_mark), "only one YAML document is allowed")

    # -- events

    def count(self, cost: int, mark: Mark) -> None:
        self.total += cost
        if self.total > MAX_NODES:
            if self.aliased:
                self.fatal(mark, f"too many nodes after expanding aliases (limit {MAX_NODES})")
            self.fatal(mark, f"too many nodes (limit {MAX_NODES})")

    def scalar(self, event: yaml.ScalarEvent) -> None:
        mark = _mark(event.start_mark)
        self.count(1, mark)
        value, is_merge = self.resolve(event, mark)
        node = Scalar(value, mark, event.value)
        if is_merge:
            self.merge_keys.add(node)
        if (
            not self.stack
            and event.value == ""
            and event.tag is None
            and event.anchor is None
            and event.implicit[0]
        ):
            self.root_empty = True
        if event.anchor is not None:
            self.anchors[event.anchor] = (node, 1)
        self.attach(node, 1, mark)

    def resolve(self, event: yaml.ScalarEvent, mark: Mark) -> tuple[ScalarValue, bool]:
        text = event.value
        tag = event.tag
        if tag is not None and tag != "!":  # explicit
            if tag not in _SCALAR_TAGS:
                if tag in (_MAP, _SEQ):
                    self.problem(mark, f"tag {_q(_tag_name(tag))} cannot be used on a scalar")
                else:
                    self.problem(mark, f"unsupported tag {_q(_tag_name(tag))}")
                return text, False
        else:
            tag = _resolve_tag(yaml.ScalarNode, text, event.implicit)
        if tag == _NULL:
            return None, False
        if tag == _BOOL:
            value = _BOOL_VALUES.get(text.lower())
            if value is None:
                self.problem(mark, f"invalid !!bool value {_q(text)}")
                return text, False
            return value, False
        if tag == _INT:
            digits = len(text.replace("_", "").lstrip("+-"))
            if digits > MAX_INT_DIGITS:
                self.problem(mark, f"integer is too long ({digits} digits)")
                return text, False
            return self.construct(_CONSTRUCTOR.construct_yaml_int, tag, text, mark), False
        if tag == _FLOAT:
            return self.construct(_CONSTRUCTOR.construct_yaml_float, tag, text, mark), False
        # str, timestamp and '=' (value) stay text; a plain '<<' is a merge key.
        return text, tag == _MERGE

    def construct(
        self, func: Callable[[yaml.ScalarNode], int | float], tag: str, text: str, mark: Mark
    ) -> ScalarValue:
        try:
            return func(yaml.ScalarNode(tag, text))
        except (ValueError, IndexError, KeyError, ArithmeticError):
            self.problem(mark, f"invalid {_tag_name(tag)} value {_q(text)}")
            return text

    def start(self, event: yaml.CollectionStartEvent, is_map: bool) -> None:
        mark = _mark(event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            self.fatal(mark, f"nesting is deeper than {MAX_DEPTH} levels")
        self.count(1, mark)
        tag = event.tag
        if tag is not None and tag not in ("!", _MAP if is_map else _SEQ):
            if tag in _SCALAR_TAGS or tag in (_MAP, _SEQ):
                kind = "mapping" if is_map else "sequence"
                self.problem(mark, f"tag {_q(_tag_name(tag))} cannot be used on a {kind}")
            else:
                self.problem(mark, f"unsupported tag {_q(_tag_name(tag))}")
        frame = _Frame(is_map, mark, event.anchor)
        if event.anchor is not None:
            self.anchors[event.anchor] = frame  # "open": an alias to it now would be recursive
        self.stack.append(frame)

    def end(self) -> None:
        frame = self.stack.pop()
        node: Node
        if frame.is_map:
            node = Map(tuple(frame.pairs), frame.mark)
        else:
            node = Seq(tuple(frame.entries), frame.mark)
        if frame.anchor is not None and self.anchors.get(frame.anchor) is frame:
            self.anchors[frame.anchor] = (node, frame.cost)
        self.attach(node, frame.cost, frame.mark)

    def alias(self, event: yaml.AliasEvent) -> None:
        mark = _mark(event.start_mark)
        name = event.anchor or ""  # an alias always names its anchor
        target = self.anchors.get(name)
        self.aliased = True
        node: Node
        if target is None:
            self.problem(mark, f"alias {_q('*' + name)} refers to an unknown anchor")
            node, cost = Scalar(None, mark, "*" + name), 1
        elif isinstance(target, _Frame):
            self.problem(
                mark,
                f"alias {_q('*' + name)} refers to a node that contains it "
                "(recursive structures are not supported)",
            )
            node, cost = Scalar(None, mark, "*" + name), 1
        else:
            node, cost = target
        self.count(cost, mark)
        self.attach(node, cost, mark)

    def attach(self, node: Node, cost: int, mark: Mark) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        frame.cost += cost
        if not frame.is_map:
            frame.entries.append(node)
            return
        if frame.key is _NO_KEY:
            if not isinstance(node, Scalar):
                kind = "mapping" if isinstance(node, Map) else "sequence"
                self.problem(mark, f"a mapping key must be a scalar, not a {kind}")
                frame.key = _BAD_KEY
            elif node in self.merge_keys:
                self.problem(mark, "merge keys (<<) are not supported")
                frame.key = _BAD_KEY
            else:
                key = key_str(node)
                first = frame.seen.get(key)
                if first is not None:
                    self.problem(mark, f"duplicate key {_q(key)} (first at line {first.line})")
                    frame.key = _BAD_KEY
                else:
                    frame.seen[key] = mark
                    frame.key = node
        else:
            if isinstance(frame.key, Scalar):  # else _BAD_KEY: the value is dropped
                frame.pairs.append((frame.key, node))
            frame.key = _NO_KEY

    # -- syntax errors

    def yaml_error(self, exc: yaml.YAMLError) -> None:
        line, col = 1, 1
        if isinstance(exc, yaml.MarkedYAMLError):
            ymark = exc.problem_mark or exc.context_mark
            if ymark is not None:
                line, col = ymark.line + 1, ymark.column + 1
            message = exc.problem or exc.context or "invalid YAML"
            if exc.problem and exc.context:
                context = exc.context
                if (
                    exc.context_mark is not None
                    and exc.problem_mark is not None
                    and exc.context_mark.line != exc.problem_mark.line
                ):
                    context += f" starting at line {exc.context_mark.line + 1}"
                message = f"{message}; {context}"
            if ymark is not None:
                tab = self.tab_problem(line, col, message)
                if tab is not None:
                    col, message = tab
        elif isinstance(exc, yaml.reader.ReaderError):
            offset = exc.position if isinstance(exc.position, int) else 0
            line, col = position(self.text, max(0, min(offset, len(self.text))))
            char = exc.character
            code = char if isinstance(char, int) else ord(char) if isinstance(char, str) else 0
            message = f"unacceptable character #x{code:04x}: {exc.reason}"
        else:
            message = str(exc) or type(exc).__name__
        message = " ".join(message.split())
        self.problems.append(Problem(self.filename, line, col, printable(message)))

    def tab_problem(self, line: int, col: int, message: str) -> tuple[int, str] | None:
        """(column, nicer message) if this syntax error is about a tab character, else None."""
        lines = LINE_BREAK.split(self.text, maxsplit=line)
        if line > len(lines):
            return None
        src = lines[line - 1]
        indent = len(src) - len(src.lstrip(" \t-?:"))  # leading blanks and "- " / "? " markers
        first_tab = src.find("\t", 0, indent)
        at_tab = 0 < col <= len(src) and src[col - 1] == "\t"
        if first_tab >= 0 and (at_tab or "tab" in message.lower() or "'\\t'" in message):
            return first_tab + 1, "tab character used for indentation (use spaces)"
        if at_tab:
            return col, "tab character is not allowed here (use spaces)"
        return None


def build(name: str, text: str) -> Node:
    """The node tree of ``text`` (one YAML document); raise :class:`YamlLoadError` on a problem."""
    try:
        return _Builder(name, text).run()
    except _Retry:
        return _Builder(name, text, yaml.SafeLoader).run()
