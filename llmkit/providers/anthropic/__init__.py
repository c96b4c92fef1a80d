"""Anthropic (Claude) over the raw Messages API: pure functions, no I/O.

A `llmkit.protocols.Provider`: `build_request` / `parse_response` /
`parse_error` for one call, `start` / `step` / `finish` / `snapshot` for the
streaming fold, `build_list_models` / `parse_list_models` for `GET /v1/models`,
and `MODELS`, the catalog. `messages_to_wire` / `messages_from_wire` convert
history both ways (see `_request` for what round-trips exactly).

Decisions worth knowing:
- `max_tokens` (required by the API) defaults to the catalog's max output for
  the model, else `FALLBACK_MAX_TOKENS`.
- `seed` raises `Unsupported`: Anthropic cannot seed sampling, and silently
  dropping it would promise a reproducibility nobody gets.
- `Reasoning` maps to what the catalog says the model takes: `budget` ->
  `thinking: enabled` where manual thinking exists, else adaptive; `effort` ->
  `output_config.effort` plus adaptive thinking, or a budget on models with
  manual thinking only; `effort="none"` sends nothing (thinking is opt-in) and
  is refused on always-on models; `include=False` -> `display: "omitted"`.
- `ResponseFormat` with a schema -> `output_config.format` (json_schema, in
  Claude's dialect: `_schema.anthropic_strict`) on models with structured
  outputs; a forced tool with the schema as given on other models and for a
  schema that dialect cannot express (a dict, recursion). Without a schema it
  is `Unsupported` (there is no JSON mode), as is forcing a tool while
  thinking or on models that reject forced tool choice. Catalog facts decide;
  unknown models are trusted. `strict` tools are sent in the same dialect.
- `options.extra` is merged last into the body; `extra["betas"]` is a list of
  `anthropic-beta` names instead.
- A text block with citations comes back as `Raw` (the unified Text cannot
  hold them), so the next turn replays it exactly.
"""

from __future__ import annotations

from ._models import MODELS, build_list_models, model_info, parse_list_models
from ._request import FALLBACK_MAX_TOKENS, build_request, messages_from_wire, messages_to_wire
from ._response import parse_error, parse_response
from ._stream import State, finish, snapshot, start, step
from ._wire import NAME

DEFAULT_BASE_URL = "https://api.anthropic.com"
KEY_ENV = ("ANTHROPIC_API_KEY",)


def auth_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key}


__all__ = [
    "DEFAULT_BASE_URL",
    "FALLBACK_MAX_TOKENS",
    "KEY_ENV",
    "MODELS",
    "NAME",
    "State",
    "auth_headers",
    "build_list_models",
    "build_request",
    "finish",
    "messages_from_wire",
    "messages_to_wire",
    "model_info",
    "parse_error",
    "parse_list_models",
    "parse_response",
    "snapshot",
    "start",
    "step",
]
