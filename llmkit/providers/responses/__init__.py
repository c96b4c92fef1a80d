"""OpenAI's Responses API (`POST {base}/responses`), pure functions.

The default wire of the `openai` endpoint (and of any deployment registered
with `wire="responses"`, such as Azure OpenAI's v1 API). xAI speaks the same
format with its own dialect (`llmkit.providers.xai_responses`). Chat
Completions stays available as `llmkit.providers.openai` (`openai-chat:`).

Stateless: every request says `store: false` and asks for encrypted
reasoning, which comes back as Thinking parts (summary text readable, the
item id and `encrypted_content` opaque) and goes back, in place, only to the
endpoint that produced it (see `_history`). See `_request` for the options,
`_response` for what items become, `_stream` for the fold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmkit.errors import ApiError
from llmkit.protocols import HttpRequest
from llmkit.providers.openai import _models as _chat
from llmkit.providers.openai._wire import WireDialect
from llmkit.providers.responses import (
    _count,
    _errors,
    _history,
    _models,
    _request,
    _response,
    _stream,
)
from llmkit.providers.responses._errors import is_stale_reasoning
from llmkit.providers.responses._models import REASONING, TEXT
from llmkit.providers.responses._stream import State
from llmkit.providers.responses._wire import Dialect
from llmkit.types import ChatRequest, Message, ModelInfo, Options, Response

__all__ = [
    "DIALECT",
    "MODELS",
    "NAME",
    "State",
    "auth_headers",
    "build_count_tokens",
    "build_list_models",
    "build_request",
    "finish",
    "is_stale_reasoning",
    "messages_to_wire",
    "parse_count_tokens",
    "parse_error",
    "parse_list_models",
    "parse_response",
    "snapshot",
    "start",
    "step",
]

NAME = "openai"

DIALECT = Dialect(provider=NAME, catalog=_models.OPENAI)

# Late-2026 catalog (https://platform.openai.com/docs/models); limits and efforts in `_models`.
MODELS: tuple[ModelInfo, ...] = _models.catalog(
    DIALECT,
    (
        ("gpt-6.2-astra", 1_050_000, "GPT-6.2 Astra", REASONING),
        ("gpt-6.2-sol", 1_050_000, "GPT-6.2 Sol", REASONING),
        ("gpt-6-astra", 1_050_000, "GPT-6 Astra", REASONING),
        ("gpt-6.1-sol", 1_050_000, "GPT-6.1 Sol", REASONING),
        ("gpt-6.1-terra", 922_000, "GPT-6.1 Terra", REASONING),
        ("gpt-6-sol", 1_050_000, "GPT-6 Sol", REASONING),
        ("gpt-6-luna", 1_050_000, "GPT-6 Luna", REASONING),
        ("gpt-5.6-sol", 1_050_000, "GPT-5.6 Sol", REASONING),
        ("gpt-5.6-terra", 1_050_000, "GPT-5.6 Terra", REASONING),
        ("gpt-5.6-luna", 1_050_000, "GPT-5.6 Luna", REASONING),
        ("gpt-5.5", 1_050_000, "GPT-5.5", REASONING),
        ("gpt-5", 400_000, "GPT-5", REASONING),
        ("gpt-5-mini", 400_000, "GPT-5 mini", REASONING),
        ("o4-mini", 200_000, "o4-mini", REASONING),
        ("o3", 200_000, "o3", REASONING),
        ("gpt-4.1", 1_047_576, "GPT-4.1", TEXT),
        ("gpt-4o", 128_000, "GPT-4o", TEXT),
        ("gpt-4o-mini", 128_000, "GPT-4o mini", TEXT),
    ),
)


def auth_headers(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    return _request.build(req, base_url, DIALECT)


def parse_response(body: bytes) -> Response:
    return _response.parse(body, DIALECT)


def build_count_tokens(req: ChatRequest, base_url: str) -> HttpRequest:
    return _count.build_count(req, base_url, DIALECT)


def parse_count_tokens(body: bytes) -> int:
    return _count.parse_count(body, DIALECT)


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return _errors.parse_error(status, headers, body, DIALECT)


def start(req: ChatRequest) -> State:
    return _stream.start(req, DIALECT)


# The fold's own functions (the dialect rides in the state): no wrapper call per event.
step = _stream.step
finish = _stream.finish
snapshot = _stream.snapshot


def build_list_models(base_url: str, page: str | None) -> HttpRequest:
    return _chat.build_list_models(base_url)


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    return _chat.parse_list_models(body, WireDialect(provider=NAME))


_NO_OPTIONS = Options()


def messages_to_wire(
    messages: Sequence[Message], options: Options = _NO_OPTIONS, endpoint: str = NAME
) -> tuple[str | None, list[dict[str, Any]]]:
    """llmkit history -> (`instructions`, `input` items) as sent to `endpoint`."""
    return _history._to_wire_messages(messages, options, DIALECT, endpoint)
