"""follow_renames: the renames an upgrade handed to the engines, kept for the test to see (the sample
engine owns no table keyed by names)."""
from __future__ import annotations

SEEN: list[tuple] = []


def follow_renames(runtime, conn, app, entities, fields):
    SEEN.append((app, dict(entities), {e: dict(m) for e, m in fields.items()}))
    return {}
