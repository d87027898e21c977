"""Bundle lifecycle beyond a first install: what installing or upgrading a bundle would change
(``plan``: it only reads, the database and the running app are left exactly as they were), the apps an
app depends on (``depends`` with a version range) and uninstalling an app (``jimu uninstall``)."""
from __future__ import annotations

from .plan import Plan, PlanItem, plan_bundle

__all__ = ["Plan", "PlanItem", "plan_bundle"]
