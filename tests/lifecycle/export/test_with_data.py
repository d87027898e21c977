"""Issue 13, `jimu export --with-data`: the sales ERP with its demo records and a few attachments,
exported from SQLite and installed on an empty SQLite or PostgreSQL database, arrives exactly — rows
of every table and sub-table, every money sum, counters, states, file hashes (in the table and on
disk), ids, owners and timestamps — and exports again to the same bytes, data included. New records
carry on the ids and numbers. Installing such a bundle where the app holds anything is refused and
changes nothing; a damaged export is refused and leaves no file behind."""
from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle.export import export_app
from engine.lifecycle.uninstall import uninstall_app
from engine.runtime import open_runtime

from .roundtrip import attach, figures

SALES_ERP = Path(__file__).resolve().parents[3] / "apps" / "sales_erp"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The sales ERP with demo data and three attachments (two with the same bytes) on SQLite,
    exported once with its data."""
    base = tmp_path_factory.mktemp("source")
    rt = open_runtime(f"sqlite:///{base / 'src.db'}")
    rt.settings["files_dir"] = str(base / "files")
    install_bundle(rt, SALES_ERP, demo=True)
    attach(rt, "sales_erp", "opportunity", "proposal_doc", 1, {"方案.pdf": b"%PDF-1.4 one", "b.pdf": b"%PDF-1.4 two"})
    attach(rt, "sales_erp", "opportunity", "proposal_doc", 2, {"c.pdf": b"%PDF-1.4 one"})
    export_app(rt, "sales_erp", base / "export", with_data=True)
    yield rt, base / "export", figures(rt, "sales_erp")
    rt.db.dispose()


@pytest.fixture
def target(db_url, tmp_path):
    rt = open_runtime(db_url)
    rt.settings["files_dir"] = str(tmp_path / "target_files")
    yield rt
    rt.db.dispose()


def test_the_data_layout_names_people_by_login_and_never_carries_secrets(source):
    _rt, export, _ = source
    names = sorted(tree(export))
    assert "data/export.yaml" in names and "data/people.yaml" in names
    assert "data/records/sales_erp__quote__lines.jsonl" in names  # sub-table rows
    assert "data/platform/jimu_counter.jsonl" in names and "data/platform/jimu_file.jsonl" in names
    assert len([n for n in names if n.startswith("data/files/")]) == 2  # three files, two contents
    people = (export / "data" / "people.yaml").read_text(encoding="utf-8")
    assert "login: rep_east1" in people and "password" not in people and "token" not in people
    quote = (export / "data" / "records" / "sales_erp__quote.jsonl").read_text(encoding="utf-8")
    assert '"owner":"rep_east1"' in quote and '"total":"239503.50"' in quote  # money as exact text
    from engine.bundle.checker import check_bundle

    result = check_bundle(export)  # data/ is the install's to read: the checker neither fails nor warns
    assert result.errors == () and result.warnings == ()


def test_a_with_data_export_installs_exactly_on_an_empty_database(source, target, tmp_path):
    _rt, export, before = source
    result = install_bundle(target, export)
    assert result.status == "installed"
    assert result.seeded["sales_erp__quote__lines"] == 2 and result.seeded["jimu_file"] == 3
    after = figures(target, "sales_erp")
    assert after == before  # rows, money sums, owners/timestamps by id, counters, files, states
    assert sum(before["money"].values()) > 0 and len(before["files"]) == 3
    # exported again from the target (PostgreSQL or SQLite): the same bytes, data included
    export_app(target, "sales_erp", tmp_path / "again", with_data=True)
    assert tree(tmp_path / "again") == tree(export)


def test_new_records_carry_on_the_ids_and_the_numbers(source, target):
    src_rt, export, _ = source
    install_bundle(target, export)
    opp = target.records("sales_erp", "opportunity").create(
        {"name": "新商机", "customer": 1, "lines": [{"product": 1, "qty": 2}]})
    t = src_rt.apps["sales_erp"].tables["opportunity"]
    lines = src_rt.apps["sales_erp"].metadata.tables["sales_erp__opportunity__lines"]
    with src_rt.connect() as c:
        last_id = c.execute(sa.select(sa.func.max(t.c.id))).scalar()
        last_number = c.execute(sa.select(t.c.number).where(t.c.id == last_id)).scalar()
        last_line = c.execute(sa.select(sa.func.max(lines.c.id))).scalar()
    assert opp["id"] == last_id + 1  # on PostgreSQL the sequence was moved past the loaded ids
    assert [row["id"] for row in opp["lines"]] == [last_line + 1]  # the sub-table's too
    assert opp["number"][:-4] == last_number[:-4] and int(opp["number"][-4:]) == int(last_number[-4:]) + 1


def test_people_are_matched_by_login_or_created_without_a_password(source, target):
    _rt, export, _ = source
    u = target.db.core["user"]
    with target.db.begin() as c:
        mine = c.execute(u.insert().values(login="rep_east1", name="已有的张伟", active=True,
                                           password_hash="kept")).inserted_primary_key[0]
    install_bundle(target, export)
    with target.connect() as c:
        users = {r.login: r for r in c.execute(sa.select(u))}
        t = target.apps["sales_erp"].tables["customer"]
        owners = set(c.execute(sa.select(t.c.owner).where(t.c.id == 1)).scalars())
    assert users["rep_east1"].id == mine and users["rep_east1"].name == "已有的张伟"  # matched, left as it was
    assert users["rep_east1"].password_hash == "kept"
    assert users["rep_south1"].password_hash is None and not users["rep_south1"].is_admin  # created: no password
    assert owners == {mine}
    from engine.identity.passwords import verify_password

    for guess in ("", "rep_south1", "password"):  # what sign-in checks: no password matches none
        assert not verify_password(users["rep_south1"].password_hash, guess)


def _state(rt) -> tuple:
    with rt.connect() as c:
        tables = sorted(sa.inspect(c).get_table_names())
        apps = sorted(c.execute(sa.text("SELECT name FROM jimu_app")).scalars())
        users = c.execute(sa.text("SELECT COUNT(*) FROM jimu_user")).scalar()
    return tables, apps, users


def test_an_installed_app_or_kept_rows_refuse_the_data_and_nothing_changes(source, target):
    _rt, export, _ = source
    install_bundle(target, SALES_ERP, demo=True)
    before = _state(target)
    with pytest.raises(JimuError) as e:
        install_bundle(target, export)
    assert e.value.code == "install.E006" and _state(target) == before
    uninstall_app(target, "sales_erp")  # its tables are kept, with their rows
    before = _state(target)
    with pytest.raises(JimuError) as e:
        install_bundle(target, export)
    assert e.value.code == "install.E006" and _state(target) == before
    assert "sales_erp" not in target.apps


def test_a_damaged_export_is_refused_and_leaves_no_file_behind(source, target, tmp_path):
    _rt, export, _ = source
    broken = tmp_path / "broken"
    shutil.copytree(export, broken)
    victim = sorted((broken / "data" / "files").iterdir())[-1]
    victim.write_bytes(b"not what was exported")
    before = _state(target)
    with pytest.raises(JimuError) as e:
        install_bundle(target, broken)
    assert e.value.code == "install.E005" and _state(target) == before
    store = tmp_path / "target_files"
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]
    # a row count that does not match the manifest is refused the same way
    shutil.rmtree(broken)
    shutil.copytree(export, broken)
    rows = broken / "data" / "records" / "sales_erp__product.jsonl"
    rows.write_text("".join(rows.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    with pytest.raises(JimuError) as e:
        install_bundle(target, broken)
    assert e.value.code == "install.E005" and _state(target) == before


def test_the_export_reads_one_state_and_keeps_exact_timestamps(source):
    _rt, export, before = source
    first = before["owners"]["quote"][0]
    assert isinstance(first[2], dt.datetime)
    line = (export / "data" / "records" / "sales_erp__quote.jsonl").read_text(encoding="utf-8")
    assert f'"created_at":"{first[2].isoformat()}"' in line
    digest = hashlib.sha256(b"%PDF-1.4 one").hexdigest()
    assert (export / "data" / "files" / digest).read_bytes() == b"%PDF-1.4 one"


def test_rows_an_uninstall_kept_in_platform_tables_refuse_the_data_until_dropped(source, target):
    """Installed without demo data the app has no records, but a role assigned in it stays in a
    platform table after an uninstall that keeps data: still refused; after --drop-data the export
    installs."""
    _rt, export, before = source
    install_bundle(target, SALES_ERP)
    ra = target.db.core["role_assignment"]
    with target.db.begin() as c:
        c.execute(ra.insert().values(app="sales_erp", role="sales_rep", user_id=target.db.system_user_id))
    uninstall_app(target, "sales_erp")
    state = _state(target)
    with pytest.raises(JimuError) as e:
        install_bundle(target, export)
    assert e.value.code == "install.E006" and _state(target) == state
    install_bundle(target, SALES_ERP)
    uninstall_app(target, "sales_erp", drop_data=True)
    assert install_bundle(target, export).status == "installed"
    assert figures(target, "sales_erp")["rows"] == before["rows"]


def test_a_record_naming_a_later_record_of_its_own_entity_is_restored(db_url, tmp_path):
    """A relation to the same entity may point at a larger id (Ann's manager is Bob, made after her):
    the reference is set once every row is in, so foreign keys hold on both databases."""
    bundle = tmp_path / "org"
    (bundle / "entities").mkdir(parents=True)
    (bundle / "app.yaml").write_text("app: staff\nversion: 1.0.0\nlabel: {zh: 员工, en: Staff}\n", encoding="utf-8")
    (bundle / "entities" / "person.yaml").write_text(
        "entity: person\nlabel: {zh: 人员, en: Person}\nfields:\n"
        "  - {name: name, type: text, label: {zh: 姓名, en: Name}, required: true}\n"
        "  - {name: manager, type: relation, to: person, label: {zh: 上级, en: Manager}}\n", encoding="utf-8")
    src = open_runtime(f"sqlite:///{tmp_path / 'src.db'}")
    try:
        install_bundle(src, bundle)
        people = src.records("staff", "person")
        ann = people.create({"name": "Ann"})["id"]
        bob = people.create({"name": "Bob"})["id"]
        people.update(ann, {"manager": bob})
        export_app(src, "staff", tmp_path / "out", with_data=True)
    finally:
        src.db.dispose()
    rt = open_runtime(db_url)
    try:
        install_bundle(rt, tmp_path / "out")
        t = rt.apps["staff"].tables["person"]
        with rt.connect() as c:
            rows = {r.name: (r.id, r.manager) for r in c.execute(sa.select(t))}
    finally:
        rt.db.dispose()
    assert rows == {"Ann": (ann, bob), "Bob": (bob, None)}


@pytest.mark.parametrize("damage", ["duplicate id", "not a date", "not json"])
def test_data_the_database_refuses_is_a_clear_error_and_nothing_is_written(source, target, tmp_path, damage):
    _rt, export, _ = source
    broken = tmp_path / "broken"
    shutil.copytree(export, broken)
    rows = broken / "data" / "records" / "sales_erp__product.jsonl"
    lines = rows.read_text(encoding="utf-8").splitlines(keepends=True)
    if damage == "duplicate id":
        lines[-1] = lines[0]
    elif damage == "not a date":
        lines[0] = lines[0].replace('"created_at":"', '"created_at":"yesterday ')
    else:
        lines[0] = lines[0][:-3] + "\n"
    rows.write_text("".join(lines), encoding="utf-8")
    before = _state(target)
    with pytest.raises(JimuError) as e:
        install_bundle(target, broken)
    assert e.value.code == "install.E005" and e.value.message["en"].startswith("the bundle's data is invalid")
    assert _state(target) == before and "sales_erp" not in target.apps
