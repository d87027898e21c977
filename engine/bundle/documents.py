"""One definition file parsed: its data plus a map from JSON path to line, so errors can point at a line.

YAML is read with the YAML 1.2 core schema rather than PyYAML's 1.1 one, so a YAML file and a JSON file
mean the same thing: only ``true``/``false`` are booleans (a field named ``no`` stays a string), dates
stay strings, and every non-integer number becomes a ``Decimal`` (money is never a float) — JSON files
are parsed the same way. Anchors and aliases are refused: JSON has no equivalent, and an alias bomb
would otherwise expand during validation.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import BundleError, PathPart, json_path, problem

Format = Literal["yaml", "json"]
# the kernel's kinds, or a kind an engine declares (engine/kinds.py)
Kind = str

MAX_DEPTH = 64  # definitions are shallow; this keeps recursive validators far from Python's limit
_STR_TAG = "tag:yaml.org,2002:str"
_KEY_PROBLEMS = frozenset({"bundle.E005", "bundle.E007", "bundle.E052"})
# only what JSON can say: no !!timestamp, !!binary, !!set or application tags
_JSON_TAGS = frozenset("tag:yaml.org,2002:" + t
                       for t in ("str", "int", "float", "bool", "null", "seq", "map"))


@dataclass(frozen=True)
class Document:
    """A definition file: ``name`` is its path inside the bundle (``entities/customer.yaml``)."""

    name: str
    kind: Kind
    format: Format
    data: Any  # None when the file could not be parsed
    lines: Mapping[str, int] = field(default_factory=dict, repr=False)  # JSON path -> 1-based line
    parsed: bool = True
    text: str = field(default="", repr=False)  # the decoded file, kept for excerpts and name recovery

    def line_of(self, parts: Sequence[PathPart]) -> int | None:
        """The line of ``parts``, or of its nearest ancestor that has one (a missing key's object)."""
        for n in range(len(parts), -1, -1):
            line = self.lines.get(json_path(parts[:n]))
            if line is not None:
                return line
        return None


class _CoreResolver(yaml.resolver.Resolver):
    """The YAML 1.2 core schema's implicit types, spelled the JSON way."""

    yaml_implicit_resolvers: dict = {}


_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"),
                                    ["~", "n", "N", ""])
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:bool",
                                    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"),
                                    list("-+0123456789"))
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:float",
                                    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
                                    list("-+.0123456789"))


class _CoreConstructor(yaml.constructor.SafeConstructor):
    pass


_CoreConstructor.add_constructor("tag:yaml.org,2002:int", lambda c, node: int(c.construct_scalar(node)))
_CoreConstructor.add_constructor("tag:yaml.org,2002:float", lambda c, node: Decimal(c.construct_scalar(node)))
_CoreConstructor.add_constructor("tag:yaml.org,2002:bool",
                                 lambda c, node: c.construct_scalar(node).lower() == "true")


