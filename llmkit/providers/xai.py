"""xAI (Grok) Chat Completions: OpenAI's wire format with xAI's differences.

The functions are `llmkit.providers.openai`'s, run with xAI's dialect:
- usage: xAI's `completion_tokens` excludes reasoning, so llmkit's
  `output_tokens` is completion + reasoning (OpenAI's already includes it);
- `reasoning_content` (grok-3-mini, grok-code-fast) is Thinking(provider="xai").
  Chat Completions has no input field for it, so earlier turns' reasoning is
  not sent back (xAI says it is lost on this API; use Responses to keep it);
- `max_tokens` is sent (what xAI's recorded clients send), not
  `max_completion_tokens`;
- tool schemas lose `additionalProperties: false` (xAI rejects it; its tool
  arguments are always constrained); response formats are OpenAI-strict;
- before any I/O, `Unsupported` for what xAI's reasoning models reject: `stop`,
  `presence_penalty`/`frequency_penalty` (in `extra`), and a `reasoning_effort`
  the model does not take (grok-4 and grok-4-fast take none at all).
Errors come in OpenAI's `{"error": {...}}` shape or xAI's flat
`{"code": "...", "error": "..."}`; both are parsed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmkit.errors import ApiError, Unsupported
from llmkit.protocols import HttpRequest
from llmkit.providers._common import longest_prefix
from llmkit.providers.openai import (
    WireDialect,
    _errors,
    _history,
    _models,
    _request,
    _response,
    _stream,
)

# The same over the wire as OpenAI's: re-exported as they are.
from llmkit.providers.openai import auth_headers as auth_headers
from llmkit.providers.openai import build_list_models as build_list_models
from llmkit.providers.openai import finish as finish
from llmkit.providers.openai import snapshot as snapshot
from llmkit.providers.openai import step as step
from llmkit.providers.openai._stream import State
from llmkit.types import ChatRequest, Effort, Message, ModelInfo, Options, Response

NAME = "xai"

DIALECT = WireDialect(
    provider=NAME,
    max_tokens_key="max_tokens",
    reasoning_outside_completion=True,
    openai_models=False,
    xai_tools=True,
)

# `reasoning_effort` values each model accepts
# (https://docs.x.ai/developers/model-capabilities/text/reasoning#effort-levels); longest
# prefix wins; an empty set means the model rejects the parameter; a model
# not listed gets whatever the caller asks for.
_EFFORTS: Mapping[str, frozenset[Effort]] = {
    "grok-3-mini": frozenset({"low", "high"}),
    "grok-4": frozenset(),  # grok-4 itself
    "grok-4-": frozenset(),  # grok-4-fast-*, grok-4-0709, grok-4-1-fast-*
    "grok-4.": frozenset({"none", "low", "medium", "high", "xhigh"}),  # newer, not listed below
    # grok-4.20-*: every value is refused, `none` included (400 from the API);
    # the multi-agent model reads the effort as its agent count.
    "grok-4.20": frozenset(),
    "grok-4.20-multi-agent": frozenset({"low", "medium", "high", "xhigh"}),
    "grok-4.3": frozenset({"none", "low", "medium", "high"}),
    "grok-4.5": frozenset({"low", "medium", "high"}),
    "grok-4.6": frozenset({"low", "medium", "high", "xhigh"}),
    "grok-4.7": frozenset({"low", "medium", "high", "xhigh"}),
    "grok-code-fast": frozenset(),
}
# Which models reason (and so reject stop and penalties). Newer ids reason.
_REASONS: Mapping[str, bool] = {"grok-2": False, "grok-3": False, "grok-3-mini": True}
_PENALTIES = ("presence_penalty", "frequency_penalty")

_TEXT = ["text", "images", "tools", "json_schema", "streaming"]
_REASONING = [*_TEXT, "reasoning"]


def _model(id: str, context: int, caps: list[str], name: str) -> ModelInfo:
    return ModelInfo(id=id, provider=NAME, name=name, context_window=context, capabilities=caps)


MODELS: tuple[ModelInfo, ...] = (
    _model("grok-4.7", 500_000, _REASONING, "Grok 4.7"),
    _model("grok-4.5", 500_000, _REASONING, "Grok 4.5"),
    _model("grok-4.3", 1_000_000, _REASONING, "Grok 4.3"),
    _model("grok-4.20-reasoning", 2_000_000, _REASONING, "Grok 4.20 Reasoning"),
    _model("grok-4.20-non-reasoning", 2_000_000, _TEXT, "Grok 4.20 Non-Reasoning"),
    _model("grok-code-fast-1", 256_000, [c for c in _REASONING if c != "images"], "Grok Code Fast"),
    _model("grok-3-mini", 131_072, [c for c in _REASONING if c != "images"], "Grok 3 Mini"),
)


def is_reasoning(model: str) -> bool:
    if model.endswith("-non-reasoning"):
        return False
    return bool(longest_prefix(_REASONS, model, True))


def check(req: ChatRequest) -> None:
    """Raise Unsupported for what this model would reject."""
    o = req.options
    effort = o.reasoning.effort if o.reasoning is not None else None
    allowed: frozenset[Effort] | None = longest_prefix(_EFFORTS, req.model, None)
    if effort is not None and allowed is not None and effort not in allowed:
        took = ", ".join(sorted(allowed)) or "none"
        raise Unsupported(
            f"reasoning effort {effort!r} on {req.model} (it takes: {took})", provider=NAME
        )
    if is_reasoning(req.model):
        rejected = [k for k in _PENALTIES if k in o.extra] + (["stop"] if o.stop else [])
        if rejected:
            raise Unsupported(
                f"{', '.join(rejected)} on reasoning model {req.model}", provider=NAME
            )


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    check(req)
    return _request.build(req, base_url, DIALECT)


def parse_response(body: bytes) -> Response:
    return _response.parse(body, DIALECT)


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return _errors.parse_error(status, headers, body, DIALECT)


def start(req: ChatRequest) -> State:
    return _stream.start(req, DIALECT)


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    return _models.parse_list_models(body, DIALECT)


_NO_OPTIONS = Options()


def messages_to_wire(
    messages: Sequence[Message], options: Options = _NO_OPTIONS
) -> list[dict[str, Any]]:
    return _history._to_wire_messages(messages, options, DIALECT)


def messages_from_wire(wire: Sequence[Mapping[str, Any]]) -> list[Message]:
    return _history._from_wire_messages(wire, DIALECT)
