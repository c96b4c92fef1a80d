"""Schema dialects (llmkit/providers/_schema/) over generated Struct types.

For any Struct type hypothesis builds (nested Structs, Optional, defaults,
lists, dicts, str-enums, Literal, constrained ints and strings, tagged unions,
a recursive type) and any value of it:
- each dialect's schema obeys that vendor's rules (its structured-output docs), checked
  by a plain function per vendor written from the rules, not from the code;
- what a dialect cannot express raises NotStrict, and only that;
- the value's JSON, as a model obeying the normalized schema sends it (every
  key present; for OpenAI strict, `null` for fields left at their default),
  is valid for the normalized schema and decodes back to an equal value.
"""

from __future__ import annotations

import copy
import datetime
import enum
import itertools
import re
from typing import Annotated, Any, Literal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.providers._schema import (
    NotStrict,
    anthropic_strict,
    gemini,
    openai_response_schema,
    openai_strict,
    xai_tool,
)
from llmkit.structured import decode_as
from llmkit.tools import json_schema

Json = dict[str, Any]

# ---- generated Struct types and their values ----------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Tree(msgspec.Struct, frozen=True):
    label: str
    children: list[Tree] = []


class Chain(msgspec.Struct, frozen=True):
    value: int
    next: Chain | None  # required: a cycle Gemini takes only through optional properties


class Case(msgspec.Struct, frozen=True):
    """A generated type, a strategy for its values, and what it contains."""

    tp: Any
    values: Any  # st.SearchStrategy
    has_dict: bool = False
    recursive: bool = False
    default: Any = msgspec.UNSET  # a default a field of this type may take


_names = itertools.count()
trees = st.recursive(
    st.builds(Tree, label=st.text(max_size=3)),
    lambda inner: st.builds(Tree, label=st.text(max_size=3), children=st.lists(inner, max_size=2)),
    max_leaves=4,
)
chains = st.recursive(
    st.builds(Chain, value=st.integers(0, 9), next=st.none()),
    lambda inner: st.builds(Chain, value=st.integers(0, 9), next=inner),
    max_leaves=3,
)
_LEAVES = [
    Case(tp=int, values=st.integers(-(2**40), 2**40), default=7),
    Case(tp=str, values=st.text(max_size=5), default="x"),
    Case(tp=bool, values=st.booleans(), default=False),
    Case(tp=float, values=st.floats(allow_nan=False, allow_infinity=False), default=0.5),
    Case(tp=Literal["a", "b"], values=st.sampled_from(["a", "b"]), default="b"),
    Case(tp=Color, values=st.sampled_from(Color), default=Color.GREEN),
    Case(
        tp=Annotated[Color, msgspec.Meta(description="a colour")],  # a $ref with a sibling
        values=st.sampled_from(Color),
        default=Color.RED,
    ),
    Case(tp=Annotated[int, msgspec.Meta(ge=0, le=10)], values=st.integers(0, 10), default=3),
    Case(tp=Annotated[str, msgspec.Meta(max_length=3)], values=st.text(max_size=3), default=""),
    Case(tp=Annotated[float, msgspec.Meta(gt=0)], values=st.floats(1e-6, 1e6), default=1.0),
    Case(tp=datetime.date, values=st.dates(), default=datetime.date(2026, 1, 1)),
    Case(tp=bytes, values=st.binary(max_size=4), default=b""),
    Case(tp=Tree, values=trees, recursive=True),
    Case(tp=Chain, values=chains, recursive=True),
]


def _field(draw: st.DrawFn, name: str, c: Case) -> tuple[Any, ...]:
    if not draw(st.booleans()):
        return (name, c.tp)
    if c.default is not msgspec.UNSET:
        return (name, c.tp, c.default)
    origin = getattr(c.tp, "__origin__", None)
    if origin in (list, dict):
        return (name, c.tp, msgspec.field(default_factory=origin))
    return (name, c.tp)


