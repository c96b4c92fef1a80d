"""`POST /v1/responses` for clients that speak OpenAI's Responses API
(https://platform.openai.com/docs/api-reference/responses), stateless: the
request becomes an llmkit call, and llmkit's answer or stream events become
the Response object or its events.

Decisions worth knowing:
- Nothing is stored: `previous_response_id`, `conversation`, `background`
  and `store: true` are refused with a 400 (an absent `store` is taken as
  false, so the official SDKs work unchanged); every answer says `store: false`.
- Reasoning from any vendor comes back as a `reasoning` item: its text as
  the summary, and in `encrypted_content` a token minted here (`llmkit:` +
  base64 JSON of the producer, its signature or redacted data, and its item
  id). A client replaying the item gives the producer its own thinking back;
  a reasoning item the gateway did not mint (or a broken token) is nobody's,
  so `Options.foreign_thinking` decides it (dropped by default).
- One output item per part of llmkit's answer: a `message` per text part, a
  `function_call` per call, a `reasoning` per thinking part. Item ids derive
  from the response id and the part's index, so the stream's items and the
  final response's agree.
- `text.format` json_schema -> `ResponseFormat`; `json_object` and plain
  text need no option. `reasoning.effort` -> `Reasoning(effort)`;
  `max_output_tokens` -> `max_tokens`; `prompt_cache_key` -> `cache_key`.
"""

from __future__ import annotations

from llmkit.server.responses_compat._request import (
    MINT,
    Call,
    ResponsesBody,
    decode_body,
    mint,
    parse_request,
    unmint,
)
from llmkit.server.responses_compat._response import (
    error_body,
    output_item,
    response_body,
    wire_usage,
)
from llmkit.server.responses_compat._stream import Out, error_frame, start, step

__all__ = [
    "MINT",
    "Call",
    "Out",
    "ResponsesBody",
    "decode_body",
    "error_body",
    "error_frame",
    "mint",
    "output_item",
    "parse_request",
    "response_body",
    "start",
    "step",
    "unmint",
    "wire_usage",
]
