"""Building `POST {base}/chat/completions` from a ChatRequest.

Options map one to one (`temperature`, `top_p`, `stop`, `seed`) except:
- `max_tokens` goes out as the dialect's key (`max_completion_tokens` for
  OpenAI, which its reasoning models require; `max_tokens` elsewhere);
- `reasoning.effort` -> `reasoning_effort`. Chat Completions has no token
  budget, so a budget-only Reasoning is Unsupported; with an effort the budget
  is ignored. OpenAI returns no reasoning text here, so `include` has no effect;
- `response_format`: a schema -> `json_schema` (name, schema, strict), no
  schema -> `json_object`. A strict schema is sent in OpenAI's strict dialect
  (`_schema.openai_strict`); one that dialect cannot express (a dict, a
  tuple, `{}`) is sent as given with `strict: false`, and the answer is still
  validated when it is decoded into a type. A `strict` tool's schema is
  likewise converted, and one that cannot be is Unsupported;
- `extra` is merged last and wins.
OpenAI reasoning models (o-series, gpt-5*, gpt-6*, not `*-chat-latest`) reject
temperature/top_p unless effort is `none`; asking for them is Unsupported here,
before any I/O, rather than a 400 later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec.structs import replace

from llmkit.errors import Unsupported
from llmkit.protocols import HttpRequest
from llmkit.providers._common import longest_prefix, tool_choice_for
from llmkit.providers._schema import NotStrict, openai_response_schema, openai_strict, xai_tool
from llmkit.providers.openai._history import _to_wire_messages
from llmkit.providers.openai._wire import WireDialect, encoder
from llmkit.types import ChatRequest, Options, ResponseFormat, Tool, ToolChoice

# Model-id prefixes of OpenAI reasoning models; longest prefix wins.
_REASONING_PREFIXES = {"o1": True, "o3": True, "o4": True, "gpt-5": True, "gpt-6": True}
_NOT_REASONING_SUFFIX = "-chat-latest"


# Efforts OpenAI's reasoning models take on Chat Completions, where the set is
# known (https://platform.openai.com/docs/guides/reasoning and each model's page
# under https://platform.openai.com/docs/models): `max` exists only on Responses, and
# gpt-6-astra, gpt-6.1-sol and gpt-6.2-astra take no `none`. Others: the vendor
# decides, except that `max` is refused everywhere here.
_FULL: frozenset[str] = frozenset({"none", "low", "medium", "high", "xhigh"})
_CHAT_EFFORTS: Mapping[str, frozenset[str]] = {
    "gpt-5.6": _FULL,
    "gpt-6-sol": _FULL,
    "gpt-6-luna": _FULL,
    "gpt-6.1-terra": _FULL,
    "gpt-6-astra": _FULL - {"none"},
    "gpt-6.1-sol": _FULL - {"none"},
    "gpt-6.2-astra": _FULL - {"none"},
}
# Function tools with reasoning on /v1/chat/completions (the vendor's 400:
# "Function tools with reasoning_effort are not supported for gpt-5.4 in
# /v1/chat/completions. Please use /v1/responses instead."):
# "effort" refused when an effort other than `none` is sent (gpt-5.2, 5.4);
# "unless_none" refused unless `none` is sent, the model's default effort
# counts too (gpt-5.5, 5.6, gpt-6*); "never": tools only on Responses.
_CHAT_TOOLS: Mapping[str, str] = {
    "gpt-5.2": "effort",
    "gpt-5.4": "effort",
    "gpt-5.5": "unless_none",
    "gpt-5.6": "unless_none",
    "gpt-6": "unless_none",
    "gpt-6-astra": "never",
    "gpt-6.1-sol": "never",
    "gpt-6.1-terra": "never",
}


def is_openai_reasoning(model: str) -> bool:
    if model.endswith(_NOT_REASONING_SUFFIX):
        return False
    return bool(longest_prefix(_REASONING_PREFIXES, model, False))


def build(req: ChatRequest, base_url: str, d: WireDialect) -> HttpRequest:
    headers = {"content-type": "application/json"}
    if req.stream:
        headers["accept"] = "text/event-stream"
    return HttpRequest(
        method="POST",
        url=f"{base_url}/chat/completions",
        headers=headers,
        body=encoder.encode(body(req, d)),
    )


def body(req: ChatRequest, d: WireDialect) -> dict[str, Any]:
    """The JSON body as a dict (before encoding), for tests and the xAI checks."""
    o = req.options
    if d.openai_models:
        _check_openai_model(req.model, o, d)
        _check_tools_with_reasoning(req, d)
    # The history is carried to the endpoint by its registered name (`openai-chat`,
    # `ollama`...): raw items of OpenAI's Responses endpoint never land here.
    to = replace(d, provider=req.endpoint) if req.endpoint else d
    out: dict[str, Any] = {"model": req.model, "messages": _to_wire_messages(req.messages, o, to)}
    if req.tools:
        out["tools"] = [_to_wire_tool(t, d) for t in req.tools]
    choice = tool_choice_for(req.tool_choice, bool(req.tools), d.provider)
    if choice is not None:
        out.update(_to_wire_tool_choice(choice, d))
    if o.response_format is not None:
        out["response_format"] = _response_format(o.response_format)
    out.update(_sampling(o, d))
    if req.stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    out.update(o.extra)
    return out


def _sampling(o: Options, d: WireDialect) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if o.max_tokens is not None:
        out[d.max_tokens_key] = o.max_tokens
    if o.temperature is not None:
        out["temperature"] = o.temperature
    if o.top_p is not None:
        out["top_p"] = o.top_p
    if o.stop:
        out["stop"] = list(o.stop)
    if o.seed is not None:
        out["seed"] = o.seed
    if o.reasoning is not None:
        if o.reasoning.effort is None:
            raise Unsupported(
                "a reasoning token budget on Chat Completions (set an effort)", provider=d.provider
            )
        out["reasoning_effort"] = o.reasoning.effort
    return out


def _check_openai_model(model: str, o: Options, d: WireDialect) -> None:
    effort = o.reasoning.effort if o.reasoning is not None else None
    if not is_openai_reasoning(model):
        # "Unsupported parameter: 'reasoning_effort' is not supported with this model"
        # (unsupported_parameter), e.g. gpt-4o, gpt-4.1, gpt-5-chat-latest.
        if o.reasoning is not None:
            raise Unsupported(f"reasoning on {model} (not a reasoning model)", provider=d.provider)
        return
    if effort != "none" and (o.temperature is not None or o.top_p is not None):
        raise Unsupported(
            f"temperature/top_p on reasoning model {model} unless reasoning effort is 'none'",
            provider=d.provider,
        )
    allowed = longest_prefix(_CHAT_EFFORTS, model, None)
    if effort == "max" or (effort is not None and allowed is not None and effort not in allowed):
        takes = ", ".join(sorted(allowed)) if allowed is not None else "up to xhigh"
        raise Unsupported(
            f"reasoning effort {effort!r} on {model} on Chat Completions (it takes {takes}; "
            f"the Responses API, `openai:{model}`, has more)",
            provider=d.provider,
        )


def _check_tools_with_reasoning(req: ChatRequest, d: WireDialect) -> None:
    kind = longest_prefix(_CHAT_TOOLS, req.model, None) if req.tools else None
    if kind is None or not is_openai_reasoning(req.model):
        return
    effort = req.options.reasoning.effort if req.options.reasoning is not None else None
    blocked = {"effort": effort not in (None, "none"), "unless_none": effort != "none"}
    if blocked.get(kind, True):
        also = "" if kind == "never" else " or reasoning effort 'none'"
        raise Unsupported(
            f"function tools with reasoning on {req.model} on Chat Completions "
            f"(use the Responses API, `openai:{req.model}`{also})",
            provider=d.provider,
        )


def _to_wire_tool(t: Tool, d: WireDialect) -> dict[str, Any]:
    f: dict[str, Any] = {"name": t.name}
    if t.description:
        f["description"] = t.description
    f["parameters"] = _tool_schema(t, d)
    if t.strict is not None:
        f["strict"] = t.strict
    return {"type": "function", "function": f}


def _tool_schema(t: Tool, d: WireDialect) -> dict[str, Any]:
    if d.xai_tools:
        return xai_tool(t.parameters)
    if not t.strict:
        return t.parameters
    try:
        return openai_strict(t.parameters, tool=True)
    except NotStrict as e:
        raise Unsupported(f"strict tool {t.name!r}: {e.feature}", provider=d.provider) from e


def _to_wire_tool_choice(c: ToolChoice, d: WireDialect) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.mode == "tool":
        if not c.name:
            raise Unsupported("tool_choice 'tool' without a tool name", provider=d.provider)
        out["tool_choice"] = {"type": "function", "function": {"name": c.name}}
    else:
        out["tool_choice"] = c.mode
    if c.parallel is not None:
        out["parallel_tool_calls"] = c.parallel
    return out


def _response_format(f: ResponseFormat) -> dict[str, Any]:
    if f.schema is None:
        return {"type": "json_object"}
    schema, strict = openai_response_schema(f.schema, f.strict)
    return {
        "type": "json_schema",
        "json_schema": {"name": f.name, "schema": schema, "strict": strict},
    }