def _struct(draw: st.DrawFn, depth: int, tag: str | None = None) -> Case:
    cases = [draw(types(depth + 1)) for _ in range(draw(st.integers(0, 3)))]
    names = [f"f{i}" for i in range(len(cases))]
    fields = [_field(draw, n, c) for n, c in zip(names, cases, strict=True)]
    opts: dict[str, Any] = {"kw_only": True, "frozen": True}
    opts["forbid_unknown_fields"] = draw(st.booleans())  # `additionalProperties: false`
    if tag is not None:
        opts.update(tag=tag, tag_field="kind")
    cls = msgspec.defstruct(f"S{next(_names)}", fields, **opts)
    values = st.builds(cls, **{n: c.values for n, c in zip(names, cases, strict=True)})
    return Case(
        tp=cls,
        values=values,
        has_dict=any(c.has_dict for c in cases),
        recursive=any(c.recursive for c in cases),
    )


@st.composite
def types(draw: st.DrawFn, depth: int = 0) -> Case:
    # dicts rarely, so that most roots can be strict for OpenAI and Claude
    kinds = ["leaf"] * 3 + ["list", "optional", "struct", "union"] * 2 + ["dict"]
    kind = draw(st.sampled_from(kinds[:1] if depth >= 3 else kinds))
    if kind == "leaf":
        return draw(st.sampled_from(_LEAVES))
    if kind == "struct":
        return _struct(draw, depth)
    if kind == "union":
        a, b = _struct(draw, depth, tag="A"), _struct(draw, depth, tag="B")
        return Case(
            tp=a.tp | b.tp,
            values=a.values | b.values,
            has_dict=a.has_dict or b.has_dict,
            recursive=a.recursive or b.recursive,
        )
    inner = draw(types(depth + 1))
    if kind == "list":
        return msgspec.structs.replace(
            inner, tp=list[inner.tp], values=st.lists(inner.values, max_size=2), default=[]
        )  # msgspec allows an empty list as a default
    if kind == "dict":
        values = st.dictionaries(st.text(max_size=3), inner.values, max_size=2)
        return msgspec.structs.replace(inner, tp=dict[str, inner.tp], values=values, has_dict=True)
    return msgspec.structs.replace(
        inner, tp=inner.tp | None, values=st.none() | inner.values, default=None
    )


@st.composite
def roots(draw: st.DrawFn) -> tuple[Case, Any]:
    """A Struct type (a schema root must be an object) and a value of it."""
    case = _struct(draw, 0)
    return case, draw(case.values)


# ---- what a model obeying the schema sends ------------------------------------------------------


def _accepts_none(tp: Any) -> bool:
    try:
        msgspec.convert(None, tp)
    except msgspec.ValidationError:
        return False
    return True


def as_sent(draw: st.DrawFn, value: Any, nulls: bool) -> Any:
    """`value` as JSON builtins with every field present; with `nulls`, a
    field left at its default may come as null (OpenAI strict)."""
    if isinstance(value, msgspec.Struct):
        out: Json = {}
        info = msgspec.structs.fields(value)
        tag = type(value).__struct_config__
        if tag.tag_field is not None:
            out[tag.tag_field] = tag.tag
        for f in info:
            v = getattr(value, f.name)
            default = (
                f.default if f.default is not msgspec.NODEFAULT
                else f.default_factory() if f.default_factory is not msgspec.NODEFAULT
                else msgspec.NODEFAULT
            )  # fmt: skip
            at_default = default is not msgspec.NODEFAULT and v == default
            if nulls and at_default and not _accepts_none(f.type) and draw(st.booleans()):
                out[f.encode_name] = None
            else:
                out[f.encode_name] = as_sent(draw, v, nulls)
        return out
    if isinstance(value, list):
        return [as_sent(draw, v, nulls) for v in value]
    if isinstance(value, dict):
        return {k: as_sent(draw, v, nulls) for k, v in value.items()}
    return msgspec.to_builtins(value)


