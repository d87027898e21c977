"""An app that is not sales, written from the README alone, taken through its whole life by the command
line and the API: install 1.0.0 with demo data, people work in it (an edit, a comment, a saved view),
1.1.0 renames an entity, a field and an option, retypes a field, drops a field and an option that hold
data, adds a required field and an entity with seeds. The upgrade is refused until told what to do,
then carries every row; the people's work follows the new names; the export with data restores on
an empty database; a revert to 1.0.0 undoes the renames instead of dropping the data.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.cli import main as jimu
from engine.identity.api_tokens import create_token
from engine.runtime import open_runtime
from tests.lifecycle.migrate.state import records

HERE = Path(__file__).resolve().parent
V1, V2 = HERE / "clinic_v1", HERE / "clinic_v2"


def rows(url: str) -> dict[str, list[dict]]:
    """Every row of the clinic's tables, by table, as the database holds them."""
    rt = open_runtime(url)
    try:
        out = {}
        with rt.connect() as c:
            for name in sorted(n for n in sa.inspect(c).get_table_names() if n.startswith("clinic__")):
                t = sa.Table(name, sa.MetaData(), autoload_with=c)
                out[name] = [dict(r) for r in c.execute(sa.select(t).order_by(t.c.id)).mappings()]
        return out
    finally:
        rt.db.dispose()


def typed(url: str) -> dict:
    """The clinic's rows as the running app reads them (decimals as Decimal on both databases)."""
    rt = open_runtime(url)
    try:
        return records(rt, "clinic")
    finally:
        rt.db.dispose()


def client(rt, login: str, role: str | None) -> TestClient:
    users, ra = rt.db.core["user"], rt.db.core["role_assignment"]
    with rt.transaction() as c:
        uid = c.execute(sa.select(users.c.id).where(users.c.login == login)).scalar()
        if uid is None:
            uid = c.execute(users.insert().values(login=login, name=login, active=True)).inserted_primary_key[0]
            if role:
                c.execute(ra.insert().values(user_id=uid, app="clinic", role=role))
        token = create_token(rt, c, uid, "clinic").token
    return TestClient(create_app(rt), headers={"Authorization": f"Bearer {token}"})


