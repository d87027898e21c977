"""Fixtures of the inbox, notification and to-do tests: the sales app with its demo organisation,
and signing its users in. Files with a runtime of their own (events, jobs, calendars) define `rt`."""
from __future__ import annotations

import pytest

from engine.api.app import create_app

from .inbox_support import SignIn, sales_erp


@pytest.fixture
def rt(db_url):
    with sales_erp(db_url) as rt:
        yield rt


@pytest.fixture
def sign_in(rt):
    s = SignIn(create_app(rt))
    yield s
    s.close()