# ---- a small validator for the keywords the dialects keep ---------------------------------------


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def valid(v: Any, s: Any, root: Json) -> bool:
    """Whether `v` is valid for `s` (the keywords msgspec and the dialects use;
    constraints moved into descriptions are not checked, as vendors will not)."""
    if isinstance(s, bool):
        return s
    if "$ref" in s:
        name = s["$ref"].removeprefix("#/$defs/")
        return valid(v, root["$defs"][name], root) and valid(
            v, {k: x for k, x in s.items() if k != "$ref"}, root
        )
    t = s.get("type")
    if t is not None and not any(_TYPES[x](v) for x in ([t] if isinstance(t, str) else t)):
        return False
    if "enum" in s and not any(v == e and type(v) is type(e) for e in s["enum"]):
        return False
    if "const" in s and v != s["const"]:
        return False
    if "anyOf" in s and not any(valid(v, b, root) for b in s["anyOf"]):
        return False
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        return False
    if "maximum" in s and isinstance(v, (int, float)) and v > s["maximum"]:
        return False
    if isinstance(v, list):
        if len(v) < s.get("minItems", 0) or len(v) > s.get("maxItems", len(v)):
            return False
        if "items" in s and not all(valid(x, s["items"], root) for x in v):
            return False
    if isinstance(v, dict):
        props = s.get("properties", {})
        if not set(s.get("required", ())) <= v.keys():
            return False
        extra = s.get("additionalProperties", True)
        for k, x in v.items():
            if not valid(x, props.get(k, extra), root):
                return False
    return True


# ---- each vendor's rules, from its structured-output docs ------------------------------


def nodes(s: Any) -> list[Json]:
    if not isinstance(s, dict):
        return []
    out = [s]
    for k, v in s.items():
        if k in ("properties", "$defs") and isinstance(v, dict):
            out += [n for x in v.values() for n in nodes(x)]
        elif k in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(v, list):
            out += [n for x in v for n in nodes(x)]
        elif k in ("items", "additionalProperties", "not"):
            out += nodes(v)
    return out


def is_object(n: Json) -> bool:
    return n.get("type") == "object" or "properties" in n


OPENAI_KEYS = {
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum",
    "const", "$ref", "$defs", "description", "title", "pattern", "format", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
}  # fmt: skip


def openai_rules(s: Json) -> None:
    """7.1: root an object; every object closed with every key required;
    only supported keywords (no `default`); a `$ref` alone."""
    assert s.get("type") == "object"
    for n in nodes(s):
        assert n.keys() <= OPENAI_KEYS, n.keys() - OPENAI_KEYS
        assert n.keys() & {"type", "anyOf", "enum", "const", "$ref"}, n
        if is_object(n):
            assert n["additionalProperties"] is False, n
            assert n["required"] == [*n["required"]] and set(n["required"]) == set(n["properties"])
        if "$ref" in n:
            assert n.keys() == {"$ref"}, n
        assert n.get("format", "date") in FORMATS, n


FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
CLAUDE_KEYS = {
    "type", "enum", "const", "anyOf", "allOf", "$ref", "$defs", "definitions", "description",
    "title", "properties", "required", "additionalProperties", "items", "format", "minItems",
}  # fmt: skip


def anthropic_rules(s: Json) -> None:
    """7.3: every object closed; only supported keywords; minItems 0 or 1; no
    numeric or string-length constraints; primitive enums."""
    for n in nodes(s):
        assert n.keys() <= CLAUDE_KEYS, n.keys() - CLAUDE_KEYS
        if is_object(n):
            assert n["additionalProperties"] is False, n
            assert set(n.get("required", ())) <= n["properties"].keys()
        assert n.get("minItems", 0) in (0, 1)
        assert all(isinstance(e, (str, int, float, bool, type(None))) for e in n.get("enum", ()))
        assert n.get("format", "date") in FORMATS | {"uri"}, n
        if "$ref" in n:
            assert n.keys() == {"$ref"}, n


GEMINI_KEYS = {
    "$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum",
    "items", "prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf",
    "properties", "additionalProperties", "required", "propertyOrdering",
}  # fmt: skip


