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

Where each part lives: :mod:`~tui.core.yamlsafe.nodes` (the node tree, :class:`Problem`,
:class:`YamlLoadError`), :mod:`~tui.core.yamlsafe.reading` (file and byte checks before
parsing, the entry points), :mod:`~tui.core.yamlsafe.builder` (events to nodes, within the
limits). Other layers import from ``tui.core.yamlsafe``.
"""

from __future__ import annotations

from tui.core.yamlsafe.builder import MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES, MAX_PROBLEMS
from tui.core.yamlsafe.nodes import Map, Mark, Node, Problem, Scalar, Seq, YamlLoadError
from tui.core.yamlsafe.reading import MAX_BYTES, load_bytes, load_file, read_file

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
    "read_file",
]
