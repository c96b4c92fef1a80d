"""llmkit's answer as a Messages response; errors in Anthropic's envelope
(https://platform.claude.com/docs/en/api/messages, https://platform.claude.com/docs/en/api/errors)."""

from __future__ import annotations

from typing import Any

from llmkit.errors import Overloaded
from llmkit.providers._ids import ANTHROPIC, fit_id
from llmkit.providers.anthropic import NAME as CLAUDE
from llmkit.types import (
    Finish,
    Part,
    Raw,
    Text,
    Thinking,
    ToolCall,
    Usage,
)
from llmkit.types import Response as ChatResponse

_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
    "other": "end_turn",
}
_CLAUDE_STOPS = frozenset(
    {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal",
     "model_context_window_exceeded"}
)  # fmt: skip


def stop_reason(finish: Finish, provider: str) -> str:
    """Claude's own word when Claude answered, else ours mapped to it."""
    if provider == CLAUDE and finish.raw in _CLAUDE_STOPS:
        return finish.raw
    return _STOP[finish.reason]


def wire_usage(u: Usage) -> dict[str, int]:
    """Anthropic's `input_tokens` is the uncached part only (https://platform.claude.com/docs/en/api/messages)."""
    uncached = max(0, u.input_tokens - u.cache_read_tokens - u.cache_write_tokens)
    return {
        "input_tokens": uncached,
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
        "cache_read_input_tokens": u.cache_read_tokens,
    }


def tool_use_block(c: ToolCall) -> dict[str, Any]:
    return {"type": "tool_use", "id": fit_id(c.id, ANTHROPIC), "name": c.name, "input": {}}


def block(p: Part) -> dict[str, Any] | None:
    """An answer's part as a content block (None: nothing to show for it)."""
    match p:
        case Text(text=text, citations=cites, provider=who) if text:  # Claude refuses empty text
            if cites and who == CLAUDE:
                return {"type": "text", "text": text, "citations": cites}
            return {"type": "text", "text": text}
        case Thinking(redacted=data, provider=who) if data is not None:
            return {"type": "redacted_thinking", "data": data} if who == CLAUDE else None
        case Thinking(text=text, signature=sig, provider=who) if who == CLAUDE and sig:
            return {"type": "thinking", "thinking": text, "signature": sig}
        case Thinking(text=text) if text:  # another vendor's: shown, never signed
            return {"type": "thinking", "thinking": text, "signature": ""}
        case ToolCall(arguments=args):
            return {**tool_use_block(p), "input": args}
        case Raw(provider=who, data=data):
            return data if who == CLAUDE and isinstance(data, dict) else None
        case _:
            return None  # images, documents and results are not assistant output


def response_body(resp: ChatResponse, model: str, msg_id: str) -> dict[str, Any]:
    """llmkit's Response as a Messages response; `model` is the client's name."""
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [b for p in resp.message.content if (b := block(p)) is not None],
        "stop_reason": stop_reason(resp.finish, resp.provider),
        "stop_sequence": None,
        "usage": wire_usage(resp.usage),
    }


# ---- errors ----------------------------------------------------------------------

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(status: int, e: Exception | None = None) -> str:
    if isinstance(e, Overloaded) or status == 503:
        return "overloaded_error"
    return _ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def error_body(status: int, message: str, e: Exception | None = None) -> dict[str, Any]:
    """Anthropic's error envelope (https://platform.claude.com/docs/en/api/errors)."""
    return {"type": "error", "error": {"type": error_type(status, e), "message": message}}
