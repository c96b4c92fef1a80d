"""Building `POST {base}/responses` from a ChatRequest.

- Stateless by default: `store: false` and `include:
  ["reasoning.encrypted_content"]` (for every model that may reason), so
  reasoning comes back encrypted and is replayed from the history
  (`_history`), never kept by the vendor;
- `max_tokens` -> `max_output_tokens` (reasoning included); `temperature`,
  `top_p` as they are, where the model takes them (`_models.check`);
- `reasoning.effort` -> `reasoning: {effort, summary: "auto"}` (summaries come
  back readable; `include=False` asks for none); known reasoning models get
  `summary: "auto"` even when no effort is set;
- tools are flat `{"type": "function", name, description, parameters,
  strict}`; `strict` is always sent (Responses makes tools strict when it is
  left out); `tool_choice` auto/none/required or `{"type": "function", name}`;
  `parallel` -> `parallel_tool_calls`;
- `response_format` -> `text.format` (`json_schema` flat, or `json_object`);
- `cache_key` -> `prompt_cache_key`; `extra` is merged last and wins.
Responses has no `stop` (OpenAI and xAI) and OpenAI's has no `seed`: asking
for them is Unsupported, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from llmkit.errors import Unsupported
from llmkit.protocols import HttpRequest
from llmkit.providers._common import tool_choice_for
from llmkit.providers._schema import NotStrict, openai_response_schema, openai_strict, xai_tool
from llmkit.providers.responses._history import _to_wire_messages
from llmkit.providers.responses._models import check, facts
from llmkit.providers.responses._wire import Dialect, encoder
from llmkit.types import ChatRequest, Options, ResponseFormat, Tool, ToolChoice

ENCRYPTED_REASONING = "reasoning.encrypted_content"


def build(req: ChatRequest, base_url: str, d: Dialect) -> HttpRequest:
    headers = {"content-type": "application/json"}
    if req.stream:
        headers["accept"] = "text/event-stream"
    return HttpRequest(
        method="POST", url=f"{base_url}/responses", headers=headers,
        body=encoder.encode(body(req, d)),
    )  # fmt: skip


def body(req: ChatRequest, d: Dialect) -> dict[str, Any]:
    """The JSON body as a dict (before encoding)."""
    check(req, d)
    o = req.options
    instructions, items = _to_wire_messages(req.messages, o, d, req.endpoint or d.provider)
    out: dict[str, Any] = {"model": req.model}
    if instructions is not None:
        out["instructions"] = instructions
    out["input"] = items
    if req.tools:
        out["tools"] = [_to_wire_tool(t, d) for t in req.tools]
    choice = tool_choice_for(req.tool_choice, bool(req.tools), d.provider)
    if choice is not None:
        out.update(_to_wire_tool_choice(choice, d))
    if o.response_format is not None:
        out["text"] = {"format": _format(o.response_format, d)}
    out.update(_options(req.model, o, d))
    out["store"] = False
    if facts(req.model, d).encrypted:  # OpenAI's non-reasoning models have none to give
        out["include"] = [ENCRYPTED_REASONING]
    if req.stream:
        out["stream"] = True
    out.update(o.extra)
    return out


def _options(model: str, o: Options, d: Dialect) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if o.max_tokens is not None:
        out["max_output_tokens"] = o.max_tokens
    if o.temperature is not None:
        out["temperature"] = o.temperature
    if o.top_p is not None:
        out["top_p"] = o.top_p
    if o.stop:
        raise Unsupported("stop sequences on the Responses API", provider=d.provider)
    refused = [k for k in d.rejects if k in o.extra]
    if refused:
        raise Unsupported(f"{', '.join(refused)} on the Responses API", provider=d.provider)
    if o.seed is not None:
        if not d.seed:
            raise Unsupported("seed on OpenAI's Responses API", provider=d.provider)
        out["seed"] = o.seed
    reasoning = _reasoning(model, o, d)
    if reasoning:
        out["reasoning"] = reasoning
    if o.cache_key is not None:
        out["prompt_cache_key"] = o.cache_key
    return out


def _reasoning(model: str, o: Options, d: Dialect) -> dict[str, Any]:
    r = o.reasoning
    effort = r.effort if r is not None else None
    out: dict[str, Any] = {} if effort is None else {"effort": effort}
    reasons = effort is not None or facts(model, d).sampling == "effort_none"
    include = r.include if r is not None else True
    if d.summary and include and reasons and effort != "none":
        out["summary"] = "auto"
    return out


# ---- tools and formats ---------------------------------------------------------


def _openai_tool(t: Tool) -> tuple[dict[str, Any], bool | None]:
    """A strict tool's schema in OpenAI's strict dialect
    (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas);
    one that dialect cannot express is refused before any I/O."""
    if not t.strict:
        return t.parameters, False
    try:
        return openai_strict(t.parameters, tool=True), True
    except NotStrict as e:
        raise Unsupported(f"strict tool {t.name!r}: {e.feature}", provider="openai") from e


# xAI constrains every tool's arguments and refuses `additionalProperties:
# false` in their schemas (https://docs.x.ai/docs/guides/function-calling).
_SCHEMA: Mapping[str, Callable[[Tool], tuple[dict[str, Any], bool | None]]] = {
    "openai": _openai_tool,
    "xai": lambda t: (xai_tool(t.parameters), t.strict),
}


def _to_wire_tool(t: Tool, d: Dialect) -> dict[str, Any]:
    parameters, strict = _SCHEMA[d.tool_schema](t)
    out: dict[str, Any] = {"type": "function", "name": t.name}
    if t.description:
        out["description"] = t.description
    out["parameters"] = parameters
    if strict is not None:
        out["strict"] = strict
    return out


def _to_wire_tool_choice(c: ToolChoice, d: Dialect) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.mode == "tool":
        if not c.name:
            raise Unsupported("tool_choice 'tool' without a tool name", provider=d.provider)
        out["tool_choice"] = {"type": "function", "name": c.name}
    else:
        out["tool_choice"] = c.mode
    if c.parallel is not None:
        out["parallel_tool_calls"] = c.parallel
    return out


def _format(f: ResponseFormat, d: Dialect) -> dict[str, Any]:
    if f.schema is None:
        return {"type": "json_object"}
    # OpenAI's strict dialect for both vendors (xAI's response formats follow
    # OpenAI's: https://docs.x.ai/docs/guides/structured-outputs); a schema it
    # cannot express goes as given with `strict: false`, and the answer is
    # still validated when decoded.
    schema, strict = openai_response_schema(f.schema, f.strict)
    return {"type": "json_schema", "name": f.name, "schema": schema, "strict": strict}
