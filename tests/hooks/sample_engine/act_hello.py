"""An action from an engine (issue 12 item 8): ``sample.hello`` greets the triggering record by title."""
from __future__ import annotations

from engine.actions import Action


def _hello(config: dict, ctx) -> str:
    return f"{config.get('greeting', 'hello')}, {ctx.record()['title']}"


def add_actions(registry) -> None:
    registry.register(Action("sample.hello", {"type": "object", "properties": {"greeting": {"type": "string"}}},
                             _hello, label={"zh": "问候", "en": "Hello"}))
