"""Load an untrusted YAML playbook into a small tree of position-carrying nodes.

``load_file`` / ``load_bytes`` turn a file into :class:`Scalar`, :class:`Seq` and :class:`Map`
nodes, each with a 1-based :class:`Mark` (line and column, columns counted in characters), so a
validator can report problems as ``FILE:LINE:COL: message``.

Whatever the input, the only exception raised is :class:`YamlLoadError`, which carries one or more
:class:`Problem` objects sorted by position. Defences:

* size is checked before anything else (``MAX_BYTES``); ``load_file`` reads at most
  ``MAX_BYTES + 1`` bytes and refuses anything that is not a regular file (so a FIFO cannot
  block it);
* the bytes must be UTF-8 (a leading UTF-8 BOM is stripped), and characters YAML forbids (NUL,
  escape and other control characters) are reported at their position before parsing;
* parsing uses PyYAML's *event* API (libyaml when available) and the tree is built with an
  explicit stack, never ``compose``/``load``, so deep nesting cannot exhaust the Python stack;
  nesting is limited to ``MAX_DEPTH`` collections. (libyaml's scanner refuses ~1000 nested flow
  collections while looking ahead, before we see the 65th; that case is parsed again with the
  pure-Python parser so the depth problem is reported at the right node.)
* aliases are supported but never copied: an alias reuses the anchored node object and costs
  the number of nodes it stands for; the expanded total is limited to ``MAX_NODES`` (this defeats
  "billion laughs"). An alias to its own enclosing collection (a recursive structure) and an
  alias to an unknown anchor are problems. Anchors may be redefined (the latest one wins);
* only the implicit tags plus explicit ``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``,
  ``!!map`` and ``!!seq`` are accepted (plus the non-specific ``!``, which PyYAML resolves as if
  the node were untagged); any other tag is a problem and nothing is ever constructed from it;
* scalars are resolved with PyYAML's SafeLoader rules (YAML 1.1 bools, ints, floats, null);
  timestamps (and the rarely used ``=`` value-key) stay ``str``; quoted scalars are always
  ``str``. Integers longer than ``MAX_INT_DIGITS`` digits are a problem (Python refuses to
  convert them, and sexagesimal ones would be slow);
* merge keys (a plain ``<<`` key) are NOT supported and reported as a problem; a quoted ``"<<"``
  is an ordinary key;
* mapping keys must be scalars. Keys are compared by their *key string*: the value when it is a
  ``str``, else the source text (so ``on:`` is the key ``"on"``, not ``True``); ``Map.get`` and
  ``Map.keys`` use the same key strings, and two keys with the same key string are duplicates
  (``1:`` and ``"1":`` clash, ``yes:`` and ``true:`` do not);
* exactly one document is allowed; an empty file or a document that is empty is a problem;
* a syntax error is one problem at PyYAML's problem mark (else context mark); errors caused by a
  tab are reworded ("tab character used for indentation (use spaces)");
* every message is a single line; quoted source text is shown repr-style and truncated, and any
  remaining non-printable character (in messages or the file name) is escaped, so a hostile file
  cannot put terminal escape sequences on the screen;
* collection stops after ``MAX_PROBLEMS`` problems (a final "too many problems" line is added).

``Scalar.text`` is the scalar's content as parsed (for plain scalars exactly the source text; for
quoted ones the unquoted, unescaped content).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass

import yaml

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "MAX_PROBLEMS",
    "Map",
    "Mark",
    "Node",
    "Problem",
    "Scalar",
    "Seq",
    "YamlLoadError",
    "load_bytes",
    "load_file",
]

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_PROBLEMS = 100
MAX_INT_DIGITS = 4300
_QUOTE_MAX = 60


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    col: int  # 1-based


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class YamlLoadError(Exception):
    """The file could not be loaded; ``problems`` holds at least one :class:`Problem`."""

    problems: list[Problem]

    def __init__(self, problems: list[Problem]):
        problems = list(problems)
        if not problems:
            problems = [Problem("<unknown>", 1, 1, "the file could not be loaded")]
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(frozen=True, slots=True)
class Scalar:
    value: str | int | float | bool | None
    mark: Mark
    text: str


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]
    mark: Mark


@dataclass(frozen=True, slots=True)
class Map:
    items: tuple[tuple[Scalar, Node], ...]
    mark: Mark

    def get(self, key: str) -> Node | None:
        for k, v in self.items:
            if _key_str(k) == key:
                return v
        return None

    def keys(self) -> list[str]:
        return [_key_str(k) for k, _ in self.items]


Node = Scalar | Seq | Map


def _key_str(key: Scalar) -> str:
    return key.value if isinstance(key.value, str) else key.text


# --------------------------------------------------------------------------- helpers

_LOADER = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

_P = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_P + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = _P + "map", _P + "seq", _P + "merge"
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL})
_BOOL_VALUES = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}

# Characters YAML 1.1 (and PyYAML / libyaml's readers) reject.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# YAML 1.1 line breaks, as counted by both PyYAML's reader and libyaml.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _printable(text: str) -> str:
    """Escape every non-printable character (control chars, ESC, bidi overrides...)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _q(text: str) -> str:
    """Quote user-supplied text for a message: repr-style, escaped, truncated."""
    if len(text) > _QUOTE_MAX:
        return repr(text[:_QUOTE_MAX]) + "..."
    return repr(text)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_P) :] if tag.startswith(_P) else tag


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, col) of character ``index`` in ``text``."""
    line, start = 1, 0
    for m in _BREAK.finditer(text, 0, index):
        line += 1
        start = m.end()
    return line, index - start + 1


def _mark(ymark) -> Mark:
    return Mark(ymark.line + 1, ymark.column + 1)


def _too_large(filename: str, size: int) -> YamlLoadError:
    shown = f"{size / 1e6:.1f} MB" if size >= 1_050_000 else f"{size:,} bytes"
    return YamlLoadError(
        [Problem(filename, 1, 1, f"file is too large ({shown}; a playbook may be at most 1 MB)")]
    )


class _Stop(Exception):
    """Internal: stop parsing (a fatal problem was recorded)."""


class _Retry(Exception):
    """Internal: libyaml gave up on nesting; parse again with the pure-Python parser."""


class _Frame:
    """An open collection on the builder's stack."""

    __slots__ = ("anchor", "cost", "is_map", "items", "key", "mark", "seen")

    def __init__(self, is_map: bool, mark: Mark, anchor: str | None):
        self.is_map = is_map
        self.mark = mark
        self.anchor = anchor
        self.items: list = []
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
        self.problems.append(Problem(self.filename, mark.line, mark.col, _printable(message)))
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
        events = yaml.parse(self.text, Loader=self.loader)
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
        cls = type(event)
        if cls is yaml.ScalarEvent:
            self.scalar(event)
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            self.start(event, cls is yaml.MappingStartEvent)
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            self.end()
        elif cls is yaml.AliasEvent:
            self.alias(event)
        elif cls is yaml.DocumentStartEvent:
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

    def resolve(self, event: yaml.ScalarEvent, mark: Mark) -> tuple[object, bool]:
        text = event.value
        explicit = event.tag not in (None, "!")
        if explicit:
            tag = event.tag
            if tag not in _SCALAR_TAGS:
                if tag in (_MAP, _SEQ):
                    self.problem(mark, f"tag {_q(_tag_name(tag))} cannot be used on a scalar")
                else:
                    self.problem(mark, f"unsupported tag {_q(_tag_name(tag))}")
                return text, False
        else:
            tag = _RESOLVER.resolve(yaml.ScalarNode, text, event.implicit)
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

    def construct(self, func, tag: str, text: str, mark: Mark) -> object:
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
        if tag not in (None, "!", _MAP if is_map else _SEQ):
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
            node = Map(tuple(frame.items), frame.mark)
        else:
            node = Seq(tuple(frame.items), frame.mark)
        if frame.anchor is not None and self.anchors.get(frame.anchor) is frame:
            self.anchors[frame.anchor] = (node, frame.cost)
        self.attach(node, frame.cost, frame.mark)

    def alias(self, event: yaml.AliasEvent) -> None:
        mark = _mark(event.start_mark)
        name = event.anchor
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
            frame.items.append(node)
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
                key = _key_str(node)
                first = frame.seen.get(key)
                if first is not None:
                    self.problem(mark, f"duplicate key {_q(key)} (first at line {first.line})")
                    frame.key = _BAD_KEY
                else:
                    frame.seen[key] = mark
                    frame.key = node
        else:
            if frame.key is not _BAD_KEY:
                frame.items.append((frame.key, node))
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
            position = exc.position if isinstance(exc.position, int) else 0
            line, col = _position(self.text, max(0, min(position, len(self.text))))
            char = exc.character
            code = char if isinstance(char, int) else ord(char) if isinstance(char, str) else 0
            message = f"unacceptable character #x{code:04x}: {exc.reason}"
        else:
            message = str(exc) or type(exc).__name__
        message = " ".join(message.split())
        self.problems.append(Problem(self.filename, line, col, _printable(message)))

    def tab_problem(self, line: int, col: int, message: str) -> tuple[int, str] | None:
        """(column, nicer message) if this syntax error is about a tab character, else None."""
        lines = _BREAK.split(self.text, maxsplit=line)
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


