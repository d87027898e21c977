"""A test engine that uses every engine hook (engine/plugins.py), joined through JIMU_EXTRA_ENGINES.

Like forms/engine.py it only gathers its parts: each part is a module of this package offering any
of the hooks, found by listing the package, so each hook's test adds a file and no line here."""
from __future__ import annotations

import importlib
import pkgutil


def _parts():
    return [importlib.import_module(f"{__name__}.{m.name}") for m in sorted(pkgutil.iter_modules(__path__),
                                                                            key=lambda m: m.name)]


def __getattr__(name: str):
    """Any hook: call every part's hook of that name; list results are joined, dicts merged, and
    None when no part returns anything. A name no part offers is missing, as for any engine."""
    if name.startswith("_"):
        raise AttributeError(name)
    found = [getattr(p, name) for p in _parts() if hasattr(p, name)]
    if not found:
        raise AttributeError(name)

    def call(*args, **kwargs):
        results = [f(*args, **kwargs) for f in found]
        results = [r for r in results if r is not None]
        if not results:
            return None
        if all(isinstance(r, dict) for r in results):
            return {k: v for r in results for k, v in r.items()}
        if all(isinstance(r, (list, tuple)) for r in results):
            return [x for r in results for x in r]
        if len(results) == 1:
            return results[0]
        return results

    return call
