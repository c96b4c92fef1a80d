"""xAI (Grok) on the Responses API (`POST {base}/responses`): xAI's primary route.

The functions are `llmkit.providers.responses`', run with xAI's dialect:
- the catalog: the `reasoning.effort` values each Grok model takes (grok-4.20
  and grok-4-fast take none at all); temperature/top_p are accepted;
- `seed` is sent (OpenAI's Responses has none); `stop` and the penalties
  (in `extra`) are "not supported in Responses API", so they are Unsupported;
- tool schemas lose `additionalProperties: false` (xAI rejects it; its tool
  arguments are always schema-constrained), `strict` is sent only when set;
- assistant text goes back as plain assistant messages; reasoning items
  (`encrypted_content`, which grok-4.7 returns by default) go back in place,
  with the `status` xAI's own items carry;
- documents go by URL: xAI takes no inline non-image files;
- no `reasoning.summary` is asked for.
Usage is read as on OpenAI's Responses (output includes reasoning), unlike
xAI's Chat Completions. Error bodies: OpenAI's envelope or xAI's flat
`{"code", "error"}`. Chat Completions stays available as `xai-chat:`.
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
from llmkit.providers.responses import auth_headers as auth_headers
from llmkit.providers.responses import build_list_models as build_list_models
from llmkit.providers.responses import finish as finish
from llmkit.providers.responses import snapshot as snapshot
from llmkit.providers.responses import step as step
from llmkit.providers.responses._models import REASONING, TEXT
from llmkit.providers.responses._stream import State
from llmkit.providers.responses._wire import Dialect
from llmkit.types import ChatRequest, Message, ModelInfo, Options, Response

NAME = "xai"

DIALECT = Dialect(
    provider=NAME,
    catalog=_models.XAI,
    seed=True,
    tool_schema="xai",
    items=False,
    summary=False,
    rejects=("presence_penalty", "frequency_penalty"),
    reasoning_status=True,
    inline_files=False,
)

_NO_IMAGES = [c for c in REASONING if c != "images"]
MODELS: tuple[ModelInfo, ...] = _models.catalog(
    DIALECT,
    (
        ("grok-4.7", 500_000, "Grok 4.7", REASONING),
        ("grok-4.5", 500_000, "Grok 4.5", REASONING),
        ("grok-4.3", 1_000_000, "Grok 4.3", REASONING),
        ("grok-4.20-reasoning", 2_000_000, "Grok 4.20 Reasoning", REASONING),
        ("grok-4.20-non-reasoning", 2_000_000, "Grok 4.20 Non-Reasoning", TEXT),
        ("grok-code-fast-1", 256_000, "Grok Code Fast", _NO_IMAGES),
        ("grok-3-mini", 131_072, "Grok 3 Mini", _NO_IMAGES),
    ),
)


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


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    return _chat.parse_list_models(body, WireDialect(provider=NAME))


_NO_OPTIONS = Options()


def messages_to_wire(
    messages: Sequence[Message], options: Options = _NO_OPTIONS, endpoint: str = NAME
) -> tuple[str | None, list[dict[str, Any]]]:
    return _history._to_wire_messages(messages, options, DIALECT, endpoint)
