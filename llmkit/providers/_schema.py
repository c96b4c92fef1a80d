"""JSON Schema dialects: the subset each vendor's constrained decoding takes.

msgspec (and users) write standard JSON Schema; each vendor accepts only part
of it (each vendor's structured-output page, cited per dialect below). One
pure function per dialect returns a new schema and never mutates its input:

- `openai_strict`: OpenAI `strict: true` (response formats, strict tools) and
  xAI response formats. Every object closed (`additionalProperties: false`)
  with every property required; an optional property becomes a union with
  null (decoding maps that null back to the field's default), `default` goes.
  `openai_response_schema` adds the fallback for response formats: a schema
  it cannot express goes as given with `strict: false`.
- `xai_tool`: xAI tool parameters, always constrained by xAI; it rejects
  `additionalProperties: false` on objects with properties, and its objects
  are closed anyway, so that key goes.
- `anthropic_strict`: Claude `output_config.format` and `strict` tools, as the
  Anthropic SDK's `transform_schema` does: objects closed, `required` as
  given, `oneOf` -> `anyOf`.
- `gemini`: `responseJsonSchema`/`parametersJsonSchema`: `const` -> a one-value
  `enum`, enum values other than strings and numbers as `anyOf` branches, a
  `$ref` with sibling keywords wrapped in `anyOf`.

A keyword a dialect does not take is moved into `description` as
`{key: value}` (what Anthropic's SDK does): the model still reads it, and
llmkit's decoding still enforces it for a `response_format` type or a tool's
parameters. That makes the schema looser, never narrower. What a dialect
cannot express without losing values the schema accepts (a free-form dict
or a required key without a schema under a closed-object rule, tuples, a
multi-branch `allOf`, a keyword given both beside and inside an `allOf` or
`$ref`, recursion on Claude, `{}` = anything) raises `NotStrict` before any I/O; callers then send
the schema unchanged without strict mode, or refuse (see each provider).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from llmkit.errors import NotStrict as NotStrict  # defined in errors; kept importable here

Json = dict[str, Any]


# Keywords whose values are sub-schemas: by name, in a list, or alone.
_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"})
_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_ONE = frozenset(
    {"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"}
)
_TYPED = frozenset({"type", "anyOf", "oneOf", "allOf", "enum", "const", "$ref"})
# Annotations, which constrain nothing: either side's may stand when merging.
_NOTES = frozenset({"description", "title", "default", "examples", "$comment"})
_NULL = {"type": "null"}


def _children(node: Json, f: Callable[[Any, str], Any], path: str) -> Json:
    """`node` with `f` applied to each direct sub-schema (a new dict)."""
    out: Json = {}
    for k, v in node.items():
        if k in _MAPS and isinstance(v, dict):
            out[k] = {n: f(s, f"{path}/{k}/{n}") for n, s in v.items()}
        elif k in _LISTS and isinstance(v, list):
            out[k] = [f(s, f"{path}/{k}/{i}") for i, s in enumerate(v)]
        elif k in _ONE and isinstance(v, dict):
            out[k] = f(v, f"{path}/{k}")
        else:
            out[k] = v
    return out


def _nodes(node: Any) -> Iterator[Json]:
    """Every sub-schema, `node` included."""
    if not isinstance(node, dict):
        return
    yield node
    for k, v in node.items():
        if k in _MAPS and isinstance(v, dict):
            for s in v.values():
                yield from _nodes(s)
        elif k in _LISTS and isinstance(v, list):
            for s in v:
                yield from _nodes(s)
        elif k in _ONE:
            yield from _nodes(v)


def _describe(node: Json, keep: Callable[[str, Any], bool], drop: frozenset[str]) -> Json:
    """Keys `keep` refuses moved into `description` as `{key: value, ...}`;
    keys in `drop` removed."""
    kept = {k: v for k, v in node.items() if keep(k, v)}
    moved = [(k, v) for k, v in node.items() if k not in kept and k not in drop]
    if moved:
        note = "{" + ", ".join(f"{k}: {msgspec.json.encode(v).decode()}" for k, v in moved) + "}"
        desc = kept.get("description")
        kept["description"] = f"{desc}\n\n{note}" if isinstance(desc, str) and desc else note
    return kept


def _resolve(root: Json, ref: str, dialect: str, path: str) -> Json:
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
            target = root.get(prefix[2:-1], {}).get(name)
            if isinstance(target, dict):
                return target
    raise NotStrict(dialect, f"a $ref this schema does not define ({ref})", path)


def _inline_ref(node: Json, root: Json, dialect: str, path: str, drop: frozenset[str]) -> Json:
    """A `$ref` with sibling keywords (a description) becomes the definition
    itself with those keywords over it, as OpenAI's SDK does: vendors take
    only a bare `$ref`."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not (node.keys() - drop - {"$ref"}):
        return node
    target = _resolve(root, ref, dialect, path)
    if "$ref" in target:  # a definition that is itself a reference: keep it bare
        return {"$ref": ref}
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    return {**_merged(siblings, target, dialect, path), **siblings}


def _structural(node: Json, dialect: str, path: str) -> Json:
    """The checks and rewrites every strict dialect shares: a single-branch
    `allOf` unwrapped, `oneOf` as `anyOf`, and a refusal of what cannot be
    kept (tuples, free keys, several `allOf` branches, anything-goes)."""
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        rest = {k: v for k, v in node.items() if k != "allOf"}
        node = {**rest, **_merged(rest, all_of[0], dialect, path)}
    if "oneOf" in node and "anyOf" not in node:
        node = {("anyOf" if k == "oneOf" else k): v for k, v in node.items()}
    for key, why in _REFUSED.items():
        if key in node:
            raise NotStrict(dialect, why, path)
    if not node.keys() & _TYPED:
        raise NotStrict(dialect, "a schema without a type (it accepts anything)", path)
    return node


