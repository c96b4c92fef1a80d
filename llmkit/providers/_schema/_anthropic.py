"""Claude `output_config.format` and strict tools."""

from __future__ import annotations

from typing import Any

from llmkit.errors import NotStrict
from llmkit.providers._schema._openai import _OPENAI_FORMATS
from llmkit.providers._schema._walk import (
    _TYPED,
    Json,
    _children,
    _close,
    _describe,
    _is_object,
    _is_recursive,
    _memo,
    _no_arguments,
    _strict_node,
)

# ---- Anthropic --------------------------------------------------------------------------

_CLAUDE_KEYS = frozenset(
    {"type", "enum", "const", "anyOf", "allOf", "$ref", "$defs", "definitions", "description",
     "title", "properties", "required", "additionalProperties", "items", "format", "minItems"}
)  # fmt: skip
_CLAUDE_FORMATS = _OPENAI_FORMATS | {"uri"}
_CLAUDE_DROP = frozenset({"discriminator", "$schema", "$id", "$comment"})
_PRIMITIVE = (str, int, float, bool, type(None))


def _claude_keep(k: str, v: Any) -> bool:
    if k == "format":
        return v in _CLAUDE_FORMATS
    if k == "minItems":
        return v in (0, 1)
    if k == "enum":
        return isinstance(v, list) and all(isinstance(x, _PRIMITIVE) for x in v)
    if k == "const":
        return isinstance(v, _PRIMITIVE)
    return k in _CLAUDE_KEYS


def anthropic_strict(schema: Json, *, tool: bool = False) -> Json:
    """`schema` as Claude's structured outputs and strict tools take it;
    `NotStrict` if it cannot be (recursion included: Claude refuses it).
    `tool=True`: the schema is a tool's parameters (see `_no_arguments`)."""
    return _memo(_anthropic_strict, schema, tool)


def _anthropic_strict(schema: Json, tool: bool) -> Json:
    schema = _no_arguments(schema) if tool else schema
    if _is_recursive(schema):
        raise NotStrict("Anthropic", "a recursive type", "#")

    def node(s: Any, path: str) -> Any:
        if not isinstance(s, dict):
            raise NotStrict("Anthropic", "a boolean schema", path)
        s = _strict_node(s, schema, "Anthropic", path, _CLAUDE_DROP)
        s = _describe(s, _claude_keep, _CLAUDE_DROP)
        if not s.keys() & _TYPED:  # e.g. a non-primitive enum moved away
            raise NotStrict("Anthropic", "a schema without a type Claude takes", path)
        if _is_object(s):
            s = _close(s, "Anthropic", path, all_required=False)
        return _children(s, node, path)

    out: Json = node(schema, "#")
    return out
