"""What every dialect shares: walking a schema, moving keywords into
`description`, inlining `$ref`s, closing objects, the `$ref` graph, and the
per-schema memo."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from llmkit.errors import NotStrict

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


# ---- the `$ref` graph -------------------------------------------------------------


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
