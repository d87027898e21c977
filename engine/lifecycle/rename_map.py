"""The renames of one upgrade as lookups: what a stored name (an entity, a field, a path through
relations, a record's changes) becomes. Shared by the kernel's rewrite of its platform tables
(renames.py) and the engines' ``follow_renames`` hooks, so every table reads names the same way.

Rows store OLD entity names; ``fields`` is keyed by the NEW entity name (as the bundle declares it).
A name is rewritten only where it IS the renamed name, in the entity it belongs to: ``amount`` renamed
leaves ``amount_due`` alone, and a field of the same name in another entity or app as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass
class RenameMap:
    app: str
    entities: dict[str, str]  # old entity name -> new
    fields: dict[str, dict[str, str]]  # NEW entity name -> {old field -> new}; "lines.qty" for columns
    relations: dict[tuple[str, str], str] = field(default_factory=dict)  # (new entity, new field) -> new target

    @classmethod
    def of(cls, runtime, app: str, entities: Mapping[str, str], fields: Mapping[str, Mapping[str, str]]) -> "RenameMap":
        out = cls(app, dict(entities or {}), {e: dict(m) for e, m in (fields or {}).items() if m})
        inst = runtime.apps.get(app)
        # relations as the loaded app has them, named the new way, so a saved path like
        # "customer.credit_limit" follows a rename of Customer's field. During an upgrade that is the
        # installed app; the upgraded one gives the same pairs (its names are already new), save where
        # a new name is also another entity's or field's old name
        for ent in inst.compiled.entities.values() if inst is not None else ():
            new_ent = out.entity(ent.name)
            for f in ent.fields:
                if f.relation_to:
                    out.relations[(new_ent, out.field(new_ent, f.name))] = out.entity(f.relation_to)
        return out

    @property
    def old_names(self) -> list[str]:
        """The stored entity names whose rows may change: renamed entities, and those with renamed fields."""
        back = {new: old for old, new in self.entities.items()}
        return sorted(set(self.entities) | {back.get(e, e) for e in self.fields})

    def field_renames_by_old_entity(self) -> dict[str, dict[str, str]]:
        """The field renames keyed by the entity name the rows still store."""
        back = {new: old for old, new in self.entities.items()}
        return {back.get(e, e): renames for e, renames in self.fields.items()}

    def entity(self, stored: str) -> str:
        return self.entities.get(stored, stored)

    def field(self, entity: str, name: str) -> str:
        """A field (or "sub.column") of ``entity`` (its new name) as it is called now."""
        own = self.fields.get(entity)
        if not own or not isinstance(name, str):
            return name
        if name in own:
            return own[name]
        if "." in name:  # a sub-table column: the sub-table may be renamed, the column too
            sub, col = name.split(".", 1)
            new_sub = own.get(sub, sub)
            return f"{new_sub}.{self.column(entity, sub, col)}"
        return name

    def column(self, entity: str, sub: str, col: str) -> str:
        """A column of the sub-table field ``sub`` (its OLD name) of ``entity``."""
        own = self.fields.get(entity) or {}
        renamed = own.get(f"{sub}.{col}")
        if renamed is None:
            return col
        return renamed.split(".", 1)[1] if "." in renamed else renamed

    def has_columns(self, entity: str, sub: str) -> bool:
        return any(k.startswith(sub + ".") for k in self.fields.get(entity) or ())

    def path(self, entity: str, path: str) -> str:
        """A filter or sort path (``customer.credit_limit``) from ``entity``, through relations."""
        if not isinstance(path, str) or not path:
            return path
        sign = path[0] if path[0] in "+-" else ""
        parts = path[len(sign):].split(".")
        out, current = [], entity
        for i, part in enumerate(parts):
            if current is None:  # past something that is not a relation we know: left as it was
                out.extend(parts[i:])
                break
            name = self.field(current, part)
            out.append(name)
            current = self.relations.get((current, name))
        return sign + ".".join(out)

    def changes(self, entity: str, changes: Any) -> Any:
        """A record's field -> value mapping (audit changes, payload values): keys renamed, and the
        column keys inside a sub-table's rows (values [old, new] pairs or row lists alike)."""
        if not isinstance(changes, dict) or entity not in self.fields:
            return changes
        out = {}
        for k, v in changes.items():
            if isinstance(k, str) and self.has_columns(entity, k):
                v = self._rows(entity, k, v)
            out[self.field(entity, k)] = v
        return out

    def _rows(self, entity: str, sub: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self._rows(entity, sub, v) for v in value]
        if isinstance(value, dict):
            return {self.column(entity, sub, k) if isinstance(k, str) else k: v for k, v in value.items()}
        return value

    def payload(self, payload: Any, entity: str | None = None) -> Any:
        """An event's or job's payload naming the app's records: ``{app?, entity?, field?, fields?,
        changes?, values?}``. ``entity`` is the stored entity the row is about (its column), used when
        the payload names none; a payload naming another app is left alone."""
        if not isinstance(payload, dict):
            return payload
        if "app" in payload and payload["app"] != self.app:
            return payload
        out = dict(payload)
        stored = payload.get("entity") if isinstance(payload.get("entity"), str) else entity
        if isinstance(payload.get("entity"), str):
            out["entity"] = self.entity(payload["entity"])
        if stored is None:
            return out
        new = self.entity(stored)
        if isinstance(payload.get("field"), str):
            out["field"] = self.field(new, payload["field"])
        fs = payload.get("fields")
        if isinstance(fs, list):
            out["fields"] = [self.field(new, f) if isinstance(f, str) else f for f in fs]
        elif isinstance(fs, dict):
            out["fields"] = self.changes(new, fs)
        for key in ("changes", "values"):
            if isinstance(payload.get(key), dict):
                out[key] = self.changes(new, payload[key])
        return out
