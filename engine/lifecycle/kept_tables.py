"""Installing an app whose tables are still there: ``jimu uninstall`` without ``--drop-data`` kept
them. Each kept table is re-attached when its columns are exactly the ones the bundle's entity makes
(same names): its rows are the app's data again, and the bundle's seed records are not loaded over
them. A table whose columns differ (the bundle changed since) is refused by name (install.E004),
nothing written: an install never guesses how old data fits a new shape (that is an upgrade's plan).
"""
from __future__ import annotations

import sqlalchemy as sa

from ..errors import JimuError, msg


def kept_tables(conn: sa.Connection, metadata: sa.MetaData, app: str) -> list[str]:
    """The app's tables that already exist and fit; raises install.E004 naming the ones that do not."""
    insp = sa.inspect(conn)
    present = set(insp.get_table_names())
    fit, misfit = [], []
    for t in metadata.sorted_tables:
        if t.name not in present:
            continue
        have = {c["name"] for c in insp.get_columns(t.name)}
        (fit if have == set(t.c.keys()) else misfit).append(t.name)
    if misfit:
        names = ", ".join(misfit)
        raise JimuError("install.E004", msg(
            f"数据库里已有 {app} 的数据表 ({names})（卸载时保留的），但其列与应用包不一致，不能重新使用；"
            "请先把它们改名或删除",
            f"the database already holds tables of {app} ({names}), kept by an earlier uninstall, whose columns "
            "differ from the bundle's: they cannot be re-attached; rename or drop them first"),
            details=[{"table": n} for n in misfit], status=409)
    return fit
