"""Helpers of the record form and kanban browser tests: the records API as a demo user beside the
browser (to set records up, to change one behind the page's back, to check what a save stored), the
records a test made (deleted at the end: other tests count rep_east1's records), and choosing in an
Element Plus select."""
from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import DEMO_PASSWORD, ROOT

API = "/api/v1/records/sales_erp"
SHOTS = ROOT / "docs" / "screenshots"


class Api:
    """The REST API signed in as one demo user (its own session, not the browser's)."""

    def __init__(self, base: str, login: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        r = self.client.post("/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        self.client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        self.user = r.json()["user"]

    def get(self, path: str, **params) -> dict:
        r = self.client.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body) -> dict:
        r = self.client.post(path, json=body)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def patch(self, path: str, body) -> dict:
        r = self.client.patch(path, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def find(self, entity: str, q: str) -> dict:
        items = self.get(f"{API}/{entity}", q=q)["items"]
        assert items, f"no {entity} matching {q!r}"
        return items[0]

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def api(server):
    """``api("rep_east1")`` -> an Api for that user."""
    made: list[Api] = []

    def make(login: str) -> Api:
        a = Api(server, login)
        made.append(a)
        return a

    yield make
    for a in made:
        a.close()


@pytest.fixture
def made(server):
    """``made("opportunity", id)``: a record this test created as rep_east1, deleted at the end."""
    records: list[tuple[str, int]] = []
    yield lambda entity, rid: records.append((entity, int(rid)))
    owner = Api(server, "rep_east1")
    try:
        for entity, rid in reversed(records):
            r = owner.client.get(f"{API}/{entity}/{rid}")
            if r.status_code == 200:
                d = owner.client.delete(f"{API}/{entity}/{rid}", params={"version": r.json()["version"]})
                assert d.status_code == 200, d.text
    finally:
        owner.close()


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def choose(page, where: str, option: str, typed: str | None = None) -> None:
    """Open the select inside ``where`` (typing ``typed`` to search) and choose ``option``."""
    page.click(f"{where} .el-select")
    if typed:
        page.keyboard.type(typed)
    item = page.locator(".el-select-dropdown__item:visible", has_text=option)
    expect(item).to_have_count(1)
    item.click()
    # the list closes with a transition: until then its options still count as visible
    expect(page.locator(".el-select-dropdown__item:visible")).to_have_count(0)


def record_id(page) -> int:
    """The id of the record the page shows (after a save of a new one, the address has it)."""
    page.wait_for_url(re.compile(r"#/r/sales_erp/\w+/\d+$"))
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def doc_shot(page, shot, name: str, full_page: bool = False) -> Path:
    """A screenshot like ``shot``'s; with JIMU_DOC_SHOTS=1 also written to docs/screenshots, where the
    documentation shows it (a plain test run leaves the repository alone)."""
    path = shot(page, name, full_page)
    if os.environ.get("JIMU_DOC_SHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOTS / f"{name}.png")
    return path
