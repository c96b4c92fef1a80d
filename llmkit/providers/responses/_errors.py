"""Errors on the Responses API: HTTP error bodies, `error` events, failed responses.

Bodies come in OpenAI's `{"error": {message, type, param, code}}` envelope or
xAI's flat `{"code": "...", "error": "message"}`; both are read by the Chat
Completions parser, which already knows OpenAI's codes (429
`insufficient_quota` is not retryable). Inside a stream the HTTP status was 200
long ago, so stream errors carry none (llmkit never invents one): an `error`
event (flat `{code, message}` or nested `{error: {type, code, message}}`) or
`response.failed` (`response.error` {code, message}).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from llmkit.errors import ApiError, api_error
from llmkit.providers.openai import _errors as chat
from llmkit.providers.openai._wire import WireDialect
from llmkit.providers.responses import _wire as w
from llmkit.types import Response

# Stream error codes that are never worth a retry (quota and billing, policy).
_NOT_RETRYABLE = frozenset(
    {"insufficient_quota", "credit_balance_exhausted", "billing_hard_limit_reached",
     "invalid_prompt", "bio_policy", "misalignment_policy_violation"}
)  # fmt: skip


def parse_error(status: int, headers: Mapping[str, str], body: bytes, d: w.Dialect) -> ApiError:
    return chat.parse_error(status, headers, body, WireDialect(provider=d.provider))


def from_object(
    e: w.ErrorObject | str | None,
    code: str | int | None,
    body: str,
    d: w.Dialect,
    partial: Response | None,
) -> ApiError:
    """An ApiError from an error object seen after the 200 (status None)."""
    if isinstance(e, w.ErrorObject):
        message, code, kind = e.message or "", e.code if e.code is not None else code, e.type
    else:
        message, kind = e or "", None
    word = str(code) if code is not None else None
    err = api_error(
        d.provider,
        None,
        message or "the vendor reported an error",
        error_type=word or kind,
        kind=chat._KIND.get(word or "") or chat._KIND.get(kind or ""),
        body=body,
        retryable=False if {word, kind} & _NOT_RETRYABLE else None,
    )
    err.partial = partial
    return err


def from_event(ev: w.ErrorEvent, body: str, d: w.Dialect, partial: Response | None) -> ApiError:
    if ev.error is not None:  # nested (seen live)
        return from_object(ev.error, ev.code, body, d, partial)
    return from_object(w.ErrorObject(message=ev.message, code=ev.code), None, body, d, partial)


# The vendor could not use a replayed reasoning item: another key, model or
# deployment made it, or it was replayed without its encrypted content.
_STALE = re.compile(
    r"Item (with id )?'rs_[^']*' not found|encrypted content .* could not be (verified|decrypted)"
    r"|Encrypted content could not be",
    re.IGNORECASE,
)


def is_stale_reasoning(err: ApiError) -> bool:
    """The answer that asks to send the conversation again without reasoning items."""
    if err.error_type == "invalid_encrypted_content":
        return True
    return err.status in (400, 404) and bool(_STALE.search(err.message))