def refs_from(s: Any, defs: Json, seen: set[str] | None = None) -> set[str]:
    """Every definition `s` leads to, through any number of `$ref`s."""
    seen = set() if seen is None else seen
    for n in nodes(s):
        name = n.get("$ref", "").removeprefix("#/$defs/")
        if name and name not in seen:
            seen.add(name)
            refs_from(defs.get(name, {}), defs, seen)
    return seen


def gemini_rules(s: Json) -> None:
    """7.4: only the keywords responseJsonSchema honours; enums of strings and
    numbers; a `$ref` with only `$...` siblings; cycles only through
    properties that are not required."""
    defs = s.get("$defs", {})
    for name, d in defs.items():
        for p in d.get("required", ()):
            assert name not in refs_from(d["properties"][p], defs), (name, p)
    for n in nodes(s):
        assert n.keys() <= GEMINI_KEYS, n.keys() - GEMINI_KEYS
        for e in n.get("enum", ()):
            assert isinstance(e, (str, int, float)) and not isinstance(e, bool), e
        if "$ref" in n:
            assert all(k.startswith("$") for k in n), n


def xai_tool_rules(s: Json) -> None:
    """7.2: no `additionalProperties: false` in a tool schema."""
    assert all(n.get("additionalProperties") is not False for n in nodes(s))


# ---- the properties -----------------------------------------------------------------------------


@given(roots(), st.data())
def test_openai_strict(root: tuple[Case, Any], data: st.DataObject) -> None:
    case, value = root
    schema = json_schema(case.tp)
    before = copy.deepcopy(schema)
    if case.has_dict:
        with pytest.raises(NotStrict, match="dict"):
            openai_strict(schema)
        return
    out = openai_strict(schema)
    assert schema == before  # the input is left alone
    openai_rules(out)
    sent = as_sent(data.draw, value, nulls=True)
    assert valid(sent, out, out)
    assert decode_as(msgspec.json.encode(sent).decode(), case.tp) == value


@given(roots(), st.data())
def test_anthropic_strict(root: tuple[Case, Any], data: st.DataObject) -> None:
    case, value = root
    schema = json_schema(case.tp)
    before = copy.deepcopy(schema)
    if case.has_dict or case.recursive:
        with pytest.raises(NotStrict, match=r"dict|recursive"):
            anthropic_strict(schema)
        return
    out = anthropic_strict(schema)
    assert schema == before
    anthropic_rules(out)
    sent = as_sent(data.draw, value, nulls=False)
    assert valid(sent, out, out)
    assert decode_as(msgspec.json.encode(sent).decode(), case.tp) == value


@given(roots(), st.data())
def test_gemini(root: tuple[Case, Any], data: st.DataObject) -> None:
    case, value = root
    schema = json_schema(case.tp)
    before = copy.deepcopy(schema)
    out = gemini(schema)
    assert schema == before
    gemini_rules(out)
    sent = as_sent(data.draw, value, nulls=False)
    assert valid(sent, out, out)
    assert decode_as(msgspec.json.encode(sent).decode(), case.tp) == value


@given(roots(), st.data())
def test_xai_tool(root: tuple[Case, Any], data: st.DataObject) -> None:
    case, value = root
    schema = json_schema(case.tp)
    before = copy.deepcopy(schema)
    out = xai_tool(schema)
    assert schema == before
    xai_tool_rules(out)
    assert valid(as_sent(data.draw, value, nulls=False), out, out)


# ---- table tests: hand-written schemas ----------------------------------------------------------

_DICT = {"type": "object", "additionalProperties": {"type": "integer"}}


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        ({"type": "object", "properties": {"d": _DICT}}, "dict"),
        ({"type": "object"}, "dict"),
        ({"type": "object", "properties": {"a": {"type": "string"}},
          "additionalProperties": {"type": "string"}}, "dict"),
        ({"type": "object", "properties": {"a": {"type": "array"}}}, "no items"),
        ({"anyOf": [{"type": "object", "properties": {}}, {"type": "null"}]}, "root"),
        ({"type": "object", "properties": {"x": {}}}, "anything"),
        ({"type": "object", "properties": {"t": {"type": "array", "prefixItems": []}}}, "tuple"),
        ({"type": "object", "properties": {"r": {"$ref": "#/$defs/Nope", "title": "t"}}}, "Nope"),
        ({"type": "object", "properties": {"a": {"allOf": [{"type": "string"}, {}]}}}, "allOf"),
        ({"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(5001)}},
         "5000 properties"),
        ({"type": "object", "properties": {"e": {"enum": list(range(1001))}}}, "1000 enum"),
    ],
)  # fmt: skip
def test_openai_strict_refuses_what_it_cannot_keep(schema: Json, why: str) -> None:
    with pytest.raises(NotStrict, match=why):
        openai_strict(schema)


