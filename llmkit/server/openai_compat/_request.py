"""A Chat Completions request body → llmkit messages, tools and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from llmkit.errors import LlmkitError
from llmkit.providers import openai as openai_wire
from llmkit.server._errors import Rejected
from llmkit.server.openai_compat._carry import restore
from llmkit.server.openai_compat._errors import BadParam
from llmkit.types import (
    Effort,
    Message,
    Raw,
    Reasoning,
    ResponseFormat,
    Tool,
    ToolChoice,
)

# ---- request ------------------------------------------------------------------


class _Function(msgspec.Struct, frozen=True):
    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class _ToolIn(msgspec.Struct, frozen=True):
    type: str
    function: _Function | None = None


class _Name(msgspec.Struct, frozen=True):
    name: str


class _NamedChoice(msgspec.Struct, frozen=True):
    type: str
    function: _Name | None = None


class _JsonSchema(msgspec.Struct, frozen=True):
    name: str = "response"
    schema: dict[str, Any] | None = None
    strict: bool | None = None


class _Format(msgspec.Struct, frozen=True):
    type: str
    json_schema: _JsonSchema | None = None


class _StreamOptions(msgspec.Struct, frozen=True):
    include_usage: bool = False


class _Body(msgspec.Struct, frozen=True, kw_only=True):
    """The fields llmkit honours or must refuse; others (`user`, `metadata`,
    `store`, `service_tier`, ...) change nothing about the answer and are ignored."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[_ToolIn] | None = None
    tool_choice: str | _NamedChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: _Format | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    reasoning_effort: Effort | None = None
    prompt_cache_key: str | None = None
    stream: bool | None = False
    stream_options: _StreamOptions | None = None
    # Refused unless left at their defaults: llmkit cannot honour them everywhere.
    n: int | None = None
    logprobs: bool | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logit_bias: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None


class ChatCompletionsCall(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed request: `api.chat`/`api.stream` arguments, `model` as the client wrote it."""

    model: str
    messages: list[Message]
    tools: list[Tool] = []
    tool_choice: ToolChoice | None = None
    options: dict[str, Any] = {}
    stream: bool = False
    include_usage: bool = False


_decode_body = msgspec.json.Decoder(_Body)
# (field, value it may have) for what llmkit cannot do on every upstream.
_DEFAULTS: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("n", (None, 1)),
    ("logprobs", (None, False)),
    ("frequency_penalty", (None, 0, 0.0)),
    ("presence_penalty", (None, 0, 0.0)),
    ("logit_bias", (None, {})),
    ("audio", (None,)),
)


def parse_request(body: bytes) -> ChatCompletionsCall:
    """A Chat Completions body → llmkit call arguments, or a `BadParam`/`Rejected` 400."""
    try:
        b = _decode_body.decode(body)
    except msgspec.ValidationError as e:
        raise BadParam(_path_of(str(e)), f"request body: {e}") from e
    except (msgspec.DecodeError, UnicodeDecodeError) as e:
        raise Rejected(400, "invalid_json", f"request body is not valid JSON: {e}") from e
    for field, allowed in _DEFAULTS:
        if getattr(b, field) not in allowed:
            raise BadParam(field, f"`{field}` is not supported by this gateway", "unsupported")
    messages = _messages(b.messages)
    return ChatCompletionsCall(
        model=b.model,
        messages=messages,
        tools=[_tool(i, t) for i, t in enumerate(b.tools or [])],
        tool_choice=_tool_choice(b.tool_choice, b.parallel_tool_calls),
        options=_options(b),
        stream=bool(b.stream),
        include_usage=bool(b.stream and b.stream_options and b.stream_options.include_usage),
    )


def _path_of(message: str) -> str:
    """msgspec's `... - at `$.messages[0]`` → `messages[0]` (OpenAI's `param`)."""
    _, sep, at = message.rpartition("at `$.")
    return at.rstrip("`") if sep else ""


def _messages(wire: list[dict[str, Any]]) -> list[Message]:
    if not wire:
        raise BadParam("messages", "`messages` must hold at least one message")
    messages = [restore(_message(i, m)) for i, m in enumerate(wire)]
    for i, m in enumerate(messages):
        for p in m.content:
            if isinstance(p, Raw):  # input_audio, file ids: no other upstream takes them
                kind = p.data.get("type") if isinstance(p.data, dict) else None
                raise BadParam(
                    f"messages[{i}].content",
                    f"content part type {kind!r} is not supported by this gateway",
                    "unsupported",
                )
    return messages


def _message(i: int, wire: dict[str, Any]) -> Message:
    """One message in OpenAI's shape, read by the OpenAI provider's own history
    decoder (so `reasoning_content`, as this gateway sends it, comes back too),
    then checked as llmkit checks any caller's message."""
    try:
        (m,) = openai_wire.messages_from_wire([wire])
        if m.role == "tool" and isinstance(wire.get("name"), str):  # the tool's name
            m = msgspec.structs.replace(
                m, content=[msgspec.structs.replace(p, name=wire["name"]) for p in m.content]
            )
        return msgspec.convert(msgspec.to_builtins(m), Message, strict=True)
    except (LlmkitError, AttributeError, TypeError, ValueError) as e:
        where = f"messages[{i}]"
        raise BadParam(where, f"{where}: not a Chat Completions message: {e}") from e


