"""Bundle lifecycle: what installing or upgrading a bundle would change (``plan``), and later the upgrade,
export, revert and uninstall built on it. A plan only reads: the database and the running app are
left exactly as they were."""
from __future__ import annotations

from .plan import Plan, PlanItem, plan_bundle

__all__ = ["Plan", "PlanItem", "plan_bundle"]
