"""Every exception llmkit raises is defined in llmkit.errors and exported
from llmkit, so `except llmkit.X` works without knowing where X is raised."""

from __future__ import annotations

import importlib
import pkgutil

import llmkit
from llmkit.errors import LlmkitError


def _subclasses(cls: type) -> set[type]:
    out = set(cls.__subclasses__())
    for sub in list(out):
        out |= _subclasses(sub)
    return out


def test_every_llmkit_error_lives_in_errors_and_is_exported() -> None:
    for mod in pkgutil.walk_packages(llmkit.__path__, "llmkit."):
        importlib.import_module(mod.name)
    ours = [c for c in _subclasses(LlmkitError) if c.__module__.startswith("llmkit")]
    assert len(ours) > 20
    misplaced = sorted(c.__qualname__ for c in ours if c.__module__ != "llmkit.errors")
    assert misplaced == []
    missing = sorted(c.__name__ for c in ours if getattr(llmkit, c.__name__, None) is not c)
    assert missing == []
