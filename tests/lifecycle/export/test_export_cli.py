"""Issue 13, `jimu export APP --out DIR|FILE.zip [--with-data]`: a folder or a zip, the zip the same
bytes every time (sorted entries, fixed timestamps and permissions) and installable as it is; every
refusal is a bilingual line and exit 1, never a traceback, and writes nothing."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.cli import main as jimu
from engine.install import install_bundle
from engine.runtime import open_runtime

SALES_ERP = Path(__file__).resolve().parents[3] / "apps" / "sales_erp"


@pytest.fixture
def db(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP, demo=True)
    rt.db.dispose()
    return db_url


def test_a_zip_export_is_deterministic_and_installs_as_it_is(db, tmp_path, capsys):
    assert jimu(["export", "sales_erp", "--out", str(tmp_path / "a.zip"), "--with-data", "--db", db]) == 0
    assert "exported sales_erp" in capsys.readouterr().out
    assert jimu(["export", "sales_erp", "--out", str(tmp_path / "b.zip"), "--with-data", "--db", db]) == 0
    first = (tmp_path / "a.zip").read_bytes()
    assert first == (tmp_path / "b.zip").read_bytes()
    rt = open_runtime(db)
    try:  # records left the system: the event log says so, once per export with data
        e = rt.db.core["event_log"]
        with rt.connect() as c:
            logged = c.execute(sa.select(e.c.target, e.c.detail).where(e.c.kind == "export")).all()
    finally:
        rt.db.dispose()
    assert [(t, d["with_data"], d["output"]) for t, d in logged] == [
        ("sales_erp", True, str(tmp_path / "a.zip")), ("sales_erp", True, str(tmp_path / "b.zip"))]
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        infos = z.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    # the zip installs on an empty database and exports to the same bytes
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert jimu(["install", str(tmp_path / "a.zip"), "--db", other]) == 0
    assert jimu(["export", "sales_erp", "--out", str(tmp_path / "c.zip"), "--with-data", "--db", other]) == 0
    assert (tmp_path / "c.zip").read_bytes() == first


def test_a_folder_export_without_data_has_definitions_only(db, tmp_path):
    assert jimu(["export", "sales_erp", "--out", str(tmp_path / "out"), "--db", db]) == 0
    assert (tmp_path / "out" / "entities" / "quote.yaml").is_file()
    assert not (tmp_path / "out" / "data").exists() and not (tmp_path / "out" / "seed").exists()
    assert jimu(["check", str(tmp_path / "out")]) == 0


@pytest.mark.parametrize("case", ["unknown app", "folder not empty", "zip exists", "unwritable", "no database"])
def test_refusals_are_one_bilingual_line_and_exit_1(db, tmp_path, capsys, case):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "mine.txt").write_text("keep", encoding="utf-8")
    (tmp_path / "old.zip").write_bytes(b"keep")
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    args, code = {
        "unknown app": (["nope", "--out", str(tmp_path / "new"), "--db", db], "export.E001"),
        "folder not empty": (["sales_erp", "--out", str(tmp_path / "used"), "--db", db], "export.E002"),
        "zip exists": (["sales_erp", "--out", str(tmp_path / "old.zip"), "--db", db], "export.E002"),
        "unwritable": (["sales_erp", "--out", str(tmp_path / "a_file" / "sub"), "--db", db], "export.E003"),
        "no database": (["sales_erp", "--out", str(tmp_path / "new"), "--db",
                         f"sqlite:///{tmp_path / 'missing.db'}"], "export.E001"),
    }[case]
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert jimu(["export", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {code}: ") and " / " in err and "Traceback" not in err
    # nothing written: no output, no database file made, what was there untouched
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if "jimu.db" not in p.name)
    assert after == [p for p in before if "jimu.db" not in p]
    assert (tmp_path / "used" / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert (tmp_path / "old.zip").read_bytes() == b"keep"


def test_installing_a_data_export_over_the_app_is_refused_in_words(db, tmp_path, capsys):
    assert jimu(["export", "sales_erp", "--out", str(tmp_path / "x"), "--with-data", "--db", db]) == 0
    capsys.readouterr()
    assert jimu(["install", str(tmp_path / "x"), "--db", db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: install.E006: ") and "Traceback" not in err
