"""Google Gemini API (generativelanguage.googleapis.com, v1beta), pure functions.

`POST /v1beta/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse`
when streaming; the key goes in the `x-goog-api-key` header, never the URL, so
it cannot leak into logged URLs (https://ai.google.dev/api/generate-content).

Decisions worth knowing:
- Signatures: a `thoughtSignature` stays on the llmkit part it came on and is
  sent back on that part, only when the part's `provider` is "google"; llmkit
  never invents one (so Gemini 3 rejects foreign function calls in the current
  turn: "missing a thought_signature"). A streamed text's signature, sent on a
  last empty part, lands on the text part, as in the non-streamed answer
  (see `_stream`).
- Ids: a functionCall without an id gets `llmkit-gemini-<responseId>-<k>`;
  such ids are never sent back, so Gemini matches results by name and order.
  Vendor ids, and other vendors' ids, are echoed (Gemini accepts client ids).
- Other vendors' history: thinking per `Options.foreign_thinking`; their Raw
  parts and signatures are dropped.
- `toolConfig` only goes with function declarations (Gemini 400s otherwise):
  `tool_choice` auto/none without tools is left out, required/tool refused.
- History both ways: `messages_to_wire(messages, options=Options()) ->
  (systemInstruction | None, contents)` and `messages_from_wire(
  systemInstruction, contents) -> list[Message]`, on JSON-ready dicts (`_history`).
"""

from __future__ import annotations

from msgspec.structs import replace

from llmkit.protocols import HttpRequest
from llmkit.providers.google._count import build_count_tokens_from, parse_count_tokens
from llmkit.providers.google._errors import parse_error
from llmkit.providers.google._history import _from_wire_messages as messages_from_wire
from llmkit.providers.google._history import _to_wire_messages as messages_to_wire
from llmkit.providers.google._models import MODELS, build_list_models, parse_list_models
from llmkit.providers.google._request import SKIP_SIGNATURE, build_request
from llmkit.providers.google._response import parse_response
from llmkit.providers.google._stream import State, finish, snapshot, start, step
from llmkit.types import ChatRequest

__all__ = [
    "MODELS",
    "NAME",
    "SKIP_SIGNATURE",
    "State",
    "auth_headers",
    "build_count_tokens",
    "build_list_models",
    "build_request",
    "finish",
    "messages_from_wire",
    "messages_to_wire",
    "parse_count_tokens",
    "parse_error",
    "parse_list_models",
    "parse_response",
    "snapshot",
    "start",
    "step",
]

NAME = "google"


def auth_headers(key: str) -> dict[str, str]:
    return {"x-goog-api-key": key}


def build_count_tokens(req: ChatRequest, base_url: str) -> HttpRequest:
    """The countTokens request for what `build_request` would send."""
    hr = build_request(replace(req, stream=False), base_url)
    return build_count_tokens_from(hr, req.model, base_url)
