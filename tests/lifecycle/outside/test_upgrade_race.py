"""The adversary's view of an upgrade: people keep saving while it runs. Writers in the same server
(threads on one runtime, as API requests are) create records while the clinic is upgraded with a
field rename and a new required field. Every write either lands before the upgrade (and is carried,
renamed) or after it (in the new shape), or is refused with a clear error: none is lost, none is
half-written, no write gets a server error, and nothing deadlocks — on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle.migrate_values import UpgradeOptions
from engine.runtime import open_runtime
from tests.lifecycle.migrate.state import copy_bundle, edit, records

HERE = Path(__file__).resolve().parent


def rename_phone(d: dict) -> None:
    """Version 1.0.1 of the clinic: patient.phone is renamed mobile (and so in its seeds)."""
    d["app.yaml"]["version"] = "1.0.1"
    next(f for f in d["entities/patient.yaml"]["fields"] if f["name"] == "phone").update(
        name="mobile", renamed_from="phone")
    d["entities/patient.yaml"]["searchable"] = ["name", "mobile"]
    for r in d["seed/demo.yaml"]["records"]["patient"]:
        if "phone" in r:
            r["mobile"] = r.pop("phone")


def test_writes_during_an_upgrade_are_carried_or_refused_never_lost(db_url, tmp_path):
    v1 = copy_bundle(HERE / "clinic_v1", tmp_path / "v1")
    rt = open_runtime(db_url)
    install_bundle(rt, v1, demo=True)

    def v2_change(d):
        rename_phone(d)
        d["entities/patient.yaml"]["fields"].append({"name": "ward", "type": "text", "required": True,
                                                     "label": {"zh": "病区", "en": "Ward"}, "default": "A"})

    v2 = edit(copy_bundle(v1, tmp_path / "v2"), v2_change)
    saved: list[tuple[str, int]] = []
    refused: list[str] = []
    crashed: list[BaseException] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            name = f"w{n}-{i}"
            app = rt.app("clinic")
            phone_field = "mobile" if any(f.name == "mobile" for f in app.entity("patient").fields) else "phone"
            try:
                made = rt.records("clinic", "patient").create({"name": name, phone_field: f"1{n}{i:06d}"})
                saved.append((name, made["id"]))
            except JimuError as e:  # refused with a code and a message: acceptable while the shape changes
                refused.append(f"{e.code}: {e.message['en']}")
            except BaseException as e:  # noqa: BLE001 - anything else is what this test looks for
                crashed.append(e)
            time.sleep(0.005)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        result = install_bundle(rt, v2, options=UpgradeOptions())
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert result.status == "upgraded"
    assert not crashed, crashed[:3]
    assert len(saved) > 10
    rows = records(rt, "clinic")["patient"]
    for name, rid in saved:  # every write that was answered "saved" is there, in the new shape
        r = rows[rid]
        assert r["name"] == name and r["mobile"] and r["ward"] == "A", r
    assert all("phone" not in r for r in rows.values())
    rt.db.dispose()


def test_a_process_that_missed_an_upgrade_refuses_its_write_and_follows(db_url, tmp_path):
    """Two processes (two runtimes on one database): one upgrades; the other's next write, built from
    the old definitions, is a 409 with nothing written, and it has loaded the new ones for the retry."""
    v1 = copy_bundle(HERE / "clinic_v1", tmp_path / "v1")
    upgrader, stale = open_runtime(db_url), None
    install_bundle(upgrader, v1)
    stale = open_runtime(db_url)

    install_bundle(upgrader, edit(copy_bundle(v1, tmp_path / "v2"), rename_phone))
    before = records(upgrader, "clinic")["patient"]
    try:
        stale.records("clinic", "patient").create({"name": "旧表单", "phone": "1"})
        raise AssertionError("the stale write was not refused")
    except JimuError as e:
        assert (e.code, e.status) == ("app.E409", 409)
    assert records(upgrader, "clinic")["patient"] == before
    made = stale.records("clinic", "patient").create({"name": "重试", "mobile": "2"})
    assert records(upgrader, "clinic")["patient"][made["id"]]["mobile"] == "2"
    for rt in (upgrader, stale):
        rt.db.dispose()
