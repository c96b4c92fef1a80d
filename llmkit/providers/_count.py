"""Token counting over the request builder: a count request is the request
llmkit would send, moved to the vendor's counting endpoint and trimmed to the
fields that endpoint takes, so the count is for exactly what would be sent.

- Anthropic: `POST /v1/messages/count_tokens`
  (https://docs.anthropic.com/en/api/messages-count-tokens) → `{"input_tokens"}`.
- OpenAI Responses: `POST /v1/responses/input_tokens`
  (https://platform.openai.com/docs/api-reference/responses/input-tokens)
  → `{"object": "response.input_tokens", "input_tokens"}`.
- Gemini: `POST /v1beta/models/{m}:countTokens` with the whole
  `generateContentRequest` (https://ai.google.dev/api/tokens) → `{"totalTokens"}`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import msgspec

from llmkit.errors import DecodeError
from llmkit.protocols import HttpRequest

_decode = msgspec.json.Decoder(dict[str, Any]).decode
_encode = msgspec.json.Encoder().encode


def recount(
    hr: HttpRequest,
    url: str,
    *,
    keep: Collection[str] | None = None,
    wrap: str | None = None,
    add: Mapping[str, Any] | None = None,
) -> HttpRequest:
    """`hr` sent to `url` instead: its body cut to the `keep` fields, with
    `add` merged in, and nested under `wrap` when the endpoint wants the
    whole request as one field."""
    body = _decode(hr.body or b"{}")
    if keep is not None:
        body = {k: v for k, v in body.items() if k in keep}
    if add:
        body = {**add, **body}
    if wrap is not None:
        body = {wrap: body}
    headers = {k: v for k, v in hr.headers.items() if k != "accept"}  # never a stream
    return HttpRequest(method="POST", url=url, headers=headers, body=_encode(body))


def count_from(body: bytes, field: str, provider: str) -> int:
    """The count in `field` of a counting endpoint's answer."""
    try:
        n = _decode(body).get(field)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise DecodeError(f"token count: not a JSON object ({e})", provider=provider) from e
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise DecodeError(f"token count: no {field!r} count in the answer", provider=provider)
    return n
