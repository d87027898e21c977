"""What a leaver holds besides records, handed over with them: ``Org.handover`` calls every step in
``runtime.handover_steps`` as ``step(runtime, conn, from_user, to_user) -> {what: how many}`` inside
its transaction. The inbox's step moves the leaver's open to-dos to the receiving user."""
from __future__ import annotations

import sqlalchemy as sa


def move_open_todos(runtime, conn: sa.Connection, from_user: int, to_user: int) -> dict[str, int]:
    """Open to-dos assigned to ``from_user`` go to ``to_user`` (their reminders follow: a reminder
    notifies whoever is the assignee when it fires). Done ones stay as the record of who did them."""
    t = runtime.db.core["todo"]
    n = conn.execute(t.update().where(t.c.assignee_id == from_user, t.c.done_at.is_(None))
                     .values(assignee_id=to_user, updated_at=runtime.clock())).rowcount
    return {"todos": n} if n else {}
