"""Issue 13: ``depends`` with a version range (install order, incompatible versions, ``jimu check``)
and ``jimu uninstall`` with and without ``--drop-data``, on SQLite and PostgreSQL."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.cli import main
from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle.uninstall import uninstall_app
from engine.runtime import open_runtime

BUNDLES = Path(__file__).resolve().parent / "bundles"
DEPOT, SHELF = BUNDLES / "depot", BUNDLES / "shelf"


@pytest.fixture
def rt(db_url):
    r = open_runtime(db_url)
    yield r
    r.db.dispose()


def _copy(src: Path, tmp_path: Path, app_yaml: str | None = None) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    if app_yaml is not None:
        (dst / "app.yaml").write_text(app_yaml, "utf-8")
    return dst


def _tables(rt) -> set[str]:
    return set(sa.inspect(rt.db.engine).get_table_names())


def _count(rt, table: str, **where) -> int:
    t = rt.db.core[table] if table in rt.db.core else sa.Table(table, sa.MetaData(), autoload_with=rt.db.engine)
    with rt.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(t)
                         .where(*(t.c[k] == v for k, v in where.items()))).scalar_one()


def _installed(rt) -> set[str]:
    a = rt.db.core["app"]
    with rt.connect() as c:
        return set(c.execute(sa.select(a.c.name)).scalars())


# --- depends ------------------------------------------------------------------------------------

def test_a_dependency_that_is_not_installed_is_refused_and_nothing_is_written(rt):
    before = _tables(rt)
    with pytest.raises(JimuError) as e:
        install_bundle(rt, SHELF)
    assert (e.value.code, e.value.status) == ("install.E003", 409)
    assert "depot" in e.value.message["en"] and ">=1.2,<2" in e.value.message["en"]
    assert "depot" in e.value.message["zh"] and "未安装" in e.value.message["zh"]
    d = e.value.details[0]
    assert (d["file"], d["path"], d["app"], d["required"], d["installed"]) == (
        "app.yaml", "$.depends[0]", "depot", ">=1.2,<2", None)
    assert _tables(rt) == before and _installed(rt) == set() and "shelf" not in rt.apps


def test_an_installed_dependency_outside_the_range_is_refused_naming_both_versions(rt, tmp_path):
    depot2 = _copy(DEPOT, tmp_path, "app: depot\nversion: 2.0.1\nlabel: {zh: 仓库, en: Depot}\n")
    install_bundle(rt, depot2)
    with pytest.raises(JimuError) as e:
        install_bundle(rt, SHELF)
    assert e.value.code == "install.E003"
    en = e.value.message["en"]
    assert "shelf needs depot >=1.2,<2, but depot 2.0.1 is installed" in en
    assert "2.0.1" in e.value.message["zh"] and ">=1.2,<2" in e.value.message["zh"]
    assert e.value.details[0]["installed"] == "2.0.1"
    assert _installed(rt) == {"depot"}


def test_a_dependency_in_range_installs_in_either_written_form(rt, tmp_path):
    install_bundle(rt, DEPOT)
    assert install_bundle(rt, SHELF).status == "installed"
    assert rt.app("shelf").depends == ("depot",)
    # the object form {app, version} says the same
    other = _copy(SHELF, tmp_path, "app: shelf2\nversion: 0.1.0\nlabel: {zh: 货架二, en: Shelf 2}\n"
                                   "depends:\n  - {app: depot, version: '~=1.4'}\n  - depot\n")
    assert install_bundle(rt, other).status == "installed"


def test_check_refuses_a_malformed_range_with_file_path_and_line(tmp_path, capsys):
    bad = _copy(SHELF, tmp_path, "app: shelf\nversion: 0.3.0\nlabel: {zh: 货架, en: Shelf}\ndepends:\n"
                                 "  - {app: depot, version: '>=1.2,<<2'}\n  - 'crm=>1'\n")
    assert main(["check", str(bad), "--json"]) == 1
    import json

    errors = json.loads(capsys.readouterr().out)
    found = {(e["code"], e["file"], e["path"], e["line"]) for e in errors}
    assert ("bundle.E055", "app.yaml", "$.depends[0].version", 5) in found
    assert ("bundle.E055", "app.yaml", "$.depends[1]", 6) in found
    msg = next(e for e in errors if e["path"] == "$.depends[0].version")["message"]
    assert ">=1.2,<<2" in msg["en"] and "版本范围" in msg["zh"]


# --- uninstall ----------------------------------------------------------------------------------

def test_uninstalling_an_app_another_depends_on_is_refused(rt):
    install_bundle(rt, DEPOT)
    install_bundle(rt, SHELF)
    with pytest.raises(JimuError) as e:
        uninstall_app(rt, "depot")
    assert (e.value.code, e.value.status) == ("uninstall.E002", 409)
    assert "shelf" in e.value.message["en"] and "shelf" in e.value.message["zh"]
    assert _installed(rt) == {"depot", "shelf"} and "depot" in rt.apps


def _populate(rt) -> None:
    """A record write (audit row, outbox event) and a role assignment: platform rows of depot."""
    rt.records("depot", "warehouse").create({"name": "北京仓", "city": "北京"})
    ra = rt.db.core["role_assignment"]
    with rt.transaction() as c:
        c.execute(ra.insert().values(app="depot", role="keeper", user_id=rt.db.system_user_id))


def test_uninstall_without_drop_data_keeps_the_tables_and_reinstall_reattaches_them(rt, db_url, capsys):
    install_bundle(rt, DEPOT)
    _populate(rt)
    table = rt.apps["depot"].tables["warehouse"].name
    rt.db.dispose()
    assert main(["uninstall", "depot", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert f"{table} (3 rows)" in out and "kept" in out and "保留" in out
    fresh = open_runtime(db_url)
    try:
        assert "depot" not in fresh.apps and _installed(fresh) == set()
        assert table in _tables(fresh) and _count(fresh, table) == 3
        assert _count(fresh, "definition", app="depot") == 0
        assert _count(fresh, "definition_version", app="depot") > 0  # history kept for audit
        assert _count(fresh, "role_assignment", app="depot") == 1
        assert _count(fresh, "event_log", kind="app_uninstalled", target="depot") == 1
        # installing it again re-attaches the kept table: its rows, no seeds loaded over them
        res = install_bundle(fresh, DEPOT)
        assert res.kept == [table] and res.seeded == {}
        assert _count(fresh, table) == 3
        fresh.records("depot", "warehouse").create({"name": "广州仓"})  # and the app works on them
        assert _count(fresh, table) == 4
    finally:
        fresh.db.dispose()


def test_uninstall_with_drop_data_drops_tables_and_the_apps_platform_rows(rt, db_url, capsys):
    install_bundle(rt, DEPOT)
    install_bundle(rt, SHELF)
    _populate(rt)
    assert _count(rt, "audit", app="depot") >= 1 and _count(rt, "event", app="depot") >= 1
    rt.db.dispose()
    assert main(["uninstall", "depot", "--drop-data", "--db", db_url]) == 1  # shelf depends on it
    err = capsys.readouterr().err
    assert "uninstall.E002" in err and "shelf" in err
    assert main(["uninstall", "shelf", "--drop-data", "--db", db_url]) == 0
    assert main(["uninstall", "depot", "--drop-data", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "depot__warehouse (3 rows)" in out and "dropped" in out
    fresh = open_runtime(db_url)
    try:
        assert not any(t.startswith(("depot__", "shelf__")) for t in _tables(fresh))
        for table in ("audit", "event", "role_assignment", "definition"):
            assert _count(fresh, table, app="depot") == 0, table
        assert _count(fresh, "definition_version", app="depot") > 0
        assert _installed(fresh) == set()
        # a fresh install starts from the seeds again, its versions numbered on from the history
        assert install_bundle(fresh, DEPOT).seeded == {"warehouse": 2}
    finally:
        fresh.db.dispose()
    assert main(["uninstall", "nothing_here", "--db", db_url]) == 1
    assert "uninstall.E001" in capsys.readouterr().err


def test_a_failing_uninstall_changes_nothing(rt, monkeypatch):
    install_bundle(rt, DEPOT)
    _populate(rt)
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("engine.identity.event_log.log_event", boom)
    with pytest.raises(RuntimeError):
        uninstall_app(rt, "depot", drop_data=True)
    assert "depot__warehouse" in _tables(rt) and _count(rt, "depot__warehouse") == 3
    assert _installed(rt) == {"depot"} and "depot" in rt.apps
    assert _count(rt, "role_assignment", app="depot") == 1 and _count(rt, "definition", app="depot") > 0


def test_jimu_install_says_which_dependency_is_missing_then_installs_in_order(db_url, capsys):
    assert main(["install", str(SHELF), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "install.E003" in err and "app.yaml:$.depends[0]" in err
    assert "shelf depends on depot (>=1.2,<2), which is not installed: install depot first" in err
    assert main(["install", str(DEPOT), "--db", db_url]) == 0
    assert main(["install", str(SHELF), "--db", db_url]) == 0
    assert "installed shelf 0.3.0" in capsys.readouterr().out


def test_a_dependency_name_in_the_string_form_is_checked_like_any_name(tmp_path):
    from engine.bundle.checker import check_bundle

    bad = _copy(SHELF, tmp_path, "app: shelf\nversion: 0.3.0\nlabel: {zh: 货架, en: Shelf}\ndepends:\n"
                                 "  - '1crm>=1'\n  - 'shelf'\n")
    codes = {(e.code, e.path) for e in check_bundle(bad).errors}
    assert codes == {("bundle.E040", "$.depends[0]"), ("bundle.E053", "$.depends[1]")}


def _stored_file(rt, tmp_path) -> Path:
    """A file bound to a depot record, as an upload leaves it: its row and its bytes on disk."""
    from forms.attachments.storage import FileStore, new_file_id

    rt.settings["files_dir"] = str(tmp_path / "files")
    fid = new_file_id()
    path = FileStore.of(rt).path(fid)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"manifest")
    with rt.transaction() as c:
        c.execute(rt.db.core["file"].insert().values(
            id=fid, name="清单.txt", size=8, content_type="text/plain", sha256="0" * 64,
            uploaded_by=rt.db.system_user_id, uploaded_at=rt.clock(), app="depot", entity="warehouse",
            field="name", record_id=1))
    return path


def test_drop_data_deletes_the_apps_files_on_disk_after_the_commit(rt, tmp_path):
    install_bundle(rt, DEPOT)
    path = _stored_file(rt, tmp_path)
    res = uninstall_app(rt, "depot", drop_data=True)
    assert res.platform_rows["jimu_file"] == 1 and res.tables == {"depot__warehouse": 2}
    assert not path.exists() and _count(rt, "file", app="depot") == 0


def test_a_failing_drop_keeps_the_files_on_disk(rt, tmp_path, monkeypatch):
    install_bundle(rt, DEPOT)
    path = _stored_file(rt, tmp_path)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("engine.identity.event_log.log_event", boom)
    with pytest.raises(RuntimeError):
        uninstall_app(rt, "depot", drop_data=True)
    assert path.exists() and _count(rt, "file", app="depot") == 1 and "depot" in rt.apps


def test_kept_tables_that_no_longer_fit_the_bundle_are_refused_by_name(rt, tmp_path):
    install_bundle(rt, DEPOT)
    uninstall_app(rt, "depot")
    changed = _copy(DEPOT, tmp_path)
    ent = changed / "entities" / "warehouse.yaml"
    ent.write_text(ent.read_text("utf-8") + "  - {name: area, type: number, label: {zh: 面积, en: Area}}\n", "utf-8")
    with pytest.raises(JimuError) as e:
        install_bundle(rt, changed)
    assert (e.value.code, e.value.status) == ("install.E004", 409)
    assert "depot__warehouse" in e.value.message["en"] and "depot__warehouse" in e.value.message["zh"]
    assert _installed(rt) == set() and "depot" not in rt.apps and _count(rt, "depot__warehouse") == 2
