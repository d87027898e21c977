"""Cost only where used (issue 12 item 11): a handler an engine registers for an app or an entity
runs only for writes there, and an entity without expressions skips the form engine's per-write work
(while its form state still shows every flag)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ValidationFailed
from engine.install import install_bundle
from engine.runtime import open_runtime

BUNDLE = Path(__file__).resolve().parent / "bundles" / "actions_app"
APP = "actions_app"


@pytest.fixture
def rt(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, BUNDLE)
    yield rt
    rt.db.dispose()


def test_handlers_scoped_to_an_app_or_an_entity_run_only_there(rt):
    calls: list[tuple[str, str]] = []

    def seen(tag):
        return lambda batch: calls.append((tag, batch.entity.name))

    rt.pipeline.on("check", seen("entity"), app=APP, entity="memo")
    rt.pipeline.on("check", seen("app"), app=APP)
    rt.pipeline.on("check", seen("other app"), app="another_app")
    rt.records(APP, "memo").create({"subject": "周会"})
    rt.records(APP, "work_order").create({"title": "修空调"})
    assert calls == [("entity", "memo"), ("app", "memo"), ("app", "work_order")]
    with pytest.raises(ValueError):
        rt.pipeline.on("check", seen("x"), entity="memo")  # an entity name alone is ambiguous


def test_an_entity_without_expressions_skips_the_form_engines_work_but_keeps_its_rules(rt):
    notes: dict[str, set] = {}
    rt.pipeline.on("persist", lambda b: notes.update({b.entity.name: set(b.writes[0].notes)}), app=APP)
    rt.records(APP, "memo").create({"subject": "周会", "due": "2026-12-03"})
    rt.records(APP, "work_order").create({"title": "修空调"})
    assert not notes["memo"] & {"eval", "flags"}  # nothing worked out for the memo
    assert {"eval", "flags"} <= notes["work_order"]  # it has a validation: judged as before
    with pytest.raises(ValidationFailed) as e:  # the kernel's rules still apply
        rt.records(APP, "memo").create({"body": "没有主题"})
    assert [d["path"] for d in e.value.details] == ["subject"]
    w, _ = rt.records(APP, "memo").trial({"subject": "草稿"})  # the form state still shows the flags
    assert w.notes["flags"]["subject"] == {"visible": True, "required": True, "readonly": False}