# --------------------------------------------------------------------------- entry points


def load_bytes(data: bytes, filename: str) -> Node:
    """Load one YAML document from ``data``; raise :class:`YamlLoadError` on any problem."""
    try:
        name = filename if isinstance(filename, str) else os.fsdecode(filename)
    except Exception:
        name = repr(filename)
    name = _printable(name)
    try:
        return _load(data, name)
    except YamlLoadError:
        raise
    except RecursionError:
        problem = Problem(name, 1, 1, "the file is nested too deeply to be loaded")
    except MemoryError:
        problem = Problem(name, 1, 1, "out of memory while loading the file")
    except Exception as exc:  # never let anything else escape
        detail = _printable(" ".join(f"{type(exc).__name__}: {exc}".split()))[:200]
        problem = Problem(name, 1, 1, f"internal error while loading the file ({detail})")
    raise YamlLoadError([problem])


def _load(data: bytes, name: str) -> Node:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif not isinstance(data, bytes):
        data = bytes(data)
    if len(data) > MAX_BYTES:
        raise _too_large(name, len(data))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", "replace")
        line, col = _position(prefix, len(prefix))
        msg = f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        raise YamlLoadError([Problem(name, line, col, msg)]) from None
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, col = _position(text, bad.start())
        msg = f"unacceptable character #x{ord(bad.group()):04x}: control characters are not allowed"
        raise YamlLoadError([Problem(name, line, col, msg)])
    try:
        return _Builder(name, text).run()
    except _Retry:
        return _Builder(name, text, yaml.SafeLoader).run()


def read_file(path: str | os.PathLike) -> tuple[bytes, str]:
    """Read ``path`` (a regular file, at most ``MAX_BYTES`` + 1 bytes).

    Returns the bytes and the file name made printable for messages; raises
    YamlLoadError for anything unreadable, not a regular file, or too large.
    """
    try:
        name = _printable(os.fsdecode(path))
    except Exception:
        name = _printable(repr(path))

    def cannot(reason: str) -> YamlLoadError:
        return YamlLoadError([Problem(name, 1, 1, f"cannot read file: {_printable(reason)}")])

    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise cannot("Is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise cannot("not a regular file")
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise cannot(exc.strerror or str(exc) or type(exc).__name__) from None
    except (TypeError, ValueError) as exc:  # e.g. a NUL in the path
        raise cannot(str(exc)) from None
    if len(data) > MAX_BYTES:
        raise _too_large(name, max(len(data), st.st_size))
    return data, name


def load_file(path: str | os.PathLike) -> Node:
    """Read ``path`` with :func:`read_file` and load it with :func:`load_bytes`."""
    data, name = read_file(path)
    return load_bytes(data, name)
