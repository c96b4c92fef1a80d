"""Claude models: llmkit's catalog, and the live listing (`GET /v1/models`).

Capability names are the API's own (`capabilities` of the Models API,
flattened to dotted paths of the `{"supported": true}` leaves), so catalog and
live entries read alike, after the shared words (`images`, `json_schema`, ...).
llmkit adds three: `tools`; `tool_choice.forced`, on models that accept a
forced tool choice (`any`/`tool`); and `thinking.always_on`, on models that
reject `thinking: disabled`. Limits: PROTOCOLS.md sections 1 and 6.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmkit.protocols import HttpRequest
from llmkit.providers._common import decode
from llmkit.types import ModelInfo

from ._wire import NAME, VERSION

_MEDIA = ("image_input", "pdf_input")
_EFFORT_ALL = ("effort", "effort.low", "effort.medium", "effort.high", "effort.xhigh", "effort.max")
_EFFORT_NO_XHIGH = ("effort", "effort.low", "effort.medium", "effort.high", "effort.max")
_ADAPTIVE = ("thinking", "thinking.types.adaptive")
_MANUAL = ("thinking", "thinking.types.enabled")
_BOTH = ("thinking", "thinking.types.adaptive", "thinking.types.enabled")
_ALWAYS_ON = (*_ADAPTIVE, "thinking.always_on")


# The words every provider's catalog shares (`ModelInfo.capabilities`), put
# before the API's own names so a filter for "images" finds Claude too.
_SHARED = {
    "image_input": "images",
    "pdf_input": "documents",
    "structured_outputs": "json_schema",
    "thinking": "reasoning",
}


def _shared(flat: list[str]) -> list[str]:
    words = ["text", *(_SHARED[c] for c in flat if c in _SHARED), "streaming"]
    return list(dict.fromkeys([*words, *flat]))


def _m(id: str, name: str, context: int, out: int, *caps: tuple[str, ...]) -> ModelInfo:
    flat = [c for group in caps for c in group]
    return ModelInfo(
        id=id,
        provider=NAME,
        name=name,
        context_window=context,
        max_output=out,
        capabilities=_shared(["tools", *flat]),
    )


_SO = ("structured_outputs",)
# Forcing a tool (`any`/`tool`) is rejected by the newest models (PROTOCOLS 1.2;
# Sonnet 5.5 too, per Vercel's AI SDK 4.0.94 notes).
_FORCED = ("tool_choice.forced",)
_ON = (*_MEDIA, *_SO, *_ALWAYS_ON, *_EFFORT_ALL)  # thinking always on
_NEW = (*_MEDIA, *_SO, *_ADAPTIVE, *_EFFORT_ALL)  # adaptive thinking and effort
_M, _K = 1_000_000, 1000
MODELS: tuple[ModelInfo, ...] = (
    _m("claude-opus-5-5", "Claude Opus 5.5", _M, 128 * _K, _ON),
    _m("claude-fable-5-1", "Claude Fable 5.1", _M, 128 * _K, _ON),
    _m("claude-sonnet-5-5", "Claude Sonnet 5.5", _M, 128 * _K, _NEW),
    _m("claude-haiku-5-5", "Claude Haiku 5.5", _M, 128 * _K, _NEW, _FORCED),  # id [UNCONFIRMED]
    _m("claude-opus-5", "Claude Opus 5", _M, 128 * _K, _NEW, _FORCED),
    _m("claude-sonnet-5", "Claude Sonnet 5", _M, 128 * _K, _NEW, _FORCED),
    _m("claude-opus-4-8", "Claude Opus 4.8", _M, 128 * _K, _NEW, _FORCED),
    # The effort levels are the API's own answer (corpus pai_error_400_effort_unsupported).
    _m("claude-opus-4-6", "Claude Opus 4.6", 200 * _K, 128 * _K,
       _MEDIA, _SO, _BOTH, _EFFORT_NO_XHIGH, _FORCED),
    _m("claude-sonnet-4-5", "Claude Sonnet 4.5", 200 * _K, 64 * _K, _MEDIA, _SO, _MANUAL, _FORCED),
    _m("claude-haiku-4-5", "Claude Haiku 4.5", 200 * _K, 64 * _K, _MEDIA, _SO, _MANUAL, _FORCED),
    # No structured outputs: they came with Sonnet 4.5 / Opus 4.1.
    _m("claude-sonnet-4-20250514", "Claude Sonnet 4", 200 * _K, 64 * _K, _MEDIA, _MANUAL, _FORCED),
)  # fmt: skip

_BY_ID = {m.id: m for m in MODELS}
# Aliases that are neither a catalog id nor a dated snapshot of one.
_ALIASES = {"claude-sonnet-4-0": "claude-sonnet-4-20250514"}


def model_info(model: str) -> ModelInfo | None:
    """The catalog entry for `model`, or for the catalog id it is a dated
    snapshot of (`claude-haiku-4-5-20251001` is `claude-haiku-4-5`)."""
    hit = _BY_ID.get(_ALIASES.get(model, model))
    if hit is not None:
        return hit
    prefixes = [m for m in _BY_ID if model.startswith(m + "-")]
    return _BY_ID[max(prefixes, key=len)] if prefixes else None


# ---- live listing --------------------------------------------------------------


class _WireModel(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    display_name: str = ""
    max_input_tokens: int | None = None
    max_tokens: int | None = None
    capabilities: dict[str, Any] | None = None


class _WireModelPage(msgspec.Struct, frozen=True, kw_only=True):
    data: list[_WireModel] = []
    has_more: bool = False
    last_id: str | None = None


_page_decoder = msgspec.json.Decoder(_WireModelPage)
_PAGE_SIZE = 1000  # the API's maximum `limit`


def build_list_models(base_url: str, page: str | None) -> HttpRequest:
    query = f"?limit={_PAGE_SIZE}" + (f"&after_id={page}" if page else "")
    return HttpRequest(
        method="GET",
        url=f"{base_url.rstrip('/')}/v1/models{query}",
        headers={"anthropic-version": VERSION},
    )


def _flatten(caps: dict[str, Any], prefix: str = "") -> list[str]:
    """`{"thinking": {"supported": true, "types": {"adaptive": {"supported": true}}}}`
    becomes `["thinking", "thinking.types.adaptive"]`."""
    out: list[str] = []
    for key, value in caps.items():
        if not isinstance(value, dict):
            continue
        path = prefix + key
        if value.get("supported") is True:
            out.append(path)
        out += _flatten(value, path + ".")
    return out


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    page: _WireModelPage = decode(_page_decoder, body, NAME)
    models = [
        ModelInfo(
            id=m.id,
            provider=NAME,
            name=m.display_name,
            context_window=m.max_input_tokens,
            max_output=m.max_tokens,
            capabilities=_shared(_flatten(m.capabilities or {})),
            available=True,
        )
        for m in page.data
    ]
    return models, (page.last_id if page.has_more and page.last_id else None)
