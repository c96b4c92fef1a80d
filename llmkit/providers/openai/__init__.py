"""OpenAI Chat Completions (`POST {base}/chat/completions`), pure functions.

Also the wire format of every OpenAI-compatible server: an endpoint registered
with `llmkit.registry.with_endpoint(reg, "ollama", base_url=..., key_env=...)`
is served by this module unchanged (the transport reports it under its own
name). The endpoint says which server it is (`ChatRequest.dialect`, from
`Endpoint.dialect`): `"openai"` (or empty) gets OpenAI's rules; on a
`"compatible"` server the request uses `max_tokens` (Ollama, vLLM, Groq,
OpenRouter and DeepSeek all know it; many do not know
`max_completion_tokens`), except for OpenAI reasoning-model ids, which need
`max_completion_tokens` wherever they are served; OpenAI's own per-model checks
are skipped there. xAI reuses these functions with its dialect (`llmkit.providers.xai`).

Tool-call ids over 40 bytes (OpenAI's limit) go out as deterministic
stand-ins, the same for a call and its result (`llmkit.providers._ids`).

Responses: content -> Text; a `refusal` -> Text with finish `content_filter`;
`reasoning_content` (xAI, DeepSeek, vLLM) -> Thinking, first; tool calls ->
ToolCall with the exact argument text in `raw_arguments` (invalid JSON is
flagged in `error`, never raised). Only choice 0 is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmkit.errors import ApiError, Unsupported
from llmkit.protocols import HttpRequest
from llmkit.providers.openai import _errors, _history, _models, _request, _response, _stream
from llmkit.providers.openai._models import MODELS
from llmkit.providers.openai._stream import State
from llmkit.providers.openai._wire import WireDialect
from llmkit.types import ChatRequest, Message, ModelInfo, Options, Response

__all__ = [
    "COMPATIBLE",
    "DIALECT",
    "MODELS",
    "NAME",
    "State",
    "WireDialect",
    "auth_headers",
    "build_list_models",
    "build_request",
    "finish",
    "messages_from_wire",
    "messages_to_wire",
    "parse_error",
    "parse_list_models",
    "parse_response",
    "snapshot",
    "start",
    "step",
]

NAME = "openai"

DIALECT = WireDialect(provider=NAME)
COMPATIBLE = WireDialect(provider=NAME, max_tokens_key="max_tokens", openai_models=False)
_COMPATIBLE_REASONING = WireDialect(provider=NAME, openai_models=False)


def auth_headers(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def dialect_for(req: ChatRequest) -> WireDialect:
    """The rules for the server the endpoint names: OpenAI's own, or a compatible one."""
    if req.dialect in ("", "openai"):
        return DIALECT
    if req.dialect == "compatible":
        return _COMPATIBLE_REASONING if _request.is_openai_reasoning(req.model) else COMPATIBLE
    raise Unsupported(
        f"dialect {req.dialect!r} on Chat Completions (known: 'openai', 'compatible')",
        provider=req.endpoint or NAME,
    )


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    return _request.build(req, base_url, dialect_for(req))


def parse_response(body: bytes) -> Response:
    return _response.parse(body, DIALECT)


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return _errors.parse_error(status, headers, body, DIALECT)


def start(req: ChatRequest) -> State:
    return _stream.start(req, DIALECT)


# The fold's own functions (the dialect rides in the state): a wrapper would
# cost one more call per streamed event, and xAI shares them as they are.
step = _stream.step
finish = _stream.finish
snapshot = _stream.snapshot


def build_list_models(base_url: str, page: str | None) -> HttpRequest:
    return _models.build_list_models(base_url)


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    return _models.parse_list_models(body, DIALECT)


_NO_OPTIONS = Options()


def messages_to_wire(
    messages: Sequence[Message], options: Options = _NO_OPTIONS
) -> list[dict[str, Any]]:
    """llmkit history -> Chat Completions `messages` (see `_history` for what is normalized)."""
    return _history._to_wire_messages(messages, options, DIALECT)


def messages_from_wire(wire: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Chat Completions `messages` (decoded JSON) -> llmkit history."""
    return _history._from_wire_messages(wire, DIALECT)
