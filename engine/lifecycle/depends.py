"""``depends`` in app.yaml: the apps an app needs, each optionally with a version range.

```yaml
depends:
  - crm                              # any installed version
  - {app: crm, version: ">=1.2,<2"}  # a range (PEP 440 specifiers: >=, <, ==, !=, ~=, comma = and)
  - "crm>=1.2,<2"                    # the same, as one string
```
Ranges are read with ``packaging`` (SpecifierSet), versions of apps are semantic versions (1.2.0),
which it reads too. ``jimu check`` reports a malformed range (bundle.E055); ``jimu install`` refuses
an app whose dependencies are not installed at a matching version (install.E003), before it writes
anything. Dependencies are about install and uninstall order only: an entity cannot relate to
another app's entity yet (records of different apps are not joined).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# a name, then what follows it: "crm>=1.2,<2" -> ("crm", ">=1.2,<2")
_STRING_FORM = re.compile(r"^\s*([^\s<>=!~,]+)\s*(.*?)\s*$", re.S)


@dataclass(frozen=True)
class Dependency:
    app: str
    range: str  # "" when any version will do
    parts: tuple  # where in app.yaml: ("depends", i) or ("depends", i, "version")

    def allows(self, version: str) -> bool:
        if not self.range:
            return True
        try:
            return Version(version) in SpecifierSet(self.range)
        except (InvalidSpecifier, InvalidVersion):
            return False


def split(entry: Any, i: int) -> tuple[Any, str, tuple, tuple]:
    """(app name, range, parts of the name, parts of the range) of one ``depends`` entry as written."""
    if isinstance(entry, dict):
        rng = entry.get("version")
        return entry.get("app"), rng if isinstance(rng, str) else "", ("depends", i, "app"), ("depends", i, "version")
    if isinstance(entry, str):
        m = _STRING_FORM.match(entry)
        if m:
            return m.group(1), m.group(2), ("depends", i), ("depends", i)
    return entry, "", ("depends", i), ("depends", i)


def range_problem(rng: str) -> tuple[str, str] | None:
    """(zh, en) saying why ``rng`` is not a version range, or None when it is one."""
    if not rng:
        return None
    try:
        SpecifierSet(rng)
    except InvalidSpecifier:
        return (f"版本范围 {rng!r} 无效：写成如 \">=1.2,<2\" 的形式（>=、<、==、!=、~=，逗号表示“且”）",
                f"the version range {rng!r} is not valid: write it like \">=1.2,<2\" "
                "(>=, <, ==, !=, ~=; a comma means and)")
    return None


def dependencies(app_doc: dict | None) -> list[Dependency]:
    out = []
    for i, entry in enumerate((app_doc or {}).get("depends") or ()):
        name, rng, parts, _ = split(entry, i)
        if isinstance(name, str):
            out.append(Dependency(name, rng, parts))
    return out


def unmet(app_name: str, app_doc: dict | None, installed: dict[str, str]) -> list[dict]:
    """Each dependency of the app not installed (installed: None) or installed at a version outside its
    range, with a bilingual message naming the app, the range and the installed version."""
    from ..bundle.errors import json_path  # here: the bundle package imports this module

    out = []
    for dep in dependencies(app_doc):
        have = installed.get(dep.app)
        want = dep.range or "任意版本 / any version"
        if have is None:
            zh = f"{app_name} 依赖的应用 {dep.app} ({want}) 未安装：请先安装 {dep.app}"
            en = (f"{app_name} depends on {dep.app} ({dep.range or 'any version'}), which is not installed: "
                  f"install {dep.app} first")
        elif not dep.allows(have):
            zh = f"{app_name} 需要 {dep.app} {dep.range}，但已安装的是 {have}"
            en = f"{app_name} needs {dep.app} {dep.range}, but {dep.app} {have} is installed"
        else:
            continue
        out.append({"file": "app.yaml", "path": json_path(dep.parts), "app": dep.app,
                    "required": dep.range, "installed": have, "message": {"zh": zh, "en": en}})
    return out


def dependents(installed_docs: dict[str, dict], app: str) -> list[str]:
    """The installed apps (other than ``app``) whose app.yaml depends on ``app``."""
    return sorted(name for name, doc in installed_docs.items()
                  if name != app and any(d.app == app for d in dependencies(doc)))
