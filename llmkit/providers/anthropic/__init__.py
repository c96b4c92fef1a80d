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
- Sampling (`temperature`, `top_p`, and those two or `top_k` in `extra`) is
  sent where the model takes it and `Unsupported` where not, per `SAMPLING`
  (longest prefix; ids newer than the table take none); a default temperature
  of 1.0 is left out where it would be refused. With thinking on: only the
  default temperature, no top_k, top_p from 0.95 to 1. `anthropic-version`
  stays 2023-06-01, under which older models still sample (see `_wire`).
- Whitespace-only text (which the API refuses) is not sent; a turn left
  empty disappears and its neighbours merge.
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
- Tool-call ids Claude refuses (not `^[a-zA-Z0-9_-]+$`, e.g. another
  server's `functions.get_forecast:0`) go out as deterministic stand-ins,
  the same for a call and its result (`llmkit.providers._ids.fit_id`).
- Caching: `Message.cache` / `Tool.cache` put `cache_control` on the last
  block that can carry one (never thinking); past `MAX_BREAKPOINTS` (4, the
  API's limit over tools + system + messages) the last four are kept.
- `options.extra` is merged last into the body; `extra["betas"]` is a list of
  `anthropic-beta` names instead.
- A text block with citations comes back as `Raw` (the unified Text cannot
  hold them), so the next turn replays it exactly.
"""

from __future__ import annotations

from ._count import build_count_tokens, parse_count_tokens
from ._history import _from_wire_messages as messages_from_wire
from ._history import _to_wire_messages as messages_to_wire
from ._models import (
    MODELS,
    SAMPLING,
    build_list_models,
    model_info,
    parse_list_models,
    sampling_for,
)
from ._request import FALLBACK_MAX_TOKENS, build_request
from ._response import parse_error, parse_response
from ._rules import MAX_BREAKPOINTS
from ._stream import State, finish, snapshot, start, step
from ._wire import NAME


def auth_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key}


__all__ = [
    "FALLBACK_MAX_TOKENS",
    "MAX_BREAKPOINTS",
    "MODELS",
    "NAME",
    "SAMPLING",
    "State",
    "auth_headers",
    "build_count_tokens",
    "build_list_models",
    "build_request",
    "finish",
    "messages_from_wire",
    "messages_to_wire",
    "model_info",
    "parse_count_tokens",
    "parse_error",
    "parse_list_models",
    "parse_response",
    "sampling_for",
    "snapshot",
    "start",
    "step",
]
