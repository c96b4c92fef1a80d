"""Structured output: `response_format=SomeType` asks the vendor for JSON of
that type's schema (each provider maps `ResponseFormat` to its own mechanism)
and decodes the answer into `Response.parsed`."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import msgspec
import msgspec.inspect as mi

from llmkit.errors import (
    InvalidResponseFormat as InvalidResponseFormat,  # defined in errors; kept importable here
)
from llmkit.errors import (
    StructuredOutputError as StructuredOutputError,  # defined in errors; kept importable here
)
from llmkit.types import Response, ResponseFormat


def schema_name(tp: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", getattr(tp, "__name__", "") or "response")[:64]


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """`response_format=SomeType` becomes a ResponseFormat with the type's JSON
    Schema; the type comes back so the answer can be decoded into it."""
    rf = options.get("response_format")
    if rf is None or isinstance(rf, (ResponseFormat, Mapping)):
        return dict(options), None
    from llmkit.tools import json_schema

    try:
        schema = json_schema(rf)
    except (TypeError, ValueError) as e:
        raise InvalidResponseFormat(f"response_format: {e}") from e
    return {**options, "response_format": ResponseFormat(schema=schema, name=schema_name(rf))}, rf


def parse_structured(resp: Response, target: Any) -> Response:
    """`resp` with `parsed` set to its text decoded as `target`. A model that
    answered through the answer tool (the fallback where a vendor has no
    native structured output; named after the type) is read from that call's
    arguments. A response that only calls other tools (a step of the tool
    loop) has no answer yet: it comes back as it is, `parsed` None."""
    raw = resp.text
    source: Any = raw
    if not raw.strip() and resp.tool_calls:
        name = schema_name(target)
        answer = next((c for c in resp.tool_calls if c.name == name), None)
        if answer is None:  # a step of the tool loop that calls the caller's tools
            return resp
        source = answer.arguments
        raw = msgspec.json.encode(source).decode()
    try:
        value = decode_as(source, target)
    except msgspec.DecodeError as e:
        raise StructuredOutputError(
            f"the answer is not a valid {schema_name(target)}: {e}", raw=raw, partial=resp
        ) from e
    return msgspec.structs.replace(resp, parsed=value)


def decode_as(source: Any, target: Any) -> Any:
    """`source` (JSON text, or decoded JSON such as forced tool-call
    arguments) as `target`; a `null` standing for a field's default (see
    `defaults_for_nulls`) is read as that default."""
    if not isinstance(source, str):
        return convert_as(source, target)
    try:
        return msgspec.json.decode(source, type=target)
    except msgspec.ValidationError:
        obj = msgspec.json.decode(source)
        fixed = defaults_for_nulls(obj, _type_info(target))
        if fixed == obj:
            raise
        # the same rules as the typed JSON decode above
        return msgspec.json.decode(msgspec.json.encode(fixed), type=target)


def convert_as(value: Any, target: Any) -> Any:
    """Decoded JSON (tool-call arguments) as `target`, as `decode_as` reads it."""
    try:
        return msgspec.convert(value, target, strict=False)
    except msgspec.ValidationError:
        fixed = defaults_for_nulls(value, _type_info(target))
        if fixed == value:
            raise
        return msgspec.convert(fixed, target, strict=False)


@functools.lru_cache(maxsize=256)
def _cached_type_info(target: Any) -> mi.Type:
    return mi.type_info(target)


def _type_info(target: Any) -> mi.Type:
    try:
        return _cached_type_info(target)
    except TypeError:  # an unhashable type
        return mi.type_info(target)


_FIELDED = (mi.StructType, mi.DataclassType)
_SEQUENCES = (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)


def _accepts_none(t: mi.Type) -> bool:
    if isinstance(t, mi.Metadata):
        return _accepts_none(t.type)
    if isinstance(t, mi.UnionType):
        return any(_accepts_none(u) for u in t.types)
    if isinstance(t, mi.LiteralType):
        return None in t.values
    return isinstance(t, (mi.NoneType, mi.AnyType))


def defaults_for_nulls(value: Any, t: mi.Type) -> Any:
    """Decoded JSON with each `null` the type does not take, on a field that
    has a default, removed so the default applies, through nested objects,
    lists and dicts. OpenAI's strict mode makes every optional field required
    and nullable, so a model obeying it sends `null` for "use the default"."""
    if isinstance(t, mi.Metadata):
        return defaults_for_nulls(value, t.type)
    if isinstance(value, dict):
        if isinstance(t, mi.UnionType):
            t = _variant(value, t)
        if isinstance(t, _FIELDED):
            return _fields(value, t)
        if isinstance(t, mi.DictType):
            return {k: defaults_for_nulls(v, t.value_type) for k, v in value.items()}
    elif isinstance(value, list):
        if isinstance(t, mi.UnionType):
            t = next((u for u in t.types if isinstance(u, (*_SEQUENCES, mi.TupleType))), t)
        if isinstance(t, _SEQUENCES):
            return [defaults_for_nulls(v, t.item_type) for v in value]
        if isinstance(t, mi.TupleType):
            new = [defaults_for_nulls(v, u) for v, u in zip(value, t.item_types, strict=False)]
            return new + value[len(new) :]
    return value


def _fields(value: dict[str, Any], t: mi.StructType | mi.DataclassType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in t.fields:
        if f.encode_name not in value:
            continue
        v = value[f.encode_name]
        if v is None and not f.required and not _accepts_none(f.type):
            continue
        out[f.encode_name] = defaults_for_nulls(v, f.type)
    known = {f.encode_name for f in t.fields}
    out.update((k, v) for k, v in value.items() if k not in known)  # tag, unknown keys
    return out


def _variant(value: dict[str, Any], t: mi.UnionType) -> mi.Type:
    """The union member a JSON object decodes as: by tag, or the only one."""
    members = [u for u in t.types if isinstance(u, (*_FIELDED, mi.DictType, mi.TypedDictType))]
    for u in members:
        if isinstance(u, mi.StructType) and u.tag_field and value.get(u.tag_field) == u.tag:
            return u
    return members[0] if len(members) == 1 else t
