"""Bundles written from Python into tmp_path: a valid sales bundle to start from, and a writer."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

APP_YAML = """\
app: sales_erp
version: 0.1.0
label: {zh: 销售管理, en: Sales}
description: {zh: 从线索到回款, en: Lead to cash}
"""

ROLES_YAML = """\
roles:
  sales_rep:
    label: {zh: 销售代表, en: Sales rep}
  销售总监:
    label: {zh: 销售总监, en: Sales director}
    description: {zh: 审批大额合同, en: Approves large contracts}
"""

CUSTOMER_YAML = """\
entity: customer
label: {zh: 客户, en: Customer}
title: "{客户名称}"
fields:
  - name: 客户名称
    type: text
    label: {zh: 客户名称, en: Name}
    required: true
    max_length: 100
  - {name: credit_limit, type: money, label: {zh: 信用额度, en: Credit limit}, precision: 2, min: 0}
  - name: level
    type: select
    label: {zh: 等级, en: Level}
    options:
      - {value: a, label: {zh: 重要, en: Key}}
      - {value: b, label: {zh: 普通, en: Normal}}
searchable: [客户名称]
"""

CONTRACT_YAML = """\
entity: contract
label: {zh: 合同, en: Contract}
title: "{number} {customer.客户名称}"
fields:
  - {name: number, type: text, label: {zh: 编号, en: Number}, unique: true}
  - {name: customer, type: relation, to: customer, label: {zh: 客户, en: Customer}, required: true}
  - {name: signed_on, type: date, label: {zh: 签约日期, en: Signed on}}
  - {name: amount, type: money, label: {zh: 金额, en: Amount}, default: 0}
  - {name: approved, type: boolean, label: {zh: 已审批, en: Approved}, default: false}
indexes:
  - {fields: [customer, signed_on]}
  - {fields: [number], unique: true}
layout:
  sections:
    - {label: {zh: 基本信息, en: Basics}, columns: 2, fields: [number, customer]}
  tabs:
    - label: {zh: 金额, en: Money}
      sections:
        - {fields: [amount, approved, signed_on]}
"""

PRODUCT_YAML = """\
entity: product
label: {zh: 产品, en: Product}
title: "{name}"
fields:
  - {name: name, type: text, label: {zh: 名称, en: Name}}
  - {name: price, type: money, label: {zh: 价格, en: Price}, precision: 2}
"""

VALID_FILES = {
    "app.yaml": APP_YAML,
    "roles.yaml": ROLES_YAML,
    "entities/customer.yaml": CUSTOMER_YAML,
    "entities/contract.yaml": CONTRACT_YAML,
    "entities/product.yaml": PRODUCT_YAML,
}


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def valid_files() -> dict[str, str]:
    """The valid bundle's files, dedented, by name."""
    return {name: textwrap.dedent(text) for name, text in VALID_FILES.items()}


@pytest.fixture
def make_bundle(tmp_path: Path):
    """``make_bundle({"entities/x.yaml": "..."}, base=True)``: the valid bundle with files added or
    replaced (a value of None removes a file)."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes | None] | None = None, base: bool = True) -> Path:
        merged: dict[str, str | bytes | None] = {**(VALID_FILES if base else {}), **(files or {})}
        root = tmp_path / f"bundle{next(counter)}"
        root.mkdir()
        return write_files(root, {k: v for k, v in merged.items() if v is not None})

    return make
