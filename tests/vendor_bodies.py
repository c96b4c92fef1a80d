"""Vendor-shaped answers made to order: a text and/or tool calls, as each
vendor's JSON body or SSE stream, in the exact shapes of the recorded traffic
in fixtures/. For tests that need many small variations (the tool loop, model
switching) rather than one recorded exchange."""

from __future__ import annotations

import json
from typing import Any

Call = tuple[str, str, dict[str, Any]]  # id, name, arguments

MODELS = {
    "anthropic": "claude-sonnet-4-20250514",
    "openai": "gpt-4o",
    "xai": "grok-4",
    "google": "gemini-2.5-flash",
}


_signatures = iter(range(1, 1_000_000))


def sig(vendor: str) -> str:
    """A fresh opaque signature whose text says who made it."""
    return f"SIG-{vendor}-{next(_signatures)}"


def _j(x: Any) -> str:
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False)


# ---- Anthropic -------------------------------------------------------------------


def _anthropic_blocks(
    text: str | None, calls: list[Call], thinking: str | None = None
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if thinking:
        blocks.append({"type": "thinking", "thinking": thinking, "signature": sig("anthropic")})
    blocks += [{"type": "text", "text": text}] if text else []
    blocks += [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in calls]
    return blocks


def anthropic_json(
    text: str | None, calls: list[Call], n: int = 1, thinking: str | None = None
) -> bytes:
    return _j({
        "id": f"msg_{n:04d}", "type": "message", "role": "assistant",
        "model": MODELS["anthropic"], "content": _anthropic_blocks(text, calls, thinking),
        "stop_reason": "tool_use" if calls else "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 20, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": 9},
    }).encode()  # fmt: skip