def _merged(outer: Json, inner: Json, dialect: str, path: str) -> Json:
    """`inner`, to be laid over `outer` where both must hold (an allOf branch,
    a `$ref` target): a keyword both give differently would lose one side's
    constraint, so that is refused; annotations may differ."""
    clash = sorted(k for k in outer.keys() & inner.keys() - _NOTES if outer[k] != inner[k])
    if clash:
        raise NotStrict(dialect, f"{', '.join(clash)} both beside and inside an allOf/$ref", path)
    return inner


def _strict_node(s: Json, root: Json, dialect: str, path: str, drop: frozenset[str]) -> Json:
    s = _structural(s, dialect, path)
    inlined = _inline_ref(s, root, dialect, path, drop)
    return s if inlined is s else _structural(inlined, dialect, path)


_REFUSED = {
    "prefixItems": "a tuple (prefixItems)",
    "patternProperties": "an object with pattern-named keys",
    "allOf": "an allOf of several schemas",
    "oneOf": "both oneOf and anyOf on one schema",
}


def _close(node: Json, dialect: str, path: str, all_required: bool) -> Json:
    """An object with `additionalProperties: false`; with `all_required`,
    every property required and the optional ones nullable."""
    props = node.get("properties")
    extra = node.get("additionalProperties", True)
    if (not isinstance(props, dict) and extra is not False) or isinstance(extra, dict):
        raise NotStrict(dialect, "an object with free-form keys (a dict)", path)
    if not isinstance(props, dict):
        return node
    free = [k for k in node.get("required", ()) if k not in props]
    if free:  # a required key of any value: closing the object would forbid it
        raise NotStrict(dialect, f"required keys without a schema ({', '.join(free)})", path)
    out = {**node, "additionalProperties": False}
    if all_required:
        given = [k for k in node.get("required", ()) if k in props]
        req = set(given)
        out["properties"] = {k: v if k in req else _nullable(v) for k, v in props.items()}
        out["required"] = [*given, *(k for k in props if k not in req)]  # given order first
    return out


def _no_arguments(schema: Json) -> Json:
    """A tool's bare `{"type": "object"}` is a tool without arguments (as
    vendors' examples write it), not a free-form dict."""
    open_keys = {"properties", "additionalProperties", "patternProperties"}
    if schema.get("type") == "object" and not schema.keys() & open_keys:
        return {**schema, "properties": {}}
    return schema


def _accepts_null(s: Any) -> bool:
    if not isinstance(s, dict):
        return s is True
    t = s.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    if None in s.get("enum", ()) or ("const" in s and s["const"] is None):
        return True
    return any(_accepts_null(b) for b in (*s.get("anyOf", ()), *s.get("oneOf", ())))


def _nullable(s: Any) -> Any:
    if _accepts_null(s) or not isinstance(s, dict):
        return s
    if isinstance(s.get("anyOf"), list):
        return {**s, "anyOf": [*s["anyOf"], dict(_NULL)]}
    desc = s.get("description")
    inner = {k: v for k, v in s.items() if k != "description"}
    out: Json = {"anyOf": [inner, dict(_NULL)]}
    if desc is not None:
        out["description"] = desc
    return out


def _is_object(node: Json) -> bool:
    t = node.get("type")
    return t == "object" or (isinstance(t, list) and "object" in t) or "properties" in node


# The same schemas go out with every request: each dialect's result is kept
# per schema (by its JSON), and every caller gets a fresh copy.
_encode = msgspec.json.Encoder().encode
_Dialect = Callable[[Json, bool], Json]


def _memo(f: _Dialect, schema: Json, tool: bool) -> Json:
    try:
        key = _encode(schema)
    except (TypeError, ValueError):  # not JSON: let the request encoder say so later
        return f(schema, tool)
    out: Json = msgspec.json.decode(_converted(f, key, tool))
    return out


@functools.lru_cache(maxsize=256)
def _converted(f: _Dialect, key: bytes, tool: bool) -> bytes:
    return _encode(f(msgspec.json.decode(key), tool))


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


def _refs(s: Any) -> set[str]:
    return {n["$ref"] for n in _nodes(s) if isinstance(n.get("$ref"), str)}


def _ref_graph(schema: Json) -> dict[str, set[str]]:
    """Which `$ref`s the root (`#`) and each definition contain."""
    defs = {
        f"#/{k}/{n}": v for k in ("$defs", "definitions") for n, v in (schema.get(k) or {}).items()
    }
    graph = {ref: _refs(d) for ref, d in defs.items()}
    graph["#"] = _refs({k: v for k, v in schema.items() if k not in ("$defs", "definitions")})
    return graph


def _reachable(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        ref = todo.pop()
        if ref not in seen:
            seen.add(ref)
            todo.extend(graph.get(ref, ()))
    return seen


def _is_recursive(schema: Json) -> bool:
    """Whether a `$ref` reachable from the root leads back to itself."""
    g = _ref_graph(schema)
    return any(r in _reachable(g, g.get(r, set())) for r in {"#", *_reachable(g, g["#"])})


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
