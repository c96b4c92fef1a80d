"""OpenAI strict mode (response formats, strict tools; xAI response formats)
and xAI tool parameters."""

from __future__ import annotations

from typing import Any

from llmkit.errors import NotStrict
from llmkit.providers._schema._walk import (
    Json,
    _children,
    _close,
    _describe,
    _is_object,
    _memo,
    _no_arguments,
    _nodes,
    _strict_node,
)

# ---- OpenAI strict ---------------------------------------------------------------

_OPENAI_KEYS = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "anyOf", "enum",
     "const", "$ref", "$defs", "definitions", "description", "title", "pattern", "format",
     "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems",
     "maxItems"}
)  # fmt: skip
_OPENAI_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
# `default` is refused ("'default' is not permitted"); decoding restores it.
_OPENAI_DROP = frozenset({"default", "discriminator", "$schema", "$id", "$comment"})
# Documented limits (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas).
_MAX_PROPERTIES = 5000
_MAX_ENUM_VALUES = 1000
_MAX_DEPTH = 10


def _openai_keep(k: str, v: Any) -> bool:
    return k in _OPENAI_KEYS and (k != "format" or v in _OPENAI_FORMATS)


def openai_strict(schema: Json, *, tool: bool = False) -> Json:
    """`schema` as OpenAI's strict mode takes it (also xAI response formats);
    `NotStrict` if it cannot be (see the module docstring). `tool=True`: the
    schema is a tool's parameters (see `_no_arguments`)."""
    return _memo(_openai_strict, schema, tool)


def openai_response_schema(schema: Json, strict: bool) -> tuple[Json, bool]:
    """The schema and `strict` flag to send as an OpenAI/xAI response format
    (Chat `json_schema`, Responses `text.format`): strict in OpenAI's dialect,
    or, for a schema that dialect cannot express, the schema as given with
    `strict: false` (its meaning kept, not its guarantee; llmkit still
    validates the answer when it decodes it into a type)."""
    if not strict:
        return schema, False
    try:
        return openai_strict(schema), True
    except NotStrict:
        return schema, False


def _openai_strict(schema: Json, tool: bool) -> Json:
    schema = _no_arguments(schema) if tool else schema

    def node(s: Any, path: str) -> Any:
        if not isinstance(s, dict):
            raise NotStrict("OpenAI", "a boolean schema", path)
        s = _strict_node(s, schema, "OpenAI", path, _OPENAI_DROP)
        s = _describe(s, _openai_keep, _OPENAI_DROP)
        if s.get("type") == "array" and "items" not in s:
            raise NotStrict("OpenAI", "an array of anything (no items)", path)
        if _is_object(s):
            s = _close(s, "OpenAI", path, all_required=True)
        return _children(s, node, path)

    out: Json = node(schema, "#")
    if out.get("type") != "object":
        raise NotStrict("OpenAI", "a root that is not an object", "#")
    _check_limits(out)
    return out


def _depth(s: Any) -> int:
    """Object nesting levels inside one schema (definitions count apart)."""
    if not isinstance(s, dict):
        return 0
    subs = [
        *(s.get("properties") or {}).values(),
        *s.get("anyOf", ()),
        *([s["items"]] if isinstance(s.get("items"), dict) else []),
    ]
    inner = max((_depth(x) for x in subs), default=0)
    return inner + (1 if "properties" in s else 0)


def _check_limits(schema: Json) -> None:
    nodes = list(_nodes(schema))
    if sum(len(n.get("properties") or ()) for n in nodes) > _MAX_PROPERTIES:
        raise NotStrict("OpenAI", f"more than {_MAX_PROPERTIES} properties", "#")
    if sum(len(n.get("enum") or ()) for n in nodes) > _MAX_ENUM_VALUES:
        raise NotStrict("OpenAI", f"more than {_MAX_ENUM_VALUES} enum values", "#")
    roots = [schema, *(schema.get("$defs") or {}).values()]
    if max(_depth(r) for r in roots) > _MAX_DEPTH:
        raise NotStrict("OpenAI", f"more than {_MAX_DEPTH} levels of nesting", "#")


# ---- xAI tools -----------------------------------------------------------------------


def xai_tool(schema: Json) -> Json:
    """`schema` without `additionalProperties: false` anywhere: xAI rejects it
    in tool schemas that declare properties, and closes objects itself
    (vercel/ai `remove-additional-properties`;
    https://docs.x.ai/docs/guides/structured-outputs)."""
    return _memo(_xai_tool, schema, False)


def _xai_tool(schema: Json, tool: bool) -> Json:

    def node(s: Any, path: str) -> Any:
        if not isinstance(s, dict):
            return s
        s = {k: v for k, v in s.items() if not (k == "additionalProperties" and v is False)}
        return _children(s, node, path)

    out: Json = node(schema, "#")
    return out