def anthropic_sse(text: str | None, calls: list[Call], n: int = 1) -> bytes:
    def ev(name: str, data: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {_j(data)}\n\n"

    out = [ev("message_start", {"type": "message_start", "message": {
        "id": f"msg_{n:04d}", "type": "message", "role": "assistant",
        "model": MODELS["anthropic"], "content": [], "stop_reason": None,
        "stop_sequence": None, "usage": {"input_tokens": 20, "output_tokens": 1}}})]  # fmt: skip
    for i, b in enumerate(_anthropic_blocks(text, calls)):
        if b["type"] == "text":
            out.append(ev("content_block_start", {"type": "content_block_start", "index": i,
                          "content_block": {"type": "text", "text": ""}}))  # fmt: skip
            out.append(ev("content_block_delta", {"type": "content_block_delta", "index": i,
                          "delta": {"type": "text_delta", "text": b["text"]}}))  # fmt: skip
        else:
            out.append(ev("content_block_start", {"type": "content_block_start", "index": i,
                          "content_block": {**b, "input": {}}}))  # fmt: skip
            args = _j(b["input"])
            for frag in (args[: len(args) // 2], args[len(args) // 2 :]):
                delta = {"type": "input_json_delta", "partial_json": frag}
                block = {"type": "content_block_delta", "index": i, "delta": delta}
                out.append(ev("content_block_delta", block))
        out.append(ev("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(ev("message_delta", {"type": "message_delta", "delta": {
        "stop_reason": "tool_use" if calls else "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 9}}))  # fmt: skip
    out.append(ev("message_stop", {"type": "message_stop"}))
    return "".join(out).encode()


# ---- OpenAI / xAI -------------------------------------------------------------------


def _oa_calls(calls: list[Call]) -> list[dict[str, Any]]:
    return [
        {"id": i, "type": "function", "function": {"name": n, "arguments": _j(a)}}
        for i, n, a in calls
    ]


def openai_json(
    text: str | None, calls: list[Call], n: int = 1, vendor: str = "openai",
    thinking: str | None = None,
) -> bytes:  # fmt: skip
    msg: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if thinking and vendor == "xai":
        msg = {"role": "assistant", "reasoning_content": thinking, "content": text}
    if calls:
        msg["tool_calls"] = _oa_calls(calls)
    return _j({
        "id": f"chatcmpl-{n}", "object": "chat.completion", "created": 1_790_000_000,
        "model": MODELS[vendor],
        "choices": [{"index": 0, "message": msg, "logprobs": None,
                     "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29},
    }).encode()  # fmt: skip


def openai_sse(text: str | None, calls: list[Call], n: int = 1, vendor: str = "openai") -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
        return "data: " + _j({"id": f"chatcmpl-{n}", "object": "chat.completion.chunk",
                              "created": 1_790_000_000, "model": MODELS[vendor],
                              "choices": [choice], "usage": None}) + "\n\n"  # fmt: skip

    out = [chunk({"role": "assistant", "content": ""})]
    if text:
        out.append(chunk({"content": text}))
    for k, c in enumerate(_oa_calls(calls)):
        out.append(chunk({"tool_calls": [{"index": k, **c}]}))
    out.append(chunk({}, "tool_calls" if calls else "stop"))
    out.append("data: " + _j({"id": f"chatcmpl-{n}", "object": "chat.completion.chunk",
                              "created": 1_790_000_000, "model": MODELS[vendor], "choices": [],
                              "usage": {"prompt_tokens": 20, "completion_tokens": 9,
                                        "total_tokens": 29}}) + "\n\n")  # fmt: skip
    return ("".join(out) + "data: [DONE]\n\n").encode()


# ---- Responses API (OpenAI, xAI) ------------------------------------------------------


def responses_object(
    text: str | None, calls: list[Call], n: int = 1, vendor: str = "openai",
    thinking: str | None = None, model: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A complete `response` object in the recorded shape. Item ids and
    encrypted reasoning carry `sig(vendor)`, so a leak to another vendor shows."""
    output: list[dict[str, Any]] = []
    if thinking is not None:
        rs: dict[str, Any] = {"id": f"rs_{sig(vendor)}", "type": "reasoning",
                              "summary": [{"type": "summary_text", "text": thinking}]}  # fmt: skip
        if vendor == "xai":
            rs["status"] = "completed"
        output.append({**rs, "encrypted_content": sig(vendor)})
    if text:
        output.append({"id": f"msg_{sig(vendor)}", "type": "message", "status": "completed",
                       "content": [{"type": "output_text", "annotations": [], "logprobs": [],
                                    "text": text}], "role": "assistant"})  # fmt: skip
    for i, name, a in calls:
        output.append({"id": f"fc_{sig(vendor)}", "type": "function_call", "status": "completed",
                       "arguments": _j(a), "call_id": i, "name": name})  # fmt: skip
    return {
        "id": f"resp_{n:04d}", "object": "response", "created_at": 1_790_000_000,
        "status": "completed", "error": None, "incomplete_details": None,
        "model": model or MODELS[vendor], "output": output, "parallel_tool_calls": True,
        "store": False,
        "usage": {"input_tokens": 20, "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": 9, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": 29},
    }  # fmt: skip


def responses_json(
    text: str | None, calls: list[Call], n: int = 1, vendor: str = "openai",
    thinking: str | None = None,
) -> bytes:  # fmt: skip
    return _j(responses_object(text, calls, n, vendor, thinking)).encode()


def responses_events(final: dict[str, Any], pieces: int = 2) -> list[dict[str, Any]]:
    """The event sequence that streams `final` (a complete response object), as
    OpenAI sends it: created, in_progress, per item added / deltas / done, then
    the terminal event with every item again. Deltas are cut in `pieces`."""
    head = {**final, "status": "in_progress", "output": [], "usage": None}
    out: list[dict[str, Any]] = [{"type": "response.created", "response": head},
                                 {"type": "response.in_progress", "response": head}]  # fmt: skip

    def cut(text: str) -> list[str]:
        k = max(1, -(-len(text) // pieces))
        return [text[i : i + k] for i in range(0, len(text), k)]

    for i, item in enumerate(final["output"]):
        iid, kind = item["id"], item["type"]
        if kind == "message":
            out.append({"type": "response.output_item.added", "output_index": i,
                        "item": {**item, "status": "in_progress", "content": []}})  # fmt: skip
            for c, part in enumerate(item["content"]):
                at = {"item_id": iid, "output_index": i, "content_index": c}
                out.append({"type": "response.content_part.added", **at,
                            "part": {**part, "text": ""}})  # fmt: skip
                for d in cut(part["text"]):
                    out.append({"type": "response.output_text.delta", **at, "delta": d,
                                "logprobs": [], "obfuscation": "xYz"})  # fmt: skip
                out.append({"type": "response.output_text.done", **at, "text": part["text"],
                            "logprobs": []})  # fmt: skip
                out.append({"type": "response.content_part.done", **at, "part": part})
        elif kind == "function_call":
            out.append({"type": "response.output_item.added", "output_index": i,
                        "item": {**item, "status": "in_progress", "arguments": ""}})  # fmt: skip
            for d in cut(item["arguments"]):
                out.append({"type": "response.function_call_arguments.delta", "delta": d,
                            "item_id": iid, "output_index": i, "obfuscation": "xYz"})  # fmt: skip
            done = {"arguments": item["arguments"], "item_id": iid, "output_index": i}
            out.append({"type": "response.function_call_arguments.done", **done})
        elif kind == "reasoning":
            added = {**item, "summary": []}
            if "encrypted_content" in item:  # provisional on `added`: a shorter, other string
                added["encrypted_content"] = item["encrypted_content"][:-1] + "~provisional"
            out.append({"type": "response.output_item.added", "output_index": i, "item": added})
            for k, summary in enumerate(item["summary"]):
                at = {"item_id": iid, "output_index": i, "summary_index": k}
                out.append({"type": "response.reasoning_summary_part.added", **at,
                            "part": {"type": "summary_text", "text": ""}})  # fmt: skip
                for d in cut(summary["text"]):
                    out.append({"type": "response.reasoning_summary_text.delta", **at,
                                "delta": d, "obfuscation": "xYz"})  # fmt: skip
                out.append({"type": "response.reasoning_summary_text.done", **at,
                            "text": summary["text"]})  # fmt: skip
                out.append({"type": "response.reasoning_summary_part.done", **at,
                            "part": summary})  # fmt: skip
        else:
            out.append({"type": "response.output_item.added", "output_index": i, "item": item})
        out.append({"type": "response.output_item.done", "output_index": i, "item": item})
    terminal = {"completed": "response.completed", "incomplete": "response.incomplete",
                "failed": "response.failed"}[final["status"]]  # fmt: skip
    out.append({"type": terminal, "response": final})
    return [{"type": e["type"], "sequence_number": k, **e} for k, e in enumerate(out)]


def responses_sse(final: dict[str, Any] | list[dict[str, Any]], *, framing: str = "event") -> bytes:
    """SSE bytes: `event:` + `data:` frames (OpenAI), or data-only frames
    ending in `data: [DONE]` (`framing="data"`)."""
    events = responses_events(final) if isinstance(final, dict) else final
    if framing == "data":
        return ("".join(f"data: {_j(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()
    return "".join(f"event: {e['type']}\ndata: {_j(e)}\n\n" for e in events).encode()


# ---- Gemini -------------------------------------------------------------------------


def _gemini_parts(
    text: str | None, calls: list[Call], thinking: str | None = None
) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": thinking, "thought": True}] if thinking else []
    parts += [{"text": text}] if text else []
    parts += [{"functionCall": {"name": n, "args": a}} for _, n, a in calls]
    if thinking and parts:  # Gemini 3 signs the first call of a step, or the answer
        first = next((p for p in parts if "functionCall" in p), parts[-1])
        first["thoughtSignature"] = sig("google")
    return parts


def _gemini(
    text: str | None, calls: list[Call], n: int, thinking: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "candidates": [{"content": {"parts": _gemini_parts(text, calls, thinking), "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 9,
                          "totalTokenCount": 29},
        "modelVersion": model or MODELS["google"], "responseId": f"resp{n}",
    }  # fmt: skip


def google_json(
    text: str | None, calls: list[Call], n: int = 1, thinking: str | None = None,
    model: str | None = None,
) -> bytes:  # fmt: skip
    return _j(_gemini(text, calls, n, thinking, model)).encode()


def google_sse(text: str | None, calls: list[Call], n: int = 1) -> bytes:
    return ("data: " + _j(_gemini(text, calls, n)) + "\r\n\r\n").encode()


def reply(vendor: str, text: str | None = None, calls: list[Call] | None = None, *,
          stream: bool = False, n: int = 1, thinking: str | None = None,
          model: str | None = None) -> bytes:  # fmt: skip
    """One answer from `vendor` (anthropic, openai, xai, google: OpenAI and xAI
    on Responses; openai-chat, xai-chat: on Chat Completions). `thinking`
    (non-streamed answers) comes signed where the vendor signs it."""
    calls = calls or []
    if vendor in ("openai", "xai"):
        final = responses_object(text, calls, n, vendor, thinking, model)
        return responses_sse(final) if stream else _j(final).encode()
    chat = vendor.removesuffix("-chat")
    if thinking is not None:
        assert not stream, "thinking is only made for non-streamed answers"
        if vendor == "anthropic":
            return anthropic_json(text, calls, n, thinking)
        if vendor == "google":
            return google_json(text, calls, n, thinking, model)
        return openai_json(text, calls, n, chat, thinking)
    if chat in ("openai", "xai"):
        fn = openai_sse if stream else openai_json
        return fn(text, calls, n, chat)
    if vendor == "anthropic":
        return (anthropic_sse if stream else anthropic_json)(text, calls, n)
    if stream:
        return google_sse(text, calls, n)
    return google_json(text, calls, n, model=model)