def _tool(i: int, t: _ToolIn) -> Tool:
    if t.type != "function" or t.function is None:
        raise BadParam(f"tools[{i}].type", f"tool type {t.type!r} is not supported; use function")
    f = t.function
    params = f.parameters if f.parameters is not None else {"type": "object", "properties": {}}
    return Tool(name=f.name, description=f.description, parameters=params, strict=f.strict)


_CHOICE_WORDS: Mapping[str, Literal["auto", "none", "required"]] = {
    "auto": "auto",
    "none": "none",
    "required": "required",
}


def _tool_choice(choice: str | _NamedChoice | None, parallel: bool | None) -> ToolChoice | None:
    if choice is None:
        return None if parallel is None else ToolChoice(parallel=parallel)
    if isinstance(choice, str):
        if choice not in _CHOICE_WORDS:
            raise BadParam("tool_choice", f"tool_choice {choice!r}: use auto, none or required")
        return ToolChoice(mode=_CHOICE_WORDS[choice], parallel=parallel)
    if choice.type != "function" or choice.function is None:
        raise BadParam("tool_choice", f"tool_choice type {choice.type!r} is not supported")
    return ToolChoice(mode="tool", name=choice.function.name, parallel=parallel)


def _options(b: _Body) -> dict[str, Any]:
    max_tokens = b.max_completion_tokens if b.max_completion_tokens is not None else b.max_tokens
    given = (
        ("max_tokens", max_tokens),
        ("temperature", b.temperature),
        ("top_p", b.top_p),
        ("seed", b.seed),
        ("cache_key", b.prompt_cache_key),
    )
    out: dict[str, Any] = {k: v for k, v in given if v is not None}
    if b.stop:
        out["stop"] = [b.stop] if isinstance(b.stop, str) else b.stop
    if b.reasoning_effort is not None:
        out["reasoning"] = Reasoning(effort=b.reasoning_effort)
    if b.response_format is not None:
        out.update(_response_format(b.response_format))
    return out


def _response_format(f: _Format) -> dict[str, Any]:
    if f.type == "text":
        return {}
    if f.type == "json_object":
        return {"response_format": ResponseFormat()}
    if f.type == "json_schema" and f.json_schema is not None and f.json_schema.schema is not None:
        s = f.json_schema
        strict = bool(s.strict)  # OpenAI's default is not strict
        return {"response_format": ResponseFormat(schema=s.schema, name=s.name, strict=strict)}
    raise BadParam(
        "response_format", "response_format: use text, json_object or json_schema with a schema"
    )
