"""llmkit's answer as a Responses `response` object, and errors in OpenAI's envelope."""

from __future__ import annotations

from typing import Any

import msgspec

from llmkit.errors import Overloaded
from llmkit.providers._ids import RESPONSES, fit_id
from llmkit.server.responses_compat._request import mint
from llmkit.types import (
    Part,
    Text,
    Thinking,
    ToolCall,
    Usage,
)
from llmkit.types import Response as ChatResponse


def wire_usage(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cache_read_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.total_tokens,
    }


def item_ids(resp_id: str, i: int) -> tuple[str, str, str]:
    base = f"{resp_id.removeprefix('resp_')}_{i}"
    return f"msg_{base}", f"fc_{base}", f"rs_{base}"


def message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    if status == "in_progress":
        content = []
    return {"type": "message", "id": item_id, "role": "assistant", "status": status,
            "content": content}  # fmt: skip


def call_item(item_id: str, c: ToolCall, status: str, args: str) -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": fit_id(c.id, RESPONSES),
            "name": c.name, "arguments": args, "status": status}  # fmt: skip


def reasoning_item(item_id: str, text: str, token: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "reasoning", "id": item_id, "summary": []}
    if text:
        item["summary"] = [{"type": "summary_text", "text": text}]
    if token is not None:
        item["encrypted_content"] = token
    return item


def output_item(p: Part, resp_id: str, i: int) -> dict[str, Any] | None:
    """Part `i` of an answer as an output item (None: nothing to show)."""
    msg_id, fc_id, rs_id = item_ids(resp_id, i)
    match p:
        case Text(text=text) if text:
            return message_item(msg_id, text, "completed")
        case ToolCall(raw_arguments=raw, arguments=args):
            json = raw if raw is not None else msgspec.json.encode(args).decode()
            return call_item(fc_id, p, "completed", json)
        case Thinking(provider=who) if who is not None:
            return reasoning_item(rs_id, p.text, mint(p))
        case Thinking(text=text) if text:
            return reasoning_item(rs_id, text, None)
        case _:
            return None


_TERMINAL = {"completed": "completed", "incomplete": "incomplete"}
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def response_body(
    resp: ChatResponse, resp_id: str, echo: dict[str, Any], status: str = "completed"
) -> dict[str, Any]:
    """llmkit's Response as a Responses `response` object."""
    out = [
        item
        for i, p in enumerate(resp.message.content)
        if (item := output_item(p, resp_id, i)) is not None
    ]
    why = _INCOMPLETE.get(resp.finish.reason) if status == "completed" else None
    return {
        **response_head(resp_id, echo, "incomplete" if why else status),
        "incomplete_details": {"reason": why} if why else None,
        "output": out,
        "usage": wire_usage(resp.usage),
    }


def response_head(resp_id: str, echo: dict[str, Any], status: str) -> dict[str, Any]:
    return {"id": resp_id, "object": "response", "status": status, "error": None,
            "incomplete_details": None, **echo, "output": [], "usage": None}  # fmt: skip


# ---- errors ----------------------------------------------------------------------

_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                429: "rate_limit_exceeded"}  # fmt: skip


def error_body(status: int, message: str, e: Exception | None = None) -> dict[str, Any]:
    """OpenAI's error envelope (https://platform.openai.com/docs/guides/error-codes)."""
    kind = _ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    if isinstance(e, Overloaded):
        kind = "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
