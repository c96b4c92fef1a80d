"""Gemini `responseJsonSchema` / `parametersJsonSchema`."""

from __future__ import annotations

from typing import Any

from llmkit.providers._schema._walk import (
    _NULL,
    Json,
    _children,
    _describe,
    _memo,
    _reachable,
    _ref_graph,
    _refs,
)

# ---- Gemini ----------------------------------------------------------------------------

_GEMINI_KEYS = frozenset(
    {"$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum",
     "items", "prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf",
     "properties", "additionalProperties", "required", "propertyOrdering"}
)  # fmt: skip
_GEMINI_DROP = frozenset({"default", "discriminator", "$schema", "$comment"})


def _gemini_enum(s: Json) -> Json:
    """`const` as a one-value enum; enum values Gemini does not take (null,
    booleans) as `anyOf` branches beside the string/number ones."""
    if "const" in s:
        s = {**{k: v for k, v in s.items() if k != "const"}, "enum": [s["const"]]}
    values = s.get("enum")
    if not isinstance(values, list):
        return s
    plain = [v for v in values if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    if len(plain) == len(values):
        return s
    if any(isinstance(v, (dict, list)) for v in values):  # no way to say these: looser
        return _describe(s, lambda k, v: k != "enum", frozenset())
    rest = {k: v for k, v in s.items() if k not in ("enum", "type")}
    branches: list[Json] = [{"enum": plain}] if plain else []
    if None in values:
        branches.append(dict(_NULL))
    if any(isinstance(v, bool) for v in values):
        branches.append({"type": "boolean"})
    return {**rest, "anyOf": branches} if len(branches) > 1 else {**rest, **branches[0]}


def gemini(schema: Json) -> Json:
    """`schema` in the subset Gemini's `responseJsonSchema` and
    `parametersJsonSchema` honour (https://ai.google.dev/gemini-api/docs/structured-output#json-schema-support)."""
    return _memo(_gemini, schema, False)


_OLD_DEFS = "#/definitions/"


def _gemini(schema: Json, tool: bool) -> Json:
    # Gemini resolves `$defs` only: older generators' `definitions` (pydantic v1)
    # would go into the description and leave every `$ref` to them dangling.
    old = isinstance(schema.get("definitions"), dict) and "$defs" not in schema
    if old:
        schema = {("$defs" if k == "definitions" else k): v for k, v in schema.items()}

    def node(s: Any, path: str) -> Any:
        if not isinstance(s, dict):
            return s
        ref = s.get("$ref")
        if old and isinstance(ref, str) and ref.startswith(_OLD_DEFS):
            s = {**s, "$ref": "#/$defs/" + ref[len(_OLD_DEFS) :]}
        s = _describe(_gemini_enum(s), lambda k, v: k in _GEMINI_KEYS, _GEMINI_DROP)
        if isinstance(s.get("items"), bool):  # `items: false` after prefixItems
            s = {k: v for k, v in s.items() if k != "items"}
        siblings = {k: v for k, v in s.items() if k != "$ref" and not k.startswith("$")}
        if "$ref" in s and siblings:  # a $ref may only have `$...` siblings
            bare = {k: v for k, v in s.items() if k not in siblings}
            s = {"anyOf": [bare], **siblings}
        return _children(s, node, path)

    return _cycles_not_required(node(schema, "#"))


def _cycles_not_required(schema: Json) -> Json:
    """Gemini takes a cycle only through properties that are not required
    (https://ai.google.dev/gemini-api/docs/structured-output#json-schema-support):
    a required property leading back to its own object is made optional. A
    model may then leave it out; it rarely does, and a field without a default
    that is left out fails to decode, typed."""
    g = _ref_graph(schema)

    def fix(ref: str, d: Any) -> Any:
        req, props = d.get("required"), d.get("properties")
        if not isinstance(req, list) or not isinstance(props, dict):
            return d
        keep = [p for p in req if ref not in _reachable(g, _refs(props.get(p)))]
        return d if len(keep) == len(req) else {**d, "required": keep}

    out: Json = fix("#", schema)
    for k in ("$defs", "definitions"):
        if isinstance(out.get(k), dict):
            out = {**out, k: {n: fix(f"#/{k}/{n}", d) for n, d in out[k].items()}}
    return out