def test_openai_strict_depth_limit() -> None:
    s: Json = {"type": "string"}
    for _ in range(11):
        s = {"type": "object", "properties": {"x": s}, "required": ["x"]}
    with pytest.raises(NotStrict, match="10 levels"):
        openai_strict(s)
    openai_strict(s["properties"]["x"])


def test_openai_strict_hand_written_schema() -> None:
    given_ = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "Who"},
            "age": {"type": "integer", "minimum": 0, "default": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "kind": {"oneOf": [{"const": "a"}, {"const": "b"}]},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "when": {"type": "string", "format": "date-time"},
            "money": {"type": "string", "format": "decimal"},
            "ref": {"allOf": [{"$ref": "#/$defs/P"}], "description": "a P"},
            "p": {"allOf": [{"$ref": "#/$defs/P"}], "description": "one P"},
        },
        "required": ["name", "kind", "p"],
        "$defs": {"P": {"type": "object", "properties": {"x": {"type": "number"}}}},
    }
    assert openai_strict(given_) == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Who\n\n{minLength: 1}"},
            "age": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
            "tags": {
                "anyOf": [
                    {"type": "array", "items": {"type": "string"},
                     "description": "{uniqueItems: true}"},
                    {"type": "null"},
                ]
            },
            "kind": {"anyOf": [{"const": "a"}, {"const": "b"}]},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
            "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            "money": {"anyOf": [{"type": "string", "description": '{format: "decimal"}'},
                                {"type": "null"}]},
            # optional: the description moves beside the null, the $ref stays bare
            "ref": {"anyOf": [{"$ref": "#/$defs/P"}, {"type": "null"}], "description": "a P"},
            # required: the definition is inlined under the description
            "p": {"type": "object", "properties": {"x": {"anyOf": [{"type": "number"},
                                                                  {"type": "null"}]}},
                  "required": ["x"], "additionalProperties": False, "description": "one P"},
        },
        "required": ["name", "kind", "p", "age", "tags", "either", "when", "money", "ref"],
        "$defs": {
            "P": {
                "type": "object",
                "properties": {"x": {"anyOf": [{"type": "number"}, {"type": "null"}]}},
                "required": ["x"],
                "additionalProperties": False,
            }
        },
        "additionalProperties": False,
    }  # fmt: skip


def test_openai_strict_is_idempotent_on_its_output() -> None:
    s = openai_strict(json_schema(Tree))
    assert openai_strict(s) == s


def test_anthropic_strict_moves_constraints_into_the_description() -> None:
    s = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many"},
            "xs": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
            "one": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "s": {"type": "string", "pattern": "^a", "format": "email"},
            "k": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "required": ["n"],
    }
    assert anthropic_strict(s) == {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "description": "How many\n\n{minimum: 1, maximum: 10}"},
            "xs": {"type": "array", "items": {"type": "string"},
                   "description": "{minItems: 2, maxItems: 4}"},
            "one": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "s": {"type": "string", "format": "email", "description": '{pattern: "^a"}'},
            "k": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "required": ["n"],
        "additionalProperties": False,
    }  # fmt: skip


def test_anthropic_strict_refuses_recursion_through_the_root() -> None:
    s = {"type": "object", "properties": {"next": {"$ref": "#"}}}
    with pytest.raises(NotStrict, match="recursive"):
        anthropic_strict(s)