def test_the_clinic_lives_through_upgrade_export_and_revert(db_url, tmp_path, capsys):
    assert jimu(["install", str(V1), "--demo", "--db", db_url]) == 0
    rt = open_runtime(db_url)
    with client(rt, "nurse1", "nurse") as nurse:
        p1 = nurse.get("/api/v1/records/clinic/patient/1").json()
        assert "allergies" not in p1  # hidden from nurses
        r = nurse.patch("/api/v1/records/clinic/patient/1", json={"version": p1["version"], "phone": "13900009999"})
        assert r.status_code == 200, r.text
        view = nurse.post("/api/v1/views", json={"app": "clinic", "entity": "patient", "name": "139 号段",
                                                  "filters": {"phone": {"startswith": "139"}}, "sort": ["-phone"]})
        assert view.status_code == 201, view.text
        assert nurse.post("/api/v1/records/clinic/appointment/1/comments", json={"body": "请带病历"}).status_code == 201
    rt.db.dispose()
    capsys.readouterr()

    # the plan says what 1.1.0 does, by name
    assert jimu(["plan", str(V2), "--db", db_url]) == 0
    plan = capsys.readouterr().out
    for line in ("> entity visit ← appointment", "> field patient.mobile ← phone", ">done→completed",
                 "- field visit.notes — holds data in 1 rows"):
        assert line in plan, plan
    # refused until told what to do with the card number that is no number, the missed visit and the notes
    before = rows(db_url)
    assert jimu(["install", str(V2), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "install.E007" in err and '"A-17"' in err and "missed" in err and "visit.notes" in err
    assert rows(db_url) == before
    assert jimu(["install", str(V2), "--db", db_url, "--fill", "patient.card_no=blank", "--allow-data-loss",
                 "--map-option", "visit.status:missed=cancelled"]) == 0
    out = capsys.readouterr().out
    assert "seeded doctor: 2" in out

    after = rows(db_url)
    assert [p["mobile"] for p in after["clinic__patient"]] == ["13900009999", "13800002222", None]
    assert [p["card_no"] for p in after["clinic__patient"]] == [Decimal(1001), Decimal(1002), None]
    assert [(v["patient"], v["status"], v["room"]) for v in after["clinic__visit"]] == [
        (1, "completed", "一号诊室"), (1, "booked", "一号诊室"), (2, "cancelled", "一号诊室"),
        (3, "completed", "一号诊室")]
    fees = sum(a["fee"] or 0 for a in before["clinic__appointment"])
    assert sum(v["fee"] or 0 for v in after["clinic__visit"]) == fees
    assert sorted(d["name"] for d in after["clinic__doctor"]) == ["华佗", "孙思邈"]
    assert jimu(["backups", "clinic", "--db", db_url]) == 0
    listed = capsys.readouterr().out
    assert "visit.notes" in listed and "card_no" in listed and "visit.status" in listed

    # what people did follows the new names, and the nurse still does not see allergies
    rt = open_runtime(db_url)
    with client(rt, "nurse1", "nurse") as nurse:
        p1 = nurse.get("/api/v1/records/clinic/patient/1").json()
        assert p1["mobile"] == "13900009999" and "allergies" not in p1 and "phone" not in p1
        history = nurse.get("/api/v1/records/clinic/patient/1/history").json()
        assert any("mobile" in json.dumps(h, ensure_ascii=False) for h in history["items"])
        assert "phone" not in json.dumps(history, ensure_ascii=False)
        [saved] = nurse.get("/api/v1/views", params={"app": "clinic", "entity": "patient"}).json()["items"]
        assert saved["filters"] == {"mobile": {"startswith": "139"}} and saved["sort"] == ["-mobile"]
        listed = nurse.get("/api/v1/records/clinic/patient",
                           params={"filter": json.dumps(saved["filters"]), "sort": ",".join(saved["sort"])}).json()
        assert [p["id"] for p in listed["items"]] == [1]
        comments = nurse.get("/api/v1/records/clinic/visit/1/comments").json()
        assert [c["body"] for c in comments["items"]] == ["请带病历"]
        assert nurse.get("/api/v1/records/clinic/appointment/1").status_code == 404
        made = nurse.post("/api/v1/records/clinic/visit", json={"patient": 2, "day": "2026-12-20", "status": "booked"})
        assert made.status_code == 201 and made.json()["room"] == "一号诊室"
    rt.db.dispose()

    # the export with data restores on an empty database: the same rows
    out_zip = tmp_path / "clinic.zip"
    assert jimu(["export", "clinic", "--out", str(out_zip), "--with-data", "--db", db_url]) == 0
    other = f"sqlite:///{tmp_path / 'copy.db'}"
    assert jimu(["install", str(out_zip), "--db", other]) == 0
    assert typed(other) == typed(db_url)  # PostgreSQL -> SQLite when db_url is PostgreSQL

    # back to 1.0.0: the renames are undone (not a drop and an add); what 1.0.0 cannot hold is refused
    # until said, then kept in backups
    capsys.readouterr()
    assert jimu(["revert", "clinic", "1.0.0", "--db", db_url, "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "> entity appointment ← visit" in plan and "> field patient.phone ← mobile" in plan, plan
    assert jimu(["revert", "clinic", "1.0.0", "--db", db_url]) == 1
    assert "install.E007" in capsys.readouterr().err
    assert jimu(["revert", "clinic", "1.0.0", "--db", db_url, "--allow-data-loss",
                 "--map-option", "appointment.status:cancelled=missed"]) == 0
    back = rows(db_url)
    assert set(back) == {"clinic__patient", "clinic__appointment"}
    assert [p["phone"] for p in back["clinic__patient"]] == ["13900009999", "13800002222", None]
    assert [p["card_no"] for p in back["clinic__patient"]] == ["1001", "1002", None]
    assert [a["status"] for a in back["clinic__appointment"]] == ["done", "booked", "missed", "done", "booked"]
    rt = open_runtime(db_url)
    with client(rt, "nurse1", "nurse") as nurse:
        [saved] = nurse.get("/api/v1/views", params={"app": "clinic", "entity": "patient"}).json()["items"]
        assert saved["filters"] == {"phone": {"startswith": "139"}}
        comments = nurse.get("/api/v1/records/clinic/appointment/1/comments").json()
        assert [c["body"] for c in comments["items"]] == ["请带病历"]
    rt.db.dispose()
