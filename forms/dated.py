"""Stored values that depend on the date (a formula of TODAY(), or of such a formula) kept current:
a job at 00:00 in the business time zone (engine.platform.clock.business_zone, the zone autonumbers
and TODAY() use) recomputes them through the record pipeline as the system, like any other system
recomputation (forms/recalc.py): a record whose value changed gets its audit entry and its events,
and the records that look it up or roll it up follow by cascade; a record whose values are the same
is not written. NOW() is refused in stored fields (forms/model.py): a stored moment is stale at once.

Each worker makes sure, once per app definition, that an app with such fields has its recurring job
(and that an app without them has none): ``ensure_daily_jobs`` is a background step.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from engine.errors import ValidationFailed
from engine.identity.actor import system_actor
from engine.platform.clock import business_zone
from engine.platform.jobs import cancel_jobs, schedule_job

from .model import model_for

HANDLER = "forms.recompute_dated"
CRON = "0 0 * * *"
BATCH = 500  # records per transaction: row locks and memory stay bounded on a large table
log = logging.getLogger("jimu.forms.dated")
_ENSURED = "forms.dated_jobs"  # runtime.settings key: app -> (definition hash, zone) already scheduled


def job_key(app: str, zone: str) -> str:
    return f"{HANDLER}:{app}:{zone}"


def schedule_text(zone: str) -> dict[str, str]:
    return {"zh": f"每天 00:00 ({zone}) 重新计算", "en": f"recomputed daily at 00:00 {zone}"}


def recompute_dated(runtime, job: dict) -> None:
    """The job: every live record of each entity whose own fields call TODAY(), in batches of
    ``BATCH`` ids, each batch one transaction; only those whose values change are written."""
    app = runtime.app((job.get("payload") or {})["app"])
    model = model_for(runtime, app)
    for entity in model.daily:
        recompute_entity(runtime, app.name, entity)


def recompute_entity(runtime, app: str, entity: str) -> int:
    t = runtime.table(app, entity)
    service = runtime.records(app, entity, system_actor(runtime))
    changed, after = 0, 0
    while True:
        with runtime.connect() as c:
            ids = list(c.execute(sa.select(t.c.id).where(t.c.id > after, t.c.deleted_at.is_(None))
                                 .order_by(t.c.id).limit(BATCH)).scalars())
        if not ids:
            return changed
        try:
            changed += service.recompute(ids)
        except ValidationFailed:  # one record that no longer computes must not keep the others stale
            for one in ids:
                try:
                    changed += service.recompute([one])
                except ValidationFailed as e:
                    log.warning("%s.%s record %s: daily recomputation refused: %s", app, entity, one, e.details)
        after = ids[-1]


def ensure_daily_jobs(runtime) -> int:
    """A background step: schedule the midnight job of each loaded app that needs one (idempotent by
    key), cancel it for an app that no longer does or when the zone changed. Cheap after the first
    tick: it remembers what it did per app definition."""
    done = runtime.settings.setdefault(_ENSURED, {})
    zone = business_zone(runtime.settings)
    for name, inst in list(runtime.apps.items()):
        app = inst.compiled
        if done.get(name) == (app.hash, zone):
            continue
        key = job_key(name, zone)
        with runtime.transaction() as c:
            job = runtime.db.core["job"]
            stale = c.execute(sa.select(job.c.key).where(job.c.key.startswith(f"{HANDLER}:{name}:", autoescape=True),
                                                         job.c.key != key)).scalars().all()
            for k in stale:
                cancel_jobs(runtime, c, key=k)
            if model_for(runtime, app).daily:
                schedule_job(runtime, c, HANDLER, cron=CRON, time_zone=zone, key=key, payload={"app": name},
                             definition=None)
            else:
                cancel_jobs(runtime, c, key=key)
        done[name] = (app.hash, zone)
    return 0


def register(runtime) -> None:
    runtime.job_handlers.register(HANDLER, recompute_dated)
    runtime.background_steps.append(ensure_daily_jobs)


def check_app(app, field_types) -> list:
    """For ``jimu check``: each stored field that depends on the date, and how it is kept current
    (an "info" finding, not a fault)."""
    from .computed_kinds import checking_functions
    from .model import build_model

    model = build_model(app, checking_functions(app, field_types))
    if model.problems:
        return []
    text = schedule_text(business_zone({}))
    out = []
    for entity, nodes in model.time_dependent.items():
        ent = app.entities[entity]
        for node in nodes:
            parts = _field_path(app, ent, node.split(".")[1:])
            if parts is not None:
                out.append((entity, parts, f"随日期变化 (TODAY())：{text['zh']}",
                            f"depends on the date (TODAY()): {text['en']}", "info"))
    return out


def _field_path(app, ent, names: list[str]) -> tuple | None:
    i = next((k for k, f in enumerate(ent.fields) if f.name == names[0]), None)
    if i is None:
        return None
    if len(names) == 1:
        return ("fields", i)
    rows = ent.fields[i].definition.get("fields") or ()
    j = next((k for k, rd in enumerate(rows) if isinstance(rd, dict) and rd.get("name") == names[1]), None)
    return None if j is None else ("fields", i, "fields", j)
