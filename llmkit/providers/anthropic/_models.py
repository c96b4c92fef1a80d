"""Claude models: llmkit's catalog, and the live listing (`GET /v1/models`).

Capability names are the API's own (`capabilities` of the Models API,
flattened to dotted paths of the `{"supported": true}` leaves), so catalog and
live entries read alike, after the shared words (`images`, `json_schema`, ...).
llmkit adds three: `tools`; `tool_choice.forced`, on models that accept a
forced tool choice (`any`/`tool`); and `thinking.always_on`, on models that
reject `thinking: disabled`. Limits: https://platform.claude.com/docs/en/about-claude/models/overview.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import msgspec

from llmkit.protocols import HttpRequest
from llmkit.providers._common import decode, longest_prefix
from llmkit.types import ModelInfo, Sampling

from ._wire import NAME, VERSION

# Sampling parameters per model under `anthropic-version: 2023-06-01` (the one
# llmkit speaks, see `_wire.VERSION`; https://platform.claude.com/docs/en/api/versioning).
# Longest prefix wins, so
# an id newer than this table gets the "claude-" entry: Anthropic deprecated
# `temperature`, `top_p` and `top_k` for every model released after Opus 4.6
# (400 "`temperature` is deprecated for this model."; only temperature 1.0, the
# default, is still accepted), as probed on Opus 4.7, 4.8, 5, Sonnet 5 and Fable
# 5 [BerriAI/litellm#26444; platform.claude.com model-deprecations]; the 5.x
# models after those are assumed the same [UNCONFIRMED]. Claude 4.x up to 4.6
# takes all three, but 400s on "`temperature` and `top_p` cannot both be
# specified for this model" (seen on 4.1, Sonnet 4.5 and 4.6: open-webui/
# pipelines#546, langfuse/langfuse#9882, Vali-98/ChatterUI#564; assumed for all
# of 4.x). Claude 3.x took both together [UNCONFIRMED].
_ALL = Sampling()
_ONE_OF = Sampling(temperature_with_top_p=False)
_NONE = Sampling(accepts=())
SAMPLING: Mapping[str, Sampling] = MappingProxyType(
    {
        "claude-": _NONE,
        "claude-3": _ALL,
        "claude-opus-4": _ONE_OF,
        "claude-sonnet-4": _ONE_OF,
        "claude-haiku-4": _ONE_OF,
        "claude-opus-4-7": _NONE,
        "claude-opus-4-8": _NONE,
    }
)


def sampling_for(model: str) -> Sampling:
    """What `model` takes, by the longest matching prefix of `SAMPLING`."""
    return longest_prefix(SAMPLING, model, _NONE)


# Whether a conversation may end on an assistant turn (prefill). From Claude
# 4.6 on it is a 400 ("This model does not support assistant message prefill.
# The conversation must end with a user message.") [Claude docs, migrating to
# Claude 4.6; aws/agent-toolkit-for-aws model-migration.md]; ids newer than the
# table get the "claude-" entry.
PREFILL: Mapping[str, bool] = MappingProxyType(
    {
        "claude-": False,
        "claude-3": True,
        "claude-opus-4": True,
        "claude-sonnet-4": True,
        "claude-haiku-4": True,
        "claude-opus-4-6": False,
        "claude-sonnet-4-6": False,
        "claude-opus-4-7": False,
        "claude-opus-4-8": False,
    }
)


def prefill_for(model: str) -> bool:
    """Whether `model` takes a final assistant message, by longest prefix."""
    return longest_prefix(PREFILL, model, False)


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
        sampling=sampling_for(id),
    )


_SO = ("structured_outputs",)
# Forcing a tool (`any`/`tool`) is rejected by the newest models
# (https://platform.claude.com/docs/en/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use;
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
_SNAPSHOTS = {f"{m.id}-": m for m in MODELS}  # a dated snapshot: the id, "-", a date
# Aliases that are neither a catalog id nor a dated snapshot of one.
_ALIASES = {"claude-sonnet-4-0": "claude-sonnet-4-20250514"}


def model_info(model: str) -> ModelInfo | None:
    """The catalog entry for `model`, or for the catalog id it is a dated
    snapshot of (`claude-haiku-4-5-20251001` is `claude-haiku-4-5`)."""
    hit = _BY_ID.get(_ALIASES.get(model, model))
    if hit is not None:
        return hit
    return longest_prefix(_SNAPSHOTS, model, None)


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
