"""The job table: one table of delayed and recurring jobs for every engine (approval timeouts,
reminders, scheduled rules, report alerts), claimed by the workers with row locks."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# pending: waits for run_at; running: claimed by locked_by until locked_until; failed: an attempt
# failed and a retry waits for run_at; done; dead: out of attempts (kept for admins to see)
JOB_STATUSES = ("pending", "running", "done", "failed", "dead")


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    job = sa.Table(
        "jimu_job", md,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("handler", sa.String(128), nullable=False),  # a name in runtime.job_handlers
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),  # naive UTC: when it is (next) due
        sa.Column("cron", sa.String(128)),  # recurring: the next run_at comes from this after each run
        sa.Column("time_zone", sa.String(64), nullable=False, default="Asia/Shanghai"),  # the cron's zone
        sa.Column("status", sa.String(16), nullable=False, default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, default=0),  # runs started (of this occurrence)
        sa.Column("max_attempts", sa.Integer(), nullable=False, default=5),
        sa.Column("last_error", sa.Text()),
        sa.Column("locked_by", sa.String(128)),  # the worker running it
        sa.Column("locked_until", sa.DateTime()),  # after this a running job is taken to be lost
        sa.Column("key", sa.String(255), unique=True),  # idempotent scheduling: one job per key
        # the definition the job was scheduled for, and its version then (spec/instance split)
        sa.Column("definition_app", sa.String(64)),
        sa.Column("definition_kind", sa.String(32)),
        sa.Column("definition_name", sa.String(128)),
        sa.Column("definition_version", sa.String(32)),
        sa.Column("definition_hash", sa.String(64)),
        # its number in jimu_definition_version: runtime.definition_version(...) reads that exact one back
        sa.Column("definition_number", sa.Integer()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_run_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed', 'dead')", name="ck_jimu_job_status"),
        sa.Index("ix_jimu_job_status_run_at", "status", "run_at"),
        sa.Index("ix_jimu_job_handler", "handler"),
    )
    worker = sa.Table(  # the running workers' heartbeats: a job held by a worker gone quiet is freed early
        "jimu_worker", md,
        sa.Column("worker_id", sa.String(128), primary_key=True),  # what it writes in jimu_job.locked_by
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        # last_seen plus the silence after which it is taken to be dead (its own setting, so workers with
        # different heartbeats judge each other right)
        sa.Column("alive_until", sa.DateTime(), nullable=False),
    )
    return {"job": job, "worker": worker}
