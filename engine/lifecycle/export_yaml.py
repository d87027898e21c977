"""The canonical text of an exported definition: one byte sequence per meaning, so two exports of the
same state are identical whatever database they were read from.

PostgreSQL's JSONB does not keep key order and the JSON columns hold decimals as their exact text
(engine/storage/database.py), so the stored body alone fixes no layout. The canonical form is:

- keys in a fixed order: the identity keys first (``app``, ``entity``, ``name``, ``type``, ``label``...,
  in the order of ``KEY_ORDER``), then every other key alphabetically — a total order on keys, readable
  where it matters (a field starts with its name and type), independent of how the body was stored;
- lists in their stored order (field, option and item order is meaning);
- block style, UTF-8 text kept as written (no \\u escapes), multi-line text as a literal ``|`` block;
- a scalar that the loader (YAML 1.2 core schema, engine/bundle/documents.py) or a YAML 1.1 reader would
  take for a number, boolean or null is quoted when it is a string; a ``Decimal`` is written as its
  exact text (``0.13``), so it reads back as the same Decimal.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml

KEY_ORDER = ("app", "entity", "name", "kind", "version", "type", "to", "value", "label", "title", "description",
             "zh", "en")  # a label reads Chinese first, as the bundles are written
_RANK = {k: i for i, k in enumerate(KEY_ORDER)}
# what the bundle loader resolves implicitly (its YAML 1.2 core schema), on top of YAML 1.1's own list
_CORE = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", list("-+0123456789")),
    ("tag:yaml.org,2002:float", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", list("-+.0123456789")),
)


def key_rank(key: Any) -> tuple:
    k = str(key)
    return (_RANK.get(k, len(_RANK)), k)


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types plus the core schema's: a string either would misread is quoted."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}


for _tag, _pattern, _first in _CORE:
    _Resolver.add_implicit_resolver(_tag, re.compile(_pattern), _first)


class _Representer(yaml.representer.SafeRepresenter):
    def represent_dict(self, data):  # noqa: ANN001 - PyYAML's signature
        items = sorted(data.items(), key=lambda kv: key_rank(kv[0]))
        return self.represent_mapping("tag:yaml.org,2002:map", items, flow_style=False)

    def represent_str(self, data):  # noqa: ANN001
        style = "|" if "\n" in data and not _literal_unsafe(data) else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_decimal(self, data):  # noqa: ANN001
        text = str(data)
        if not data.is_finite():
            raise ValueError(f"cannot export the number {text}")
        return self.represent_scalar("tag:yaml.org,2002:float", text)

    def represent_float(self, data):  # noqa: ANN001 - a float read back from JSON: its shortest exact text
        return self.represent_decimal(Decimal(repr(data)))


_Representer.add_representer(dict, _Representer.represent_dict)
_Representer.add_representer(str, _Representer.represent_str)
_Representer.add_representer(Decimal, _Representer.represent_decimal)
_Representer.add_representer(float, _Representer.represent_float)


def _literal_unsafe(text: str) -> bool:
    """A literal block cannot carry trailing spaces on a line, tabs or control characters faithfully:
    such text is double-quoted instead (still one form per value)."""
    return any(line != line.rstrip(" ") for line in text.split("\n")) or any(
        (ord(c) < 32 and c != "\n") or c in "\x7f\ufeff" for c in text)


class _Dumper(yaml.emitter.Emitter, yaml.serializer.Serializer, _Representer, _Resolver):
    def __init__(self, stream, **kw):  # noqa: ANN001
        yaml.emitter.Emitter.__init__(self, stream, allow_unicode=True, indent=2, width=120, line_break="\n")
        yaml.serializer.Serializer.__init__(self, explicit_start=False, explicit_end=False)
        _Representer.__init__(self, default_flow_style=False, sort_keys=False)
        _Resolver.__init__(self)

    def ignore_aliases(self, data):  # noqa: ANN001 - the loader refuses anchors and aliases
        return True


def dump_yaml(data: Any) -> str:
    """The canonical YAML text of ``data`` (plain JSON-like values, ``Decimal`` for exact numbers)."""
    return yaml.dump(data, Dumper=_Dumper)
