"""The small, explicit condition grammar of the severity rules.

A condition is one of

* ``always``
* ``METRIC OP VALUE`` with OP one of ``>= <= > < == !=`` and VALUE a number or
  ``true``/``false`` (e.g. ``users_affected_pct >= 5``, ``core_feature_down == true``)
* ``{any: [condition, ...]}`` or ``{all: [condition, ...]}``, nested as needed.

Nothing is ever evaluated as code. A metric that has not been reported yet
makes its comparison false.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MetricValue = bool | int | float

OPS: dict[str, Callable[[MetricValue, MetricValue], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
ORDERING_OPS = frozenset({">=", "<=", ">", "<"})

_COMPARE = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>\S+)\s*$"
)
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")


class ConditionSyntaxError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Always:
    def describe(self) -> str:
        return "always"


@dataclass(frozen=True, slots=True)
class Compare:
    metric: str
    op: str
    value: MetricValue

    def describe(self) -> str:
        value = str(self.value).lower() if isinstance(self.value, bool) else f"{self.value:g}"
        return f"{self.metric} {self.op} {value}"


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]

    def describe(self) -> str:
        return " or ".join(_wrap(i) for i in self.items)


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]

    def describe(self) -> str:
        return " and ".join(_wrap(i) for i in self.items)


Condition = Always | Compare | AnyOf | AllOf


def _wrap(c: Condition) -> str:
    text = c.describe()
    return f"({text})" if isinstance(c, AnyOf | AllOf) and len(c.items) > 1 else text


def parse_comparison(text: str) -> Compare:
    """Parse ``METRIC OP VALUE``; the metric is checked against the playbook elsewhere."""
    m = _COMPARE.match(text)
    if not m:
        raise ConditionSyntaxError(
            f"not a condition: {text!r} (write METRIC OP VALUE, e.g. users_affected_pct >= 5)"
        )
    raw = m["value"]
    value: MetricValue
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
        if m["op"] in ORDERING_OPS:
            raise ConditionSyntaxError(f"{m['op']!r} cannot compare with {raw} in {text!r}")
    elif _NUMBER.match(raw):
        value = float(raw) if "." in raw else int(raw)
    else:
        raise ConditionSyntaxError(f"value {raw!r} in {text!r} is neither a number nor true/false")
    return Compare(m["metric"], m["op"], value)


def evaluate(cond: Condition, metrics: Mapping[str, MetricValue]) -> bool:
    match cond:
        case Always():
            return True
        case Compare(metric=name, op=op, value=value):
            if name not in metrics:
                return False
            have = metrics[name]
            if isinstance(value, bool) != isinstance(have, bool):
                return False
            return OPS[op](have, value)
        case AnyOf(items=items):
            return any(evaluate(c, metrics) for c in items)
        case AllOf(items=items):
            return all(evaluate(c, metrics) for c in items)
    raise TypeError(f"not a condition: {cond!r}")  # pragma: no cover


def metrics_in(cond: Condition) -> set[str]:
    match cond:
        case Compare(metric=name):
            return {name}
        case AnyOf(items=items) | AllOf(items=items):
            return set().union(*(metrics_in(c) for c in items)) if items else set()
    return set()
