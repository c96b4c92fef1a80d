"""`POST /v1/messages` for clients that speak Anthropic's Messages API
(https://platform.claude.com/docs/en/api/messages): the request body
becomes an llmkit call, and llmkit's answer or stream events become the
Messages body or its SSE events.

The reverse of `llmkit.providers.anthropic`: history is read with its
`messages_from_wire`, so what Claude accepts from the client reaches any
model. Pure functions; the handler in `_app` does the I/O.

Decisions worth knowing:
- `cache_control` of any ttl marks a cache breakpoint (`Message.cache`,
  `Tool.cache`); other vendors ignore it.
- `thinking` maps to `Reasoning`: enabled -> `budget`, adaptive -> the
  `output_config.effort` if any, `display: "omitted"` -> `include=False`,
  disabled -> none. `top_k` reaches Claude only (the other vendors' bodies
  have no such key); `metadata` and unknown fields are ignored.
- Thinking goes out with Claude's signature when Claude made it. Other
  vendors' reasoning goes out as thinking text with an empty signature; when
  the client sends it back, a thinking block without a signature is nobody's
  (provider None), so `Options.foreign_thinking` decides it: dropped by default.
  A signature the gateway did not see made by Claude is never invented.
- Tool-call ids are fitted to Claude's id pattern (`fit_id`): clients replay
  them, and some validate them.
- One content block is open at a time; the stream's `message_delta` carries
  the final usage and stop reason from `Done`.
"""

from __future__ import annotations

from llmkit.server.anthropic_compat._request import Call, MessagesBody, decode_body, parse_request
from llmkit.server.anthropic_compat._response import (
    block,
    error_body,
    error_type,
    response_body,
    stop_reason,
    wire_usage,
)
from llmkit.server.anthropic_compat._stream import Out, error_frame, start, step

__all__ = [
    "Call",
    "MessagesBody",
    "Out",
    "block",
    "decode_body",
    "error_body",
    "error_frame",
    "error_type",
    "parse_request",
    "response_body",
    "start",
    "step",
    "stop_reason",
    "wire_usage",
]
