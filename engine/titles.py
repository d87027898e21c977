"""Title templates: ``"{number} {customer.name}"`` names fields and relation paths in braces."""
from __future__ import annotations

import re
from typing import Callable

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class TitleSyntaxError(ValueError):
    pass


def title_paths(template: str) -> list[list[str]]:
    """``"{number} {customer.name}"`` -> ``[["number"], ["customer", "name"]]``; raises TitleSyntaxError
    for an unbalanced or empty placeholder."""
    paths: list[list[str]] = []
    depth_start: int | None = None
    for i, ch in enumerate(template):
        if ch == "{":
            if depth_start is not None:
                raise TitleSyntaxError(f"'{{' inside a placeholder at character {i + 1}")
            depth_start = i
        elif ch == "}":
            if depth_start is None:
                raise TitleSyntaxError(f"'}}' without '{{' at character {i + 1}")
            segments = [s.strip() for s in template[depth_start + 1 : i].split(".")]
            if not all(segments):
                raise TitleSyntaxError(f"empty name in placeholder at character {depth_start + 1}")
            paths.append(segments)
            depth_start = None
    if depth_start is not None:
        raise TitleSyntaxError(f"'{{' at character {depth_start + 1} is never closed")
    return paths


def render_title(template: str, value_of: Callable[[int], str]) -> str:
    """The template with its n-th placeholder replaced by ``value_of(n)``."""
    counter = iter(range(len(template)))
    return PLACEHOLDER.sub(lambda _m: value_of(next(counter)), template).strip()
