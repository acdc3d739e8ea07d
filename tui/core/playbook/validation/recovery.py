"""Playbook rules for making amends: credit bounds and steps, trial extensions, plans.

Credits stay within 5-20 % (``CREDIT_BOUNDS``), each step within the playbook's own
min/max, steps in increasing order of outage length; each plan lists the offers
its customers may receive.
"""

from __future__ import annotations

from datetime import timedelta

from tui.core.playbook.model import CREDIT_BOUNDS, OFFERS, CreditStep, RecoveryPolicy, frozen_map
from tui.core.playbook.validation.nodes import NodeChecker
from tui.core.yamlsafe.nodes import Map, Node


class RecoveryRules(NodeChecker):
    """The ``recovery`` section."""

    def recovery(self, node: Node) -> RecoveryPolicy | None:
        f = self.fields(node, "recovery", ("credit", "plans"), ("trial_extension",))
        if not f:
            return None
        lo, hi = CREDIT_BOUNDS
        min_pct, max_pct, steps = lo, hi, []
        if "credit" in f:
            c = self.fields(f["credit"], "recovery.credit", ("steps",), ("min_pct", "max_pct"))
            if c:
                for key, default in (("min_pct", lo), ("max_pct", hi)):
                    if key in c:
                        value = self.decimal(c[key], f"credit.{key}")
                        if value is not None and not lo <= value <= hi:
                            self.err(c[key], f"credit.{key} must be within {lo}-{hi} %")
                            value = None
                        if key == "min_pct":
                            min_pct = value if value is not None else default
                        else:
                            max_pct = value if value is not None else default
                if min_pct > max_pct:
                    self.err(c.get("min_pct", f["credit"]), "credit.min_pct is over credit.max_pct")
                previous = None
                for s in self.seq(c["steps"], "credit.steps") if "steps" in c else ():
                    g = self.fields(s, "a credit step", ("from", "pct"))
                    if not g or "from" not in g or "pct" not in g:
                        continue
                    start = self.duration(g["from"], "credit step 'from'")
                    pct = self.decimal(g["pct"], "credit step 'pct'")
                    if pct is not None and not min_pct <= pct <= max_pct:
                        self.err(
                            g["pct"], f"credit {pct} % is outside the bounds {min_pct}-{max_pct} %"
                        )
                        continue
                    if start is None or pct is None:
                        continue
                    if previous is not None and start <= previous:
                        self.err(g["from"], "credit steps must be in increasing order of 'from'")
                        continue
                    previous = start
                    steps.append(CreditStep(start, pct))
        buffer = timedelta(0)
        if "trial_extension" in f:
            t = self.fields(f["trial_extension"], "recovery.trial_extension", ("buffer",))
            if t and "buffer" in t:
                buffer = self.duration(t["buffer"], "trial_extension.buffer") or buffer
        plans: dict[str, tuple[str, ...]] = {}
        if "plans" in f:
            p = f["plans"]
            if not isinstance(p, Map) or not p.items:
                self.err(p, "recovery.plans must map each plan name to a list of offers")
            else:
                for plan_key, plan_offers in p.items:
                    plan = self.ident(plan_key, "plan name")
                    offers = self.id_list(plan_offers, f"plan {plan_key.value!r}", OFFERS, "offer")
                    if plan:
                        plans[plan] = offers
        return RecoveryPolicy(min_pct, max_pct, tuple(steps), buffer, frozen_map(plans))
