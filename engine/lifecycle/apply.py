"""Applying a bundle after planning it: ``jimu install PATH --show-plan`` (what ``make run`` runs before
each start) and the lifecycle API's apply step share it. The app is installed when it is not; when it
is, the plan is made first (and printed by the command when anything changes), then applied as an
upgrade, unless it would lose data without ``allow_data_loss``. A refusal exits non-zero, so the
server does not start on an app half way between two versions."""
from __future__ import annotations

from typing import Any, Callable

from ..errors import JimuError, msg


def apply_bundle(runtime, path, *, demo: bool = False, overwrite_local: bool = False,
                 allow_data_loss: bool = False, origin: str = "bundle", actor_id: int | None = None,
                 fill: list[str] | tuple = (), map_option: list[str] | tuple = (),
                 show: Callable[[Any], None] | None = None, named: str = "PATH"):
    """``(plan, InstallResult)``: plan the bundle at ``path``, hand the plan to ``show``, refuse an
    upgrade that loses data (install.E007, 409, nothing changed) and apply the rest through
    ``install_bundle``, with the upgrade options it takes (``allow_data_loss``, ``fill``, ``map_option``)."""
    from ..install import install_bundle
    from .plan import plan_bundle

    plan = plan_bundle(runtime, path, overwrite_local=overwrite_local)
    if show is not None:
        show(plan)
    if plan.loses_data and not allow_data_loss:
        raise JimuError("install.E007", msg(
            f"{plan.app} 的升级会丢失数据 (见计划)，未做任何更改；确认后用 jimu install {named} --allow-data-loss"
            "（API: allow_data_loss）应用，数据先存入备份表",
            f"the upgrade of {plan.app} would lose data (see the plan); nothing was changed. To go ahead, run "
            f"jimu install {named} --allow-data-loss (API: allow_data_loss); the data is kept in a backup table "
            "first"), details=[{"plan": plan.to_dict()}], status=409)
    result = install_bundle(runtime, path, demo=demo, upgrade=True, overwrite_local=overwrite_local,
                            origin=origin, actor_id=actor_id,
                            options=options_of(allow_data_loss, fill, map_option))
    return plan, result


def options_of(allow_data_loss: bool, fill, map_option):
    """The upgrade options from the API's lists, as ``jimu install --fill/--map-option`` take them;
    one that does not parse is a 422 (migrate.E006)."""
    from .migrate_values import upgrade_options

    try:
        return upgrade_options(allow_data_loss, list(fill), list(map_option))
    except ValueError as e:
        raise JimuError("migrate.E006", msg(str(e), str(e)), status=422) from None


def planned_install(runtime, args):
    """``jimu install --show-plan``: the plan is printed when an installed app changes."""
    from .plan_cli import render

    def show(plan) -> None:
        if plan.action != "install" and (plan.action != "unchanged" or plan.kept_local):
            print(render(plan), flush=True)

    return apply_bundle(runtime, args.path, demo=args.demo, overwrite_local=args.overwrite_local,
                        allow_data_loss=getattr(args, "allow_data_loss", False), fill=getattr(args, "fill", ()),
                        map_option=getattr(args, "map_option", ()), show=show, named=str(args.path))[1]