def test_gemini_dialect() -> None:
    s = {
        "type": "object",
        "properties": {
            "k": {"const": "a"},
            "m": {"enum": [None, "a", True]},
            "r": {"$ref": "#/$defs/P", "description": "a P", "default": {}},
            "t": {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
            "s": {"type": "string", "minLength": 2, "default": "ab"},
            "d": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
        "required": ["k"],
        "$defs": {"P": {"type": "object", "properties": {}}},
    }
    assert gemini(s) == {
        "type": "object",
        "properties": {
            "k": {"enum": ["a"]},
            "m": {"anyOf": [{"enum": ["a"]}, {"type": "null"}, {"type": "boolean"}]},
            "r": {"anyOf": [{"$ref": "#/$defs/P"}], "description": "a P"},
            "t": {"type": "array", "prefixItems": [{"type": "integer"}]},
            "s": {"type": "string", "description": "{minLength: 2}"},
            "d": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
        "required": ["k"],
        "$defs": {"P": {"type": "object", "properties": {}}},
    }


def test_xai_tool_keeps_open_dicts() -> None:
    s = {"type": "object", "properties": {"d": _DICT}, "additionalProperties": False}
    assert xai_tool(s) == {"type": "object", "properties": {"d": _DICT}}


def test_not_strict_is_a_typed_llmkit_error() -> None:
    from llmkit.errors import Unsupported

    with pytest.raises(Unsupported, match=re.escape("#/properties/d")):
        openai_strict({"type": "object", "properties": {"d": _DICT}})


@pytest.mark.parametrize("dialect", [openai_strict, anthropic_strict, gemini, xai_tool])
def test_each_call_gets_its_own_copy(dialect: Any) -> None:
    given_ = json_schema(Color | None) if dialect is gemini else {
        "type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
    }  # fmt: skip
    first = dialect(given_)
    expected = copy.deepcopy(first)
    first["properties" if "properties" in first else "anyOf"].clear()
    given_["mutated"] = False
    assert dialect({k: v for k, v in given_.items() if k != "mutated"}) == expected


class Root(msgspec.Struct):
    first: Chain
    tree: Tree


def test_gemini_cycles_only_through_properties_that_are_not_required() -> None:
    out = gemini(json_schema(Root))
    assert out["required"] == ["first", "tree"]  # no cycle back to the root
    assert out["$defs"]["Chain"]["required"] == ["value"]
    assert out["$defs"]["Tree"]["required"] == ["label"]  # children has a default
    root = {"type": "object", "properties": {"me": {"$ref": "#"}}, "required": ["me"]}
    assert gemini(root)["required"] == []


# ---- hand-written schemas: anything JSON Schema allows ------------------------------------------

_typed_leaves = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["string", "integer", "number", "boolean"])},
        optional={
            "format": st.sampled_from(["date", "uri", "decimal"]),
            "minLength": st.integers(0, 3),
            "minimum": st.integers(),
            "default": st.integers(),
            "examples": st.lists(st.integers()),
            "description": st.text(max_size=5),
        },
    ),
    st.fixed_dictionaries(
        {"enum": st.lists(st.none() | st.booleans() | st.text(max_size=2), min_size=1, max_size=3)}
    ),
    st.fixed_dictionaries({"const": st.none() | st.integers() | st.text(max_size=2)}),
    st.sampled_from(
        [{"$ref": "#/$defs/D"}, {"$ref": "#"}, {"type": "null"}, {"type": ["string", "null"]}]
    ),
)
# refused by strict dialects: drawn rarely so that most schemas get through
_leaf_schemas = st.one_of(*[_typed_leaves] * 9, st.sampled_from([{}, {"$ref": "#/$defs/X"}]))


