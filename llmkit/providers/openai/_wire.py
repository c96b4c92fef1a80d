"""Chat Completions wire shapes (OpenAI field names), decoded once at import.

Every field has a default and unknown fields are ignored (`obfuscation`,
`system_fingerprint`, `annotations`, xAI's `cost_in_usd_ticks`...), so a
vendor adding fields never breaks decoding. Counts are `int | None` because
some OpenAI-compatible servers send `null` where OpenAI sends 0. Decoded
shapes are `gc=False`: JSON holds no reference cycles, and untracked Structs
decode faster.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmkit.providers._ids import CHAT_COMPLETIONS, IdRule


class WireDialect(msgspec.Struct, frozen=True, kw_only=True):
    """What differs between servers speaking Chat Completions.

    - `provider`: the name stamped on responses and on our own Thinking parts.
    - `max_tokens_key`: `max_completion_tokens` (OpenAI; required by its
      reasoning models) or `max_tokens` (xAI's recorded clients, and the only
      key many compatible servers know).
    - `reasoning_outside_completion`: xAI's `completion_tokens` excludes
      reasoning tokens (prompt + completion + reasoning = total); OpenAI's
      includes them.
    - `openai_models`: apply OpenAI's per-model rules (reasoning models reject
      temperature/top_p unless effort is `none`).
    - `ids`: the tool-call ids the server accepts; others are mapped
      (`llmkit.providers._ids`).
    - `xai_tools`: tool schemas in xAI's dialect (`_schema.xai_tool`: always
      constrained, `additionalProperties: false` refused).
    """

    provider: str
    max_tokens_key: str = "max_completion_tokens"
    reasoning_outside_completion: bool = False
    openai_models: bool = True
    ids: IdRule = CHAT_COMPLETIONS
    xai_tools: bool = False


class Function(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None
    arguments: str | None = None


class WireToolCall(msgspec.Struct, frozen=True, gc=False):
    """A whole call (response) or one fragment of it (stream delta)."""

    index: int | None = None
    id: str | None = None
    function: Function | None = None


class WireMessage(msgspec.Struct, frozen=True, gc=False):
    """`choices[].message` in a response, or `choices[].delta` in a chunk."""

    content: str | None = None
    reasoning_content: str | None = None
    refusal: str | None = None
    tool_calls: list[WireToolCall] | None = None


class Choice(msgspec.Struct, frozen=True, gc=False):
    index: int = 0
    message: WireMessage | None = None
    delta: WireMessage | None = None
    finish_reason: str | None = None
    content_filter_results: dict[str, Any] | None = None  # Azure OpenAI's


class PromptDetails(msgspec.Struct, frozen=True, gc=False):
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None


class CompletionDetails(msgspec.Struct, frozen=True, gc=False):
    reasoning_tokens: int | None = None


class WireUsage(msgspec.Struct, frozen=True, gc=False):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: PromptDetails | None = None
    completion_tokens_details: CompletionDetails | None = None


class ErrorObject(msgspec.Struct, frozen=True, gc=False):
    message: str | None = None
    type: str | None = None
    code: str | int | None = None
    param: str | None = None


class Completion(msgspec.Struct, frozen=True, gc=False):
    """A response body or a stream chunk (same envelope). `error` is OpenAI's
    `{"error": {...}}` or xAI's flat `{"code": "...", "error": "message"}`."""

    id: str | None = None
    model: str | None = None
    choices: list[Choice] = []
    usage: WireUsage | None = None
    error: ErrorObject | str | None = None
    code: str | int | None = None
    prompt_filter_results: list[Any] | None = None  # Azure OpenAI's


class ModelEntry(msgspec.Struct, frozen=True):
    id: str
    owned_by: str | None = None


class ModelList(msgspec.Struct, frozen=True):
    data: list[ModelEntry] = []


completion = msgspec.json.Decoder(Completion)
model_list = msgspec.json.Decoder(ModelList)
encoder = msgspec.json.Encoder()
