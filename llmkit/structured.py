"""Structured output: `response_format=SomeType` asks the vendor for JSON of
that type's schema (each provider maps `ResponseFormat` to its own mechanism)
and decodes the answer into `Response.parsed`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from llmkit.errors import LlmkitError
from llmkit.types import Response, ResponseFormat


class InvalidResponseFormat(LlmkitError, TypeError):
    """A `response_format` type msgspec cannot describe as a JSON Schema."""


class StructuredOutputError(LlmkitError):
    """The model's answer does not decode into the requested type; `raw`
    keeps the text it sent and `partial` the whole response."""

    def __init__(self, message: str, *, raw: str, partial: Response) -> None:
        super().__init__(message, provider=partial.provider, partial=partial)
        self.raw = raw


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
    answered through a forced tool call (the fallback where a vendor has no
    native structured output) is read from that call's arguments."""
    raw = resp.text
    source: Any = raw
    if not raw.strip() and resp.tool_calls:
        source = resp.tool_calls[0].arguments
        raw = msgspec.json.encode(source).decode()
    try:
        if isinstance(source, str):
            value = msgspec.json.decode(source, type=target)
        else:
            value = msgspec.convert(source, target, strict=False)
    except msgspec.DecodeError as e:
        raise StructuredOutputError(
            f"the answer is not a valid {schema_name(target)}: {e}", raw=raw, partial=resp
        ) from e
    return msgspec.structs.replace(resp, parsed=value)
