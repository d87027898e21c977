"""Installing bundles: one transaction, idempotent with --if-missing, nothing left by a failure."""
from __future__ import annotations

import shutil
import zipfile

import pytest
import sqlalchemy as sa
import yaml

from engine.bundle.errors import BundleInvalid
from engine.errors import JimuError
from engine.install import install_bundle
from engine.runtime import open_runtime

from .conftest import SALES_ERP


def _tables(rt) -> set[str]:
    return set(sa.inspect(rt.db.engine).get_table_names())


def test_install_creates_tables_and_loads_demo_data(runtime):
    res = install_bundle(runtime, SALES_ERP, demo=True)
    assert res.status == "installed"
    assert res.seeded == {"departments": 6, "users": 9, "customer": 6, "contact": 6, "product": 6, "lead": 4,
                          "opportunity": 4, "quote": 1}
    assert {"sales_erp__customer", "sales_erp__contact", "sales_erp__product"} <= _tables(runtime)
    again = install_bundle(runtime, SALES_ERP, demo=True, if_missing=True)
    assert again.status == "unchanged"
    t = runtime.table("sales_erp", "customer")
    with runtime.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(t)).scalar() == 6


def test_installed_apps_are_compiled_from_the_database(runtime, db_url):
    install_bundle(runtime, SALES_ERP)
    fresh = open_runtime(db_url)  # a new process: nothing read from the bundle folder
    try:
        app = fresh.app("sales_erp")
        assert app.entity("contact").field("customer").relation_to == "customer"
        assert app.hash == runtime.app("sales_erp").hash
        rec = fresh.records("sales_erp", "customer").create({"name": "新进程客户"})
        assert rec["level"] == "B"
    finally:
        fresh.db.dispose()


def test_a_failing_seed_rolls_back_the_whole_install(runtime, tmp_path):
    bundle = tmp_path / "sales_erp"
    shutil.copytree(SALES_ERP, bundle)
    seed = yaml.safe_load((bundle / "seed" / "demo.yaml").read_text("utf-8"))
    seed["records"]["product"].append({"code": "P-1001", "name": "重复编码", "price": 1})
    (bundle / "seed" / "demo.yaml").write_text(yaml.safe_dump(seed, allow_unicode=True), "utf-8")
    before = _tables(runtime)
    with pytest.raises(JimuError) as e:
        install_bundle(runtime, bundle, demo=True)
    d = e.value.details[0]  # issue 11 item 14: the seed file, the record's JSON path and its line
    assert (d["file"], d["path"]) == ("seed/demo.yaml", "$.records.product[6].code") and d["line"] > 1
    assert _tables(runtime) == before
    apps = runtime.db.core["app"]
    with runtime.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(apps)).scalar() == 0
    assert "sales_erp" not in runtime.apps
    install_bundle(runtime, SALES_ERP, demo=False)  # the database is as it was: a clean install works
    assert runtime.app("sales_erp")


def test_an_invalid_bundle_is_refused_before_anything_is_written(runtime, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(SALES_ERP, bundle)
    (bundle / "entities" / "broken.yaml").write_text("entity: broken\nfields: [\n", "utf-8")
    before = _tables(runtime)
    with pytest.raises(BundleInvalid) as e:
        install_bundle(runtime, bundle)
    assert any(d["file"] == "entities/broken.yaml" for d in e.value.details)
    assert _tables(runtime) == before


def test_a_changed_installed_app_is_not_silently_replaced(runtime, tmp_path):
    install_bundle(runtime, SALES_ERP)
    bundle = tmp_path / "sales_erp"
    shutil.copytree(SALES_ERP, bundle)
    app = yaml.safe_load((bundle / "app.yaml").read_text("utf-8"))
    app["version"] = "0.2.0"
    (bundle / "app.yaml").write_text(yaml.safe_dump(app, allow_unicode=True), "utf-8")
    with pytest.raises(JimuError) as e:  # asked not to upgrade
        install_bundle(runtime, bundle, upgrade=False)
    assert e.value.code == "install.E001" and e.value.status == 409
    assert install_bundle(runtime, bundle).status == "upgraded"  # the default


def test_install_from_a_zip_with_a_top_folder(runtime, tmp_path):
    z = tmp_path / "sales_erp.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in SALES_ERP.rglob("*"):
            if p.is_file():
                zf.write(p, "sales_erp/" + p.relative_to(SALES_ERP).as_posix())
    res = install_bundle(runtime, z, demo=True)
    assert res.seeded["customer"] == 6


def test_a_malicious_zip_is_refused_and_writes_nothing(runtime, tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in SALES_ERP.rglob("*"):
            if p.is_file():
                zf.write(p, p.relative_to(SALES_ERP).as_posix())
        zf.writestr("../escape.yaml", "x: 1\n")
    before = _tables(runtime)
    with pytest.raises(BundleInvalid) as e:
        install_bundle(runtime, z, demo=True)
    assert any("../escape.yaml" in str(d) for d in e.value.details)
    assert _tables(runtime) == before and not (tmp_path.parent / "escape.yaml").exists()
