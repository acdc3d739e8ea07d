"""Playbook rules for metrics, conditions and severity levels.

A metric has a type (bool, percent, count, number); a severity level names the
protocol it runs and a condition on the metrics (``users_affected_pct >= 5``,
``always``, or an ``any:``/``all:`` group) that must only use defined metrics,
compared with values of their type.
"""

from __future__ import annotations

from collections.abc import Mapping

from tui.core import conditions as cond
from tui.core.playbook.model import METRIC_TYPES, Metric, SeverityLevel
from tui.core.playbook.validation.nodes import NodeChecker, show, suggest
from tui.core.yamlsafe.nodes import Map, Node, Scalar


class SeverityRules(NodeChecker):
    """The ``metrics`` and ``severity`` sections."""

    def metrics(self, node: Node) -> tuple[Metric, ...]:
        out: list[Metric] = []
        seen: dict[str, Node] = {}
        for item in self.seq(node, "metrics", allow_empty=True):
            f = self.fields(item, "a metric", ("id", "type"), ("title",))
            if not f or "id" not in f:
                continue
            mid = self.ident(f["id"], "metric id")
            mtype = None
            if "type" in f:
                mtype = self.string(f["type"], "metric type")
                if mtype is not None and mtype not in METRIC_TYPES:
                    self.err(
                        f["type"],
                        f"unknown metric type {show(mtype)} "
                        f"(one of: {', '.join(METRIC_TYPES)}){suggest(mtype, METRIC_TYPES)}",
                    )
                    mtype = None
            title = (self.string(f["title"], "metric title") if "title" in f else mid) or mid
            if self.unique(seen, mid, f["id"], "metric") and mtype and mid:
                out.append(Metric(mid, title or mid, mtype))
        return tuple(out)

    def condition(
        self, node: Node, metrics: Mapping[str, Metric], depth: int = 0
    ) -> cond.Condition | None:
        if isinstance(node, Scalar) and node.value == "always" and depth == 0:
            return cond.Always()
        if isinstance(node, Scalar):
            if not isinstance(node.value, str):
                self.err(
                    node,
                    f"a condition must be text like 'users_affected_pct >= 5', "
                    f"got {show(node.value)}",
                )
                return None
            try:
                c = cond.parse_comparison(node.value)
            except cond.ConditionSyntaxError as exc:
                self.err(node, str(exc))
                return None
            metric = metrics.get(c.metric)
            if metric is None:
                self.err(
                    node,
                    f"condition uses undefined metric {c.metric!r}{suggest(c.metric, metrics)}",
                )
                return None
            if (metric.type == "bool") != isinstance(c.value, bool):
                want = "true or false" if metric.type == "bool" else "a number"
                self.err(node, f"metric {c.metric!r} is {metric.type}: compare it with {want}")
                return None
            return c
        if isinstance(node, Map):
            if len(node.items) != 1 or node.keys()[0] not in ("any", "all"):
                self.err(node, "a condition group must be exactly one of 'any:' or 'all:'")
                return None
            which, value = node.keys()[0], node.items[0][1]
            parts = [self.condition(i, metrics, depth + 1) for i in self.seq(value, which)]
            checked = tuple(p for p in parts if p is not None)
            if len(checked) != len(parts):
                return None
            return cond.AnyOf(checked) if which == "any" else cond.AllOf(checked)
        self.err(node, "a condition must be text, 'always', or an any:/all: group")
        return None

    def severity(
        self,
        node: Node,
        metrics: Mapping[str, Metric],
        protocols: Mapping[str, tuple[str, ...]],
    ) -> tuple[SeverityLevel, ...]:
        out: list[SeverityLevel] = []
        seen: dict[str, Node] = {}
        for item in self.seq(node, "severity"):
            f = self.fields(item, "a severity level", ("id", "protocol", "when"), ("title",))
            if not f or "id" not in f:
                continue
            sid = self.ident(f["id"], "severity id")
            title = (self.string(f["title"], "severity title") if "title" in f else None) or (
                sid.upper() if sid else None
            )
            protocol = None
            if "protocol" in f:
                protocol = self.ident(f["protocol"], "protocol")
                if protocol and protocol not in protocols:
                    self.err(
                        f["protocol"],
                        f"unknown protocol {protocol!r} (define it under protocols:)"
                        f"{suggest(protocol, protocols)}",
                    )
                    protocol = None
            when = self.condition(f["when"], metrics) if "when" in f else None
            if self.unique(seen, sid, f["id"], "severity") and sid and protocol and when and title:
                out.append(SeverityLevel(sid, title, protocol, when))
        return tuple(out)
