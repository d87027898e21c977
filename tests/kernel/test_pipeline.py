"""The write pipeline: engines plug in by stage; every write path, the bulk one included, runs them."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.errors import ValidationFailed, msg


def test_guard_blocks_save_with_its_message_and_nothing_is_written(erp):
    def no_small_credit(batch):
        for w in batch.writes:
            limit = w.values.get("credit_limit")
            if limit is not None and limit < 1000:
                w.error("credit_limit", msg("信用额度过低", "credit limit too low"), code="guard")

    erp.pipeline.on("guard", no_small_credit, app="sales_erp", entity="customer")
    svc = erp.records("sales_erp", "customer")
    with pytest.raises(ValidationFailed) as e:
        svc.create({"name": "小客户", "credit_limit": 10})
    assert e.value.details[0]["message"]["en"] == "credit limit too low"
    with pytest.raises(ValidationFailed) as e:
        svc.create_many([{"name": "甲", "credit_limit": 5000}, {"name": "乙", "credit_limit": 1}])
    assert [d["path"] for d in e.value.details] == ["[1].credit_limit"]
    t = erp.table("sales_erp", "customer")
    with erp.connect() as c:
        assert c.execute(sa.select(sa.func.count()).where(t.c.name.in_(["小客户", "甲", "乙"]))).scalar() == 0
    # the handler is scoped to customers: products are untouched by it
    erp.records("sales_erp", "product").create({"code": "X1", "name": "x", "price": 1})


def test_after_commit_sees_committed_writes_and_never_rolled_back_ones(erp):
    seen = []
    erp.pipeline.on("after_commit", lambda b: seen.append([(w.op, w.id) for w in b.writes]))
    svc = erp.records("sales_erp", "product")
    rec = svc.create({"code": "AC-1", "name": "a", "price": 1})
    ids = svc.create_many([{"code": f"AC-{i}", "name": "b", "price": 2} for i in range(2, 5)])
    svc.update(rec["id"], {"price": 3})
    with pytest.raises(ValidationFailed):
        svc.create({"code": "AC-1", "name": "dup", "price": 1})
    assert seen == [[("create", rec["id"])], [("create", i) for i in ids], [("update", rec["id"])]]


def test_a_rolled_back_outer_transaction_leaves_nothing_for_the_next_commit(erp):
    seen = []
    erp.pipeline.on("after_commit", lambda b: seen.append([w.values["code"] for w in b.writes]))
    svc = erp.records("sales_erp", "product")
    with pytest.raises(RuntimeError):
        with erp.transaction() as c:
            svc.create_many([{"code": "RB-1", "name": "rolled back", "price": 1}], conn=c)
            raise RuntimeError("a later step fails")
    svc.create_many([{"code": "RB-2", "name": "kept", "price": 1}])  # likely the same pooled connection
    assert seen == [["RB-2"]]


def test_an_outer_transaction_holds_every_write_until_it_commits(erp):
    svc = erp.records("sales_erp", "product")
    seen = []
    erp.pipeline.on("after_commit", lambda b: seen.append(len(b.writes)))

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with erp.transaction() as conn:
            svc.create_many([{"code": "TX-1", "name": "a", "price": 1}], conn=conn)
            svc.create({"code": "TX-2", "name": "b", "price": 1}, conn=conn)
            raise Boom
    assert seen == []
    t = erp.table("sales_erp", "product")
    with erp.connect() as c:
        assert c.execute(sa.select(sa.func.count()).where(t.c.code.like("TX-%"))).scalar() == 0
        assert c.execute(sa.select(sa.func.count()).select_from(erp.db.core["audit"])
                         .where(erp.db.core["audit"].c.entity == "product",
                                erp.db.core["audit"].c.action == "create")).scalar() == 6  # the demo rows only


def test_unknown_stage_is_refused(erp):
    with pytest.raises(ValueError):
        erp.pipeline.on("later", lambda b: None)
