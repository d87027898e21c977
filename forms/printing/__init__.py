"""Print templates: a record printed to PDF through an entity's ``print_templates``.

    templates.py   the sandboxed Jinja2 environment, rendering and its errors
    context.py     what a template sees (the record as the reader may read it, formatted)
    formatting.py  values for people: money, numbers, dates, options, titles
    pdf.py         HTML to PDF (fpdf2) with the bundled font
    fonts.py       where the bundled Noto Sans SC / Noto Serif SC files are
    api.py         the routes

At bundle load, ``check_app`` parses every template, so a syntax error is reported with the
entity's file and the template's path before the app is installed.
"""
from __future__ import annotations


def register(runtime) -> None:
    from .api import router

    runtime.routers.append(router)


def check_app(app, field_types) -> list[tuple[str, tuple, str, str]]:
    """(entity, JSON path parts, zh, en) for each template that does not parse or repeats a name."""
    from .templates import syntax_problem

    out = []
    for ent in app.entities.values():
        seen: set[str] = set()
        for i, t in enumerate(ent.definition.get("print_templates") or ()):
            name = t.get("name", "")
            if name in seen:
                out.append((ent.name, ("print_templates", i, "name"), f"打印模板名称 {name} 重复",
                            f"the print template name {name} is used twice"))
            seen.add(name)
            found = syntax_problem(t.get("html") or "")
            if found is not None:
                line, text = found
                out.append((ent.name, ("print_templates", i, "html"),
                            f"打印模板 {name} 第 {line} 行有语法错误: {text}",
                            f"print template {name} has a syntax error at line {line}: {text}"))
    return out