class _Composer(yaml.composer.Composer):
    """PyYAML's composer, refusing aliases. It is used even over libyaml's parser: libyaml's own
    composer recurses in C and crashes the process on deeply nested input, this one raises
    RecursionError."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            raise _AliasFound(self.peek_event().start_mark)
        return super().compose_node(parent, index)


class _AliasFound(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("alias")
        self.mark = mark


class _PyCoreLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                    _Composer, _CoreConstructor, _CoreResolver):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _Composer.__init__(self)
        _CoreConstructor.__init__(self)
        _CoreResolver.__init__(self)


_CoreLoader: type = _PyCoreLoader
try:  # libyaml scans ten times faster than the pure-Python scanner
    from yaml._yaml import CParser as _CParser

    class _CCoreLoader(_Composer, _CParser, _CoreConstructor, _CoreResolver):
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Composer.__init__(self)
            _CoreConstructor.__init__(self)
            _CoreResolver.__init__(self)

    _CoreLoader = _CCoreLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    pass


def parse_document(name: str, kind: Kind, raw: bytes) -> tuple[Document, list[BundleError]]:
    """Parse ``raw`` (YAML or JSON by the file's suffix); problems come back, they are never raised."""
    fmt: Format = "json" if name.lower().endswith(".json") else "yaml"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return _failed(name, kind, fmt), [problem(
            "bundle.E002", name, "$", line, "文件不是 UTF-8 编码", "the file is not UTF-8 text")]
    data, lines, problems = (_parse_json if fmt == "json" else _parse_yaml)(name, text)
    if any(_is_fatal(p) for p in problems):
        return _failed(name, kind, fmt, text, lines), problems
    if data is None:
        return _failed(name, kind, fmt, text), [problem("bundle.E010", name, "$", None, "文件是空的",
                                                        "the file is empty")]
    if _depth(data) > MAX_DEPTH:
        return _failed(name, kind, fmt, text), [_too_deep(name)]
    return Document(name, kind, fmt, data, lines, text=text), problems


def _is_fatal(p: BundleError) -> bool:
    """Duplicate and non-string keys are reported, yet the file still has a meaning worth checking."""
    return p.code not in _KEY_PROBLEMS


def _too_deep(name: str) -> BundleError:
    return problem("bundle.E003", name, "$", None, f"嵌套超过 {MAX_DEPTH} 层",
                   f"nested more than {MAX_DEPTH} levels deep")


def _failed(name: str, kind: Kind, fmt: Format, text: str = "",
            lines: Mapping[str, int] | None = None) -> Document:
    return Document(name, kind, fmt, None, lines or {}, parsed=False, text=text)


def _parse_yaml(name: str, text: str) -> tuple[Any, dict[str, int], list[BundleError]]:
    lines: dict[str, int] = {}
    problems: list[BundleError] = []
    loader = None
    try:
        loader = _CoreLoader(text)  # the pure-Python reader already refuses control characters here
        node = loader.get_single_node()
        if node is None:
            return None, lines, problems
        _walk(node, (), lines, problems, name)
        if any(_is_fatal(p) for p in problems):
            return None, lines, problems
        return loader.construct_document(node), lines, problems
    except _AliasFound as e:
        problems.append(problem("bundle.E006", name, "$", e.mark.line + 1, "不支持 YAML 锚点和别名 (*名称)",
                                "YAML anchors and aliases (*name) are not supported"))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        text_en = " ".join(p for p in (e.context, e.problem) if p)
        problems.append(problem("bundle.E003", name, "$", mark.line + 1 if mark else None,
                                f"YAML 语法错误: {text_en}", f"YAML syntax error: {text_en}"))
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        char = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        problems.append(problem("bundle.E003", name, "$", line, f"YAML 中有不允许的字符 {char}",
                                f"YAML syntax error: the character {char} is not allowed"))
    except RecursionError:
        problems.append(_too_deep(name))
    finally:
        if loader is not None:
            loader.dispose()
    return None, lines, problems


def _walk(node: Node, parts: tuple[PathPart, ...], lines: dict[str, int], problems: list[BundleError],
          name: str) -> None:
    """Record the line of every key and item, and report duplicate and non-string keys."""
    if len(parts) > MAX_DEPTH:
        return  # reported after construction
    lines.setdefault(json_path(parts), node.start_mark.line + 1)
    if node.tag not in _JSON_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        problems.append(problem("bundle.E003", name, parts, node.start_mark.line + 1,
                                f"不支持 YAML 标签 {tag}", f"the YAML tag {tag} is not supported"))
    elif isinstance(node, MappingNode):
        seen: set[str] = set()
        for i, (key_node, value_node) in enumerate(node.value):
            line = key_node.start_mark.line + 1
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "?"
                problems.append(problem("bundle.E007", name, parts + (str(shown),), line,
                                        f"键 {shown} 应为文本", f"key {shown} must be a string (quote it)"))
                # keep going with the key as text so later checks see ordinary string keys
                key_node = ScalarNode(_STR_TAG, str(shown), key_node.start_mark, key_node.end_mark)
                node.value[i] = (key_node, value_node)
            key = key_node.value
            if key in seen:
                problems.append(_duplicate_key(name, parts, key, line))
            seen.add(key)
            lines[json_path(parts + (key,))] = line
            _walk(value_node, parts + (key,), lines, problems, name)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, parts + (i,), lines, problems, name)


def _duplicate_key(name: str, parts: tuple[PathPart, ...], key: str, line: int | None) -> BundleError:
    if name.startswith("roles.") and parts == ("roles",):
        return problem("bundle.E052", name, parts + (key,), line, f"角色 {key} 重复定义",
                       f"role {key} is defined twice")
    return problem("bundle.E005", name, parts + (key,), line, f"键 {key} 重复出现",
                   f"key {key} appears twice")


def _parse_json(name: str, text: str) -> tuple[Any, dict[str, int], list[BundleError]]:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                duplicates.append(k)
            out[k] = v
        return out

    def constant(c: str) -> Any:
        raise ValueError(c)

    try:
        data = json.loads(text, parse_float=Decimal, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as e:
        return None, {}, [problem("bundle.E004", name, "$", e.lineno,
                                  f"JSON 格式错误: {e.msg} (第 {e.colno} 列)",
                                  f"malformed JSON: {e.msg} (column {e.colno})")]
    except ValueError as e:  # NaN / Infinity are not JSON
        return None, {}, [problem("bundle.E004", name, "$", None, f"JSON 格式错误: 不允许 {e}",
                                  f"malformed JSON: {e} is not allowed")]
    except RecursionError:
        return None, {}, [_too_deep(name)]
    # JSON carries no positions; valid JSON is also YAML 1.2, so the YAML composer recovers the lines.
    # A raw tab cannot occur inside a JSON string, so turning tabs into spaces changes no value.
    same, lines, problems = _parse_yaml(name, text.replace("\t", " "))
    if same == data and not any(_is_fatal(p) for p in problems):
        return data, lines, problems
    return data, {}, [problem("bundle.E005", name, "$", None, f"键 {k} 重复出现", f"key {k} appears twice")
                      for k in duplicates]


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
