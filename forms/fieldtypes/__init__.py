"""The form engine's field types beyond the kernel's: long and rich text, email, phone, web address,
percent, rating, time, multi-select, cascade, member and department.

One module per family; this one registers them (``add_field_types``) and their pipeline checks
(``register``), and offers what other parts reuse: ``allowed_options`` (the options a cascade field
offers for a record), ``resolve_text`` and ``display_texts`` (members and departments by name, for
imports and exports).
"""
from __future__ import annotations

from . import choice_kinds, numeric_kinds, people_kinds, text_kinds, time_kind
from .choice_kinds import allowed_options
from .people_kinds import display_texts, resolve_text

_FAMILIES = (text_kinds, numeric_kinds, time_kind, choice_kinds, people_kinds)


def add_field_types(registry) -> None:
    for family in _FAMILIES:
        for ftype in family.FIELD_TYPES:
            registry.register(ftype)


def register(runtime) -> None:
    runtime.pipeline.on("check", choice_kinds.check_cascades)
    runtime.pipeline.on("check", people_kinds.check_members)


__all__ = ["add_field_types", "register", "allowed_options", "resolve_text", "display_texts"]