def _compound(inner: Any) -> Any:
    props = st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    objects = st.builds(
        lambda p, r, x: {"type": "object", "properties": p, "required": [k for k in p if r], **x},
        props,
        st.booleans(),
        st.sampled_from(
            [{}, {"additionalProperties": True}, {"additionalProperties": False}, {"title": "T"}]
        ),
    )
    return st.one_of(
        objects,
        objects,
        st.builds(lambda bs: {"allOf": bs}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda a: {"type": "object", "additionalProperties": a}, inner),
        st.builds(lambda i, n: {"type": "array", "items": i, "minItems": n}, inner,
                  st.integers(0, 3)),
        st.builds(lambda bs, k: {k: bs}, st.lists(inner, min_size=1, max_size=3),
                  st.sampled_from(["anyOf", "oneOf", "allOf"])),
        st.builds(lambda i: {"not": i}, inner),
        st.builds(lambda i: {"type": "array", "prefixItems": [i], "items": False}, inner),
    )  # fmt: skip


hand_written = st.builds(
    lambda props, d: {"type": "object", "properties": props, "$defs": {"D": d}},
    st.dictionaries(st.sampled_from(["a", "b", "c"]),
                    st.recursive(_leaf_schemas, _compound, max_leaves=6), max_size=3),
    st.recursive(_leaf_schemas, _compound, max_leaves=4),
)  # fmt: skip


@settings(max_examples=400)  # cheap, and most drawn schemas are refused early
@given(hand_written)
def test_any_schema_is_made_strict_or_refused_typed(schema: Json) -> None:
    before = copy.deepcopy(schema)
    for dialect, rules in ((openai_strict, openai_rules), (anthropic_strict, anthropic_rules)):
        try:
            out = dialect(schema)
        except NotStrict:
            continue
        rules(out)
    gemini_rules(gemini(schema))
    xai_tool_rules(xai_tool(schema))
    assert schema == before


def test_openai_response_schema_falls_back_to_not_strict() -> None:
    closed = {"type": "object", "properties": {}, "additionalProperties": False, "required": []}
    assert openai_response_schema({"type": "object", "properties": {}}, True) == (closed, True)
    assert openai_response_schema({"type": "object"}, True) == ({"type": "object"}, False)
    assert openai_response_schema({"type": "object", "properties": {}}, False) == (
        {"type": "object", "properties": {}},
        False,
    )


# ---- review: schemas whose meaning a dialect must not change silently -------------------------

_X = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        # `["object", "null"]` is an object too: open, it cannot be closed
        ({"type": "object", "properties": {"a": {"type": ["object", "null"]}}}, "dict"),
        # the branch's properties used to replace the outer ones, losing `a`
        ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
          "allOf": [{"properties": {"b": {"type": "integer"}}}]}, "properties"),
        ({"type": "object", "properties": {"r": {"$ref": "#/$defs/X", "properties": {}}},
          "$defs": {"X": _X}}, "properties"),
        # a required key of any value: closing the object forbade it
        ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]}, "b"),
    ],
)  # fmt: skip
def test_strict_dialects_refuse_what_closing_would_change(schema: Json, why: str) -> None:
    for dialect in (openai_strict, anthropic_strict):
        with pytest.raises(NotStrict, match=why):
            dialect(schema)


def test_strict_dialects_still_merge_annotations() -> None:
    field = {"allOf": [{"$ref": "#/$defs/X"}], "description": "d", "default": None}
    out = openai_strict({"type": "object", "properties": {"x": field}, "$defs": {"X": _X}})
    assert out["properties"]["x"]["description"] == "d"
    openai_rules(out)


def test_gemini_object_enum_values_go_into_the_description() -> None:
    """They used to raise IndexError from build_request (untyped, after no I/O)."""
    out = gemini({"type": "object", "properties": {"a": {"const": {"k": 1}}}})
    assert out["properties"]["a"] == {"description": '{enum: [{"k":1}]}'}
    gemini_rules(out)


def test_gemini_reads_definitions_as_defs() -> None:
    """Gemini takes `$defs` only: `definitions` used to go into the description,
    every `$ref` to them left dangling."""
    out = gemini({"type": "object", "properties": {"a": {"$ref": "#/definitions/X"}},
                  "definitions": {"X": _X}})  # fmt: skip
    assert out == {"type": "object", "properties": {"a": {"$ref": "#/$defs/X"}}, "$defs": {"X": _X}}
    gemini_rules(out)
