"""Building `POST /v1/messages`: tools, options and the request body
(https://platform.claude.com/docs/en/api/messages); the history is `_history`'s."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from llmkit.errors import Unsupported
from llmkit.protocols import HttpRequest
from llmkit.providers._common import tool_choice_for
from llmkit.providers._schema import NotStrict, anthropic_strict
from llmkit.types import (
    ChatRequest,
    ModelInfo,
    Reasoning,
    ResponseFormat,
    Tool,
    ToolChoice,
)

from ._history import _to_wire_messages
from ._models import model_info
from ._rules import (
    EPHEMERAL,
    SAMPLING_KEYS,
    check_prefill,
    keep_last_breakpoints,
    sampling,
)
from ._wire import NAME, VERSION, encoder

# When neither the caller nor the catalog knows the model's output limit: every
# Claude model since Claude 3 accepts this many.
FALLBACK_MAX_TOKENS = 4096
_INTERLEAVED = "interleaved-thinking-2025-05-14"
_MIN_BUDGET = 1024  # manual thinking: budget_tokens >= 1024 and < max_tokens
# Manual-thinking models have no `effort`; an effort level picks a budget.
_BUDGET = dict(minimal=1024, low=2048, medium=8192, high=16384, xhigh=32768, max=65536)
# Anthropic's levels are low..max; llmkit's "minimal" is its "low".
_EFFORT = {"minimal": "low", **{e: e for e in ("low", "medium", "high", "xhigh", "max")}}


def _unsupported(feature: str) -> Unsupported:
    return Unsupported(feature, provider=NAME)


# ---- tools and options -------------------------------------------------------------


def _to_wire_tool(t: Tool, model: str, info: ModelInfo | None) -> dict[str, Any]:
    if t.strict and info is not None and "structured_outputs" not in info.capabilities:
        # 400 "'claude-sonnet-4-20250514' does not support strict tools." (eigent-ai/eigent#1649)
        raise _unsupported(f"strict tool {t.name!r} on {model} (no structured outputs)")
    out: dict[str, Any] = {"name": t.name}
    if t.description:
        out["description"] = t.description
    out["input_schema"] = _strict_schema(t) if t.strict else t.parameters
    if t.strict is not None:
        out["strict"] = t.strict
    if t.cache:
        out["cache_control"] = dict(EPHEMERAL)
    return out


def _strict_schema(t: Tool) -> dict[str, Any]:
    try:
        return anthropic_strict(t.parameters, tool=True)
    except NotStrict as e:
        raise _unsupported(f"strict tool {t.name!r}: {e.feature}") from e


_CHOICE = {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}


def _to_wire_tool_choice(c: ToolChoice | None, has_tools: bool) -> dict[str, Any] | None:
    c = tool_choice_for(c, has_tools, NAME)
    if c is None:
        return None
    out: dict[str, Any] = {"type": _CHOICE[c.mode]}
    if c.mode == "tool":
        if not c.name:
            raise _unsupported("tool_choice 'tool' without a tool name")
        out["name"] = c.name
    if c.parallel is not None and c.mode != "none":
        out["disable_parallel_tool_use"] = not c.parallel
    return out


def _budget(tokens: int, max_tokens: int) -> int:
    if tokens < _MIN_BUDGET or tokens >= max_tokens:
        raise _unsupported(
            f"a thinking budget of {tokens} with max_tokens {max_tokens} "
            f"(needs {_MIN_BUDGET} <= budget < max_tokens)"
        )
    return tokens


def _reasoning(
    r: Reasoning | None, model: str, info: ModelInfo | None, max_tokens: int
) -> tuple[dict[str, Any] | None, str | None]:
    """`thinking` and `output_config.effort` for what the model supports.
    Models not in the catalog are assumed to support both thinking types."""
    if r is None:
        return None, None
    caps = None if info is None else frozenset(info.capabilities)
    if r.effort == "none":
        if caps is not None and "thinking.always_on" in caps:
            raise _unsupported(f"turning thinking off on {model}")
        return None, None  # thinking is off unless asked for
    effort = _EFFORT[r.effort] if r.effort else None
    has_effort = caps is None or "effort" in caps
    if effort and caps is not None and has_effort and f"effort.{effort}" not in caps:
        raise _unsupported(f"effort {effort!r} on {model}")
    sent_effort = effort if has_effort else None
    display = {} if r.include else {"display": "omitted"}
    manual = caps is None or "thinking.types.enabled" in caps
    if r.budget is not None and manual:
        return {"type": "enabled", "budget_tokens": _budget(r.budget, max_tokens), **display}, (
            sent_effort
        )
    if caps is None or "thinking.types.adaptive" in caps:
        return {"type": "adaptive", **display}, sent_effort
    if manual:
        tokens = min(_BUDGET[r.effort or "medium"], max_tokens - 1)
        return {"type": "enabled", "budget_tokens": _budget(tokens, max_tokens), **display}, None
    raise _unsupported(f"reasoning on {model}")


def _format(f: ResponseFormat, model: str, info: ModelInfo | None) -> dict[str, Any]:
    if f.schema is None:
        raise _unsupported("JSON output without a schema (Anthropic has no JSON mode)")
    if info is not None and "structured_outputs" not in info.capabilities:
        raise _unsupported(f"structured output on {model}")
    return {"type": "json_schema", "schema": f.schema}


def _thinking_fields(
    req: ChatRequest, info: ModelInfo | None, max_tokens: int, choice: dict[str, Any] | None
) -> dict[str, Any]:
    """`thinking` and `output_config` (effort, structured output)."""
    o = req.options
    thinking, effort = _reasoning(o.reasoning, req.model, info, max_tokens)
    if choice and choice["type"] in ("any", "tool"):
        if info is not None and "tool_choice.forced" not in info.capabilities:
            raise _unsupported(f"forcing a tool call on {req.model} (use tool_choice 'auto')")
        if thinking is not None:
            raise _unsupported("forcing a tool call while thinking (use tool_choice 'auto')")
    out: dict[str, Any] = {} if thinking is None else {"thinking": thinking}
    config: dict[str, Any] = {} if effort is None else {"effort": effort}
    if o.response_format is not None:
        config["format"] = _format(o.response_format, req.model, info)
    if config:
        out["output_config"] = config
    return out


def _as_forced_tool(req: ChatRequest, info: ModelInfo | None) -> ChatRequest:
    """Structured output as Claude can take it. Where `output_config.format`
    exists, the schema in Claude's dialect (`anthropic_strict`). On a model
    without it, or for a schema Claude's structured outputs cannot express
    (a dict, recursion), the schema as given becomes a tool the model is made
    to call, and the answer is that call's input (what Anthropic documented
    before native structured outputs; tool schemas are not restricted)."""
    f = req.options.response_format
    if f is None or f.schema is None:
        return req
    if info is None or "structured_outputs" in info.capabilities:
        try:
            schema = anthropic_strict(f.schema)
        except NotStrict as e:
            r = req.options.reasoning
            if r is not None and r.effort != "none":
                raise _unsupported(f"structured output while thinking: {e.feature}") from e
        else:
            native = replace(f, schema=schema)
            return replace(req, options=replace(req.options, response_format=native))
    if req.tool_choice is not None and req.tool_choice.mode != "auto":
        mode = req.tool_choice.mode
        raise _unsupported(f"structured output with tool_choice {mode!r} on {req.model}")
    if f.schema.get("type") != "object":  # 400 "input_schema.type: Input should be 'object'"
        raise _unsupported(f"structured output other than an object on {req.model}")
    if any(t.name == f.name for t in req.tools):
        raise _unsupported(f"structured output named {f.name!r} beside a tool of that name")
    answer = Tool(name=f.name, description="Give the answer in this shape.", parameters=f.schema)
    # Beside the caller's own tools the model must call one of them or the
    # answer tool ("any"), so a tool loop can still use its tools; alone, the
    # answer tool is forced.
    choice = ToolChoice(mode="required") if req.tools else ToolChoice(mode="tool", name=f.name)
    return replace(
        req,
        tools=[*req.tools, answer],
        tool_choice=choice,
        options=replace(req.options, response_format=None),
    )


def _body(req: ChatRequest, info: ModelInfo | None) -> dict[str, Any]:
    req = _as_forced_tool(req, info)
    o = req.options
    if o.seed is not None:
        raise _unsupported("seed (Anthropic sampling cannot be seeded)")
    system, messages = _to_wire_messages(req.messages, o)
    if not messages:
        raise _unsupported("a request without any user or assistant message")
    check_prefill(messages, req.model)
    max_tokens = o.max_tokens or (info and info.max_output) or FALLBACK_MAX_TOKENS
    body: dict[str, Any] = {"model": req.model, "max_tokens": max_tokens}
    if system:
        body["system"] = system
    body["messages"] = messages
    if req.tools:
        body["tools"] = [_to_wire_tool(t, req.model, info) for t in req.tools]
    keep_last_breakpoints([body.get("tools", []), system or [], *(m["content"] for m in messages)])
    choice = _to_wire_tool_choice(req.tool_choice, bool(req.tools))
    if choice is not None:
        body["tool_choice"] = choice
    if o.stop:
        body["stop_sequences"] = list(o.stop)
    thinking = _thinking_fields(req, info, max_tokens, choice)
    body.update(sampling(o, req.model, info, "thinking" in thinking))
    body.update(thinking)
    if req.stream:
        body["stream"] = True
    return body


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    """The HTTP request for `req` (streaming when `req.stream`), without the key.
    `options.extra` is merged last into the body, except `extra["betas"]`, a
    list of `anthropic-beta` names (as the official SDK's `betas=`)."""
    body = _body(req, model_info(req.model))
    extra = dict(req.options.extra)
    given = extra.pop("betas", ())
    for key in SAMPLING_KEYS:  # already checked and placed by `sampling`
        extra.pop(key, None)
    betas = [given] if isinstance(given, str) else [str(b) for b in given]
    body.update(extra)
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled" and body.get("tools"):
        betas.append(_INTERLEAVED)  # manual thinking between tool calls (adaptive has it)
    headers = {"anthropic-version": VERSION, "content-type": "application/json"}
    if betas:
        headers["anthropic-beta"] = ",".join(dict.fromkeys(betas))
    if req.stream:
        headers["accept"] = "text/event-stream"
    return HttpRequest(
        method="POST",
        url=f"{base_url.rstrip('/')}/v1/messages",
        headers=headers,
        body=encoder.encode(body),
    )
