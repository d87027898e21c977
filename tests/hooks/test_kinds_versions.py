"""Item 2 of issue 12: definition version history. An install stores version 1 of each definition;
re-installing with only a checklist changed stores version 2 of that one only (and says so); the old
version stays readable, a job scheduled before the change reads the version it started on, the
version API shows both to admins only, a changed entity is refused, and a database made before
versions still opens and keeps its old content as version 1."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.errors import JimuError
from engine.identity.org import Org
from engine.identity.passwords import hash_password
from engine.install import install_bundle
from engine.platform.jobs import job_definition, list_jobs, run_due_jobs, schedule_job
from engine.runtime import open_runtime

BUNDLE = Path(__file__).parent / "bundles" / "maintenance"
PASSWORD = "correct horse battery 9"
SHORTER = "title: {zh: 每周保养, en: Weekly service}\nentity: machine\nitems: [{field: oiled}]\n"


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")


@pytest.fixture
def bundle(tmp_path):
    root = tmp_path / "maintenance"
    shutil.copytree(BUNDLE, root)
    return root


@pytest.fixture
def rt(db_url, bundle):
    rt = open_runtime(db_url)
    install_bundle(rt, bundle)
    with rt.transaction() as c:
        org = Org(rt, rt.db.system_user_id)
        org.create_user(c, "boss", "管理员", is_admin=True, password_hash=hash_password(PASSWORD))
        org.create_user(c, "tech", "维修员", password_hash=hash_password(PASSWORD))
    yield rt
    rt.db.dispose()


def user_id(rt, login):
    u = rt.db.core["user"]
    with rt.connect() as c:
        return c.execute(sa.select(u.c.id).where(u.c.login == login)).scalar_one()


def signed_in(client: TestClient, login: str) -> TestClient:
    r = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_only_the_changed_checklist_gets_a_new_version(rt, bundle):
    seen = []
    rt.job_handlers.register("sample.tick", lambda runtime, j: seen.append(job_definition(runtime, j)))
    before = schedule_job(rt, None, "sample.tick", definition=("maintenance", "checklist", "weekly"))
    (bundle / "checklists" / "weekly.yaml").write_text(SHORTER)
    res = install_bundle(rt, bundle, upgrade=True, actor_id=user_id(rt, "boss"))
    assert res.status == "upgraded" and res.versions == [("checklist", "weekly", 2)]
    assert "checklist weekly v2" in res.summary()
    # the runtime runs the new one; the old one stays readable, compiled or as written
    assert rt.definitions("maintenance", "checklist")["weekly"].fields == ("oiled",)
    assert rt.definition_version("maintenance", "checklist", "weekly", 1).fields == ("oiled", "belts_checked")
    assert rt.definition_version("maintenance", "checklist", "weekly", 2, compiled=False)["items"] == [
        {"field": "oiled"}]
    # a job scheduled before the change reads the version it started on; one scheduled after, the new one
    after = schedule_job(rt, None, "sample.tick", definition=("maintenance", "checklist", "weekly"))
    jobs = {j["id"]: j for j in list_jobs(rt, ids=[before, after])[0]}
    assert (jobs[before]["definition"]["version"], jobs[after]["definition"]["version"]) == (1, 2)
    assert run_due_jobs(rt, "w1") == 2
    assert sorted(c.fields for c in seen) == [("oiled",), ("oiled", "belts_checked")]
    # nothing changed: no new version, and it says so
    again = install_bundle(rt, bundle, upgrade=True)
    assert again.status == "unchanged" and again.versions == []
    assert rt.definition_version("maintenance", "checklist", "weekly", 2).fields == ("oiled",)
    with pytest.raises(JimuError) as e:
        rt.definition_version("maintenance", "checklist", "weekly", 3)
    assert e.value.status == 404


def test_the_versions_survive_a_restart(rt, bundle, db_url):
    (bundle / "checklists" / "weekly.yaml").write_text(SHORTER)
    install_bundle(rt, bundle, upgrade=True)
    again = open_runtime(db_url)
    try:
        assert again.definitions("maintenance", "checklist")["weekly"].fields == ("oiled",)
        assert again.definition_version("maintenance", "checklist", "weekly", 1).fields == ("oiled", "belts_checked")
    finally:
        again.db.dispose()


def test_the_version_api_shows_both_to_admins_only(rt, bundle):
    (bundle / "checklists" / "weekly.yaml").write_text(SHORTER)
    install_bundle(rt, bundle, upgrade=True, actor_id=user_id(rt, "boss"))
    app = create_app(rt)
    with TestClient(app) as anon:
        assert anon.get("/api/v1/apps/maintenance/versions").status_code == 401
        assert anon.get("/api/v1/apps/maintenance/versions/checklist/weekly/1").status_code == 401
    with TestClient(app) as c:
        tech = signed_in(c, "tech")
        r = tech.get("/api/v1/apps/maintenance/versions")
        assert r.status_code == 403 and r.json()["code"] == "perm.E_ADMIN"
        assert tech.get("/api/v1/apps/maintenance/versions/checklist/weekly/1").status_code == 403
    with TestClient(app) as c:
        boss = signed_in(c, "boss")
        items = boss.get("/api/v1/apps/maintenance/versions").json()["items"]
        weekly = [i for i in items if (i["kind"], i["name"]) == ("checklist", "weekly")]
        assert [(i["version"], i["current"], i["app_version"]) for i in weekly] == [(2, True, "1.0.0"),
                                                                                      (1, False, "1.0.0")]
        assert weekly[0]["installed_by"] == user_id(rt, "boss") and weekly[1]["installed_by"] is None
        assert weekly[0]["hash"] != weekly[1]["hash"] and weekly[0]["installed_at"]
        assert {(i["kind"], i["name"]) for i in items} >= {("app", "maintenance"), ("roles", "roles"),
                                                           ("entity", "machine")}
        one = boss.get("/api/v1/apps/maintenance/versions/checklist/weekly/1").json()
        assert [i["field"] for i in one["body"]["items"]] == ["oiled", "belts_checked"]
        missing = boss.get("/api/v1/apps/maintenance/versions/checklist/weekly/9")
        assert missing.status_code == 404 and missing.json()["code"] == "definition.E404"
        assert boss.get("/api/v1/apps/nope/versions").status_code == 404


def test_a_changed_entity_is_upgraded_with_its_table(rt, bundle):
    (bundle / "checklists" / "weekly.yaml").write_text(SHORTER)
    machine = bundle / "entities" / "machine.yaml"  # a new field: a new column (engine/lifecycle/migrate.py)
    machine.write_text(machine.read_text() + "  - {name: notes, type: text, label: {zh: 备注, en: Notes}}\n")
    res = install_bundle(rt, bundle, upgrade=True)
    assert ("entity", "machine", 2) in res.versions and ("checklist", "weekly", 2) in res.versions
    assert rt.definitions("maintenance", "checklist")["weekly"].fields == ("oiled",)
    assert "notes" in rt.table("maintenance", "machine").c


def test_a_database_made_before_versions_opens_and_keeps_its_old_content(db_url, bundle):
    rt = open_runtime(db_url)
    install_bundle(rt, bundle)
    with rt.transaction() as c:  # as the previous code left it: no history, no pointer, no job column
        c.exec_driver_sql("DROP TABLE jimu_definition_version")
        c.exec_driver_sql("ALTER TABLE jimu_definition DROP COLUMN current_version")
        c.exec_driver_sql("ALTER TABLE jimu_job DROP COLUMN definition_number")
    rt.db.dispose()
    rt = open_runtime(db_url)
    try:
        assert rt.definitions("maintenance", "checklist")["weekly"].fields == ("oiled", "belts_checked")
        (bundle / "checklists" / "weekly.yaml").write_text(SHORTER)
        res = install_bundle(rt, bundle, upgrade=True)
        assert res.versions == [("checklist", "weekly", 2)]
        assert rt.definition_version("maintenance", "checklist", "weekly", 1).fields == ("oiled", "belts_checked")
        assert rt.definition_version("maintenance", "checklist", "weekly", 2).fields == ("oiled",)
    finally:
        rt.db.dispose()


def test_concurrent_upgrades_store_one_new_version(rt, db_url, bundle):
    """Two installs of the same change at once (two terminals, two processes): the second waits for
    the first and finds nothing new to store — one version 2, no duplicate-key error."""
    import threading

    (bundle / "checklists" / "weekly.yaml").write_text(SHORTER, encoding="utf-8")
    runtimes = [open_runtime(db_url) for _ in range(4)]
    start, outcomes = threading.Barrier(len(runtimes)), []

    def upgrade(other):
        start.wait()
        try:
            outcomes.append(install_bundle(other, bundle, upgrade=True).status)
        except Exception as e:  # noqa: BLE001 - any error fails the assertion below
            outcomes.append(repr(e))

    threads = [threading.Thread(target=upgrade, args=(r,)) for r in runtimes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in runtimes:
        r.db.dispose()
    assert set(outcomes) <= {"upgraded", "unchanged"} and "upgraded" in outcomes, outcomes
    v = rt.db.core["definition_version"]
    with rt.connect() as c:
        numbers = c.execute(sa.select(v.c.version).where(v.c.kind == "checklist", v.c.name == "weekly")
                            .order_by(v.c.version)).scalars().all()
    assert numbers == [1, 2]
