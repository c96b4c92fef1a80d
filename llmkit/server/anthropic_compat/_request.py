"""A Messages request body as an llmkit call (https://platform.claude.com/docs/en/api/messages)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec.structs import replace

from llmkit.providers.anthropic import NAME as CLAUDE
from llmkit.providers.anthropic import messages_from_wire
from llmkit.providers.anthropic._rules import EPHEMERAL
from llmkit.server._body import decode_json
from llmkit.server._errors import Rejected
from llmkit.types import (
    Message,
    Part,
    Reasoning,
    ResponseFormat,
    Thinking,
    Tool,
    ToolChoice,
)


class MessagesBody(msgspec.Struct, frozen=True, kw_only=True):
    """The Messages request fields the gateway reads (others are ignored)."""

    model: str
    max_tokens: int
    messages: list[dict[str, Any]]
    system: str | list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    thinking: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None
    stream: bool = False


class Call(msgspec.Struct, frozen=True, kw_only=True):
    """What a request asks llmkit for: the arguments of `llmkit.chat`/`stream`."""

    model: str
    messages: list[Message]
    tools: list[Tool] = []
    tool_choice: ToolChoice | None = None
    options: dict[str, Any] = {}
    stream: bool = False


def bad_request(message: str) -> Rejected:
    return Rejected(400, "invalid_request_error", message)


def _cached(block: Any) -> Any:
    """A block whose `cache_control` (any ttl) is the plain ephemeral one the
    provider's reader turns into a breakpoint; inside a tool_result, where
    llmkit has no breakpoint, none (else the result could not be modelled)."""
    if not isinstance(block, dict):
        return block
    inner = block.get("content")
    if block.get("type") == "tool_result" and isinstance(inner, list):
        plain = [
            {k: v for k, v in b.items() if k != "cache_control"}
            for b in inner
            if isinstance(b, dict)
        ]
        if len(plain) == len(inner):
            block = {**block, "content": plain}
    if isinstance(block.get("cache_control"), dict):
        return {**block, "cache_control": EPHEMERAL}
    return block


def _own(part: Part) -> Part:
    """Thinking without a signature came from another vendor through us: it is
    nobody's, so `foreign_thinking` decides it everywhere."""
    if isinstance(part, Thinking) and part.redacted is None and not part.signature:
        return Thinking(text=part.text)
    return part


def history(body: MessagesBody) -> list[Message]:
    system = body.system
    if isinstance(system, list):
        system = [_cached(b) for b in system]
    wire = []
    for m in body.messages:
        content = m.get("content")
        if isinstance(content, list):
            m = {**m, "content": [_cached(b) for b in content]}
        wire.append(m)
    return [
        replace(m, content=[_own(p) for p in m.content]) for m in messages_from_wire(system, wire)
    ]


def _tool(t: dict[str, Any]) -> Tool:
    kind = t.get("type", "custom")
    if kind != "custom" or not isinstance(t.get("name"), str):
        raise bad_request(f"tools: only client tools are served here, not {kind!r}")
    schema = t.get("input_schema")
    return Tool(
        name=t["name"],
        description=str(t.get("description") or ""),
        parameters=schema if isinstance(schema, dict) else {"type": "object", "properties": {}},
        strict=t.get("strict") if isinstance(t.get("strict"), bool) else None,
        cache=isinstance(t.get("cache_control"), dict),
    )


_CHOICE: dict[str, Literal["auto", "none", "required", "tool"]] = {
    "auto": "auto",
    "any": "required",
    "tool": "tool",
    "none": "none",
}


def _tool_choice(c: dict[str, Any] | None) -> ToolChoice | None:
    if c is None:
        return None
    mode = _CHOICE.get(str(c.get("type")))
    if mode is None:
        raise bad_request(f"tool_choice.type: {c.get('type')!r} is not auto, any, tool or none")
    name = c.get("name") if mode == "tool" else None
    if mode == "tool" and not isinstance(name, str):
        raise bad_request("tool_choice: type 'tool' needs a `name`")
    no_parallel = c.get("disable_parallel_tool_use")
    parallel = None if not isinstance(no_parallel, bool) else not no_parallel
    return ToolChoice(mode=mode, name=name, parallel=parallel)


def _reasoning(thinking: dict[str, Any] | None, config: dict[str, Any]) -> Reasoning | None:
    effort = config.get("effort")
    kind = None if thinking is None else thinking.get("type")
    if kind in (None, "disabled"):
        return None if effort is None else Reasoning(effort=effort)
    include = thinking is None or thinking.get("display") != "omitted"
    if kind == "enabled":
        budget = thinking.get("budget_tokens") if thinking else None
        if not isinstance(budget, int):
            raise bad_request("thinking: type 'enabled' needs an integer `budget_tokens`")
        return Reasoning(budget=budget, effort=effort, include=include)
    if kind == "adaptive":
        return Reasoning(effort=effort, include=include)
    raise bad_request(f"thinking.type: {kind!r} is not enabled, adaptive or disabled")


def _options(body: MessagesBody, target: str) -> dict[str, Any]:
    config = body.output_config or {}
    sampling = {"temperature": body.temperature, "top_p": body.top_p}
    out: dict[str, Any] = {k: v for k, v in sampling.items() if v is not None}
    out["max_tokens"] = body.max_tokens
    if body.stop_sequences:
        out["stop"] = list(body.stop_sequences)
    if body.top_k is not None and target == CLAUDE:
        out["extra"] = {"top_k": body.top_k}
    reasoning = _reasoning(body.thinking, config)
    if reasoning is not None:
        out["reasoning"] = reasoning
    fmt = config.get("format")
    if isinstance(fmt, dict):
        if fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
            raise bad_request("output_config.format: only json_schema with a `schema` is served")
        out["response_format"] = ResponseFormat(schema=fmt["schema"])
    return out


def decode_body(body: bytes) -> MessagesBody:
    """The request body, or a 400 saying what is wrong."""
    raw = decode_json(body, bad_request)
    try:
        return msgspec.convert(raw, MessagesBody)
    except msgspec.ValidationError as e:
        raise bad_request(str(e)) from e


def parse_request(b: MessagesBody, target: str) -> Call:
    """A decoded Messages request as an llmkit call; `target` is the provider
    NAME the model routes to (a few fields only some vendors take)."""
    return Call(
        model=b.model,
        messages=history(b),
        tools=[_tool(t) for t in b.tools or ()],
        tool_choice=_tool_choice(b.tool_choice),
        options=_options(b, target),
        stream=b.stream,
    )
