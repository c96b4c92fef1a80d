"""A loopback fake vendor for benchmarks: pre-rendered, realistic streams for
each wire format, served as fast as the socket allows. Runs in its own process
so the client's CPU time is the client's alone.

    python benchmarks/fake_vendor.py PORT

Each vendor's usual path answers; the model name chooses the body
(`claude-bench-text-2000`: a stream of 2000 text deltas; `gpt-bench-tool-500`:
one tool call in ~500 argument fragments; for Gemini the model is in the URL).
An `x-bench-model` header can name the body instead (for a client that needs a
real model id). A request with `"stream": true` (or Gemini's
`:streamGenerateContent`) gets the stream, any other the whole answer as JSON.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dög", " —"]


def _sse(event: str | None, data: object, sep: bytes = b"\n\n") -> bytes:
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + json.dumps(data, separators=(",", ":")).encode() + sep


def anthropic_stream(n: int) -> bytes:
    out = [
        _sse("message_start", {"type": "message_start", "message": {
            "id": "msg_bench", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-20250514", "content": [], "stop_reason": None,
            "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        _sse("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
        _sse("ping", {"type": "ping"}),
    ]  # fmt: skip
    out += [
        _sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": WORDS[i % 10]}})
        for i in range(n)
    ]  # fmt: skip
    out += [
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse("message_delta", {"type": "message_delta",
                               "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": {"output_tokens": n}}),
        _sse("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip
    return b"".join(out)


def tool_arguments(n: int) -> str:
    """The arguments of the long tool call, as JSON text."""
    return json.dumps({"items": [f"item number {i}" for i in range(n)]})


def tool_fragments(n: int) -> list[str]:
    """`tool_arguments(n)` cut into about `n` fragments (a few tokens each)."""
    args = tool_arguments(n)
    step = max(1, len(args) // n)
    return [args[i : i + step] for i in range(0, len(args), step)]


def anthropic_tool_stream(n: int) -> bytes:
    frags = tool_fragments(n)
    out = [
        _sse("message_start", {"type": "message_start", "message": {
            "id": "msg_tool", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-20250514", "content": [], "stop_reason": None,
            "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        _sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_bench", "name": "store", "input": {}}}),
    ]  # fmt: skip
    out += [
        _sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "input_json_delta", "partial_json": f}})
        for f in frags
    ]  # fmt: skip
    out += [
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse("message_delta", {"type": "message_delta",
                               "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                               "usage": {"output_tokens": n}}),
        _sse("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip
    return b"".join(out)


def openai_stream(n: int) -> bytes:
    def chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
        return {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1,
                "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_bench",
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}],
                "usage": None, "obfuscation": "xYz"}  # fmt: skip

    out = [_sse(None, chunk({"role": "assistant", "content": "", "refusal": None}))]
    out += [_sse(None, chunk({"content": WORDS[i % 10]})) for i in range(n)]
    out.append(_sse(None, chunk({}, "stop")))
    out.append(_sse(None, {"id": "chatcmpl-bench", "object": "chat.completion.chunk",
                           "created": 1, "model": "gpt-4o-2024-08-06", "choices": [],
                           "usage": {"prompt_tokens": 12, "completion_tokens": n,
                                     "total_tokens": 12 + n}}))  # fmt: skip
    return b"".join(out) + b"data: [DONE]\n\n"


def openai_tool_stream(n: int) -> bytes:
    """One call whose arguments arrive in about `n` fragments, as OpenAI sends them."""
    frags = tool_fragments(n)

    def chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
        return {"id": "chatcmpl-tool", "object": "chat.completion.chunk", "created": 1,
                "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_bench",
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}],
                "usage": None, "obfuscation": "xYz"}  # fmt: skip

    first = {"role": "assistant", "content": None, "tool_calls": [{
        "index": 0, "id": "call_bench", "type": "function",
        "function": {"name": "store", "arguments": ""}}], "refusal": None}  # fmt: skip
    out = [_sse(None, chunk(first))]
    out += [
        _sse(None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}))
        for f in frags
    ]
    out.append(_sse(None, chunk({}, "tool_calls")))
    out.append(_sse(None, {"id": "chatcmpl-tool", "object": "chat.completion.chunk",
                           "created": 1, "model": "gpt-4o-2024-08-06", "choices": [],
                           "usage": {"prompt_tokens": 12, "completion_tokens": n,
                                     "total_tokens": 12 + n}}))  # fmt: skip
    return b"".join(out) + b"data: [DONE]\n\n"


def _responses_object(status: str, output: list[object], usage: object) -> dict[str, object]:
    return {"id": "resp_bench", "object": "response", "created_at": 1, "status": status,
            "background": False, "error": None, "incomplete_details": None,
            "instructions": None, "max_output_tokens": None, "model": "gpt-5.6-sol",
            "output": output, "parallel_tool_calls": True, "previous_response_id": None,
            "reasoning": {"effort": "none", "summary": None}, "store": False,
            "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto",
            "tools": [], "top_p": 1.0, "truncation": "disabled", "usage": usage,
            "user": None, "metadata": {}}  # fmt: skip


def _responses_usage(n: int) -> dict[str, object]:
    return {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": n, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 12 + n}  # fmt: skip


def _responses_frames(items: list[bytes], final: dict[str, object]) -> bytes:
    head = {**final, "status": "in_progress", "output": [], "usage": None}
    frames = [(t, {"response": head}) for t in ("response.created", "response.in_progress")]
    out = [_sse(t, {"type": t, **d, "sequence_number": k}) for k, (t, d) in enumerate(frames)]
    return b"".join(out + items) + _sse(
        "response.completed", {"type": "response.completed", "response": final}
    )


def responses_stream(n: int) -> bytes:
    """Text on OpenAI's Responses API: `event:` + `data:` frames, no [DONE]."""
    text = expected_text(n)
    at = {"item_id": "msg_bench", "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    item = {"id": "msg_bench", "type": "message", "status": "completed", "content": [part],
            "role": "assistant"}  # fmt: skip

    def ev(t: str, **d: object) -> bytes:
        return _sse(t, {"type": t, **d})

    out = [ev("response.output_item.added", output_index=0,
              item={**item, "status": "in_progress", "content": []}),
           ev("response.content_part.added", **at, part={**part, "text": ""})]  # fmt: skip
    out += [ev("response.output_text.delta", **at, delta=WORDS[i % 10], logprobs=[],
               obfuscation="xYzAbC", sequence_number=i + 4) for i in range(n)]  # fmt: skip
    out += [ev("response.output_text.done", **at, text=text, logprobs=[]),
            ev("response.content_part.done", **at, part=part),
            ev("response.output_item.done", output_index=0, item=item)]  # fmt: skip
    return _responses_frames(out, _responses_object("completed", [item], _responses_usage(n)))


def responses_tool_stream(n: int) -> bytes:
    """One function call whose arguments arrive in about `n` fragments."""
    frags, args = tool_fragments(n), tool_arguments(n)
    item = {"id": "fc_bench", "type": "function_call", "status": "completed",
            "arguments": args, "call_id": "call_bench", "name": "store"}  # fmt: skip

    def ev(t: str, **d: object) -> bytes:
        return _sse(t, {"type": t, **d})

    out = [ev("response.output_item.added", output_index=0,
              item={**item, "status": "in_progress", "arguments": ""})]  # fmt: skip
    out += [ev("response.function_call_arguments.delta", delta=f, item_id="fc_bench",
               output_index=0, obfuscation="xYzAbC", sequence_number=i + 3)
            for i, f in enumerate(frags)]  # fmt: skip
    out += [ev("response.function_call_arguments.done", arguments=args, item_id="fc_bench",
               output_index=0),
            ev("response.output_item.done", output_index=0, item=item)]  # fmt: skip
    return _responses_frames(out, _responses_object("completed", [item], _responses_usage(n)))


def responses_json(n: int) -> bytes:
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": expected_text(n)}
    item = {"id": "msg_bench", "type": "message", "status": "completed", "content": [part],
            "role": "assistant"}  # fmt: skip
    return json.dumps(_responses_object("completed", [item], _responses_usage(n))).encode()


def google_stream(n: int) -> bytes:
    def chunk(text: str, i: int, finish: str | None = None) -> dict[str, object]:
        cand: dict[str, object] = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "index": 0,
        }
        if finish:
            cand["finishReason"] = finish
        return {"candidates": [cand],
                "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": i + 1,
                                  "totalTokenCount": 13 + i},
                "modelVersion": "gemini-2.5-flash", "responseId": "bench"}  # fmt: skip

    out = [_sse(None, chunk(WORDS[i % 10], i), b"\r\n\r\n") for i in range(n - 1)]
    out.append(_sse(None, chunk(WORDS[(n - 1) % 10], n - 1, "STOP"), b"\r\n\r\n"))
    return b"".join(out)


def google_tool_arguments(n: int) -> str:
    """The argument text of `google_tool_stream(n)`'s calls, one after another."""
    return "".join(json.dumps({"q": WORDS[i % 10]}, ensure_ascii=False, separators=(",", ":"))
                   for i in range(n))  # fmt: skip


def google_tool_stream(n: int) -> bytes:
    """Gemini sends each function call whole (no argument fragments): n parallel
    calls, one chunk each, is its tool stream per event."""

    def chunk(i: int, finish: str | None = None) -> dict[str, object]:
        call = {"functionCall": {"name": "lookup", "args": {"q": WORDS[i % 10]}}}
        cand: dict[str, object] = {"content": {"parts": [call], "role": "model"}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        return {"candidates": [cand],
                "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": i + 1,
                                  "totalTokenCount": 13 + i},
                "modelVersion": "gemini-2.5-flash", "responseId": "bench"}  # fmt: skip

    out = [_sse(None, chunk(i), b"\r\n\r\n") for i in range(n - 1)]
    out.append(_sse(None, chunk(n - 1, "STOP"), b"\r\n\r\n"))
    return b"".join(out)


def anthropic_json(n: int) -> bytes:
    return json.dumps({
        "id": "msg_bench", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "text", "text": expected_text(n)}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 12, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": n,
                  "service_tier": "standard"}}).encode()  # fmt: skip


def openai_json(n: int) -> bytes:
    return json.dumps({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": expected_text(n),
                                             "refusal": None, "annotations": []},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}},
        "service_tier": "default", "system_fingerprint": "fp_bench"}).encode()  # fmt: skip


def google_json(n: int) -> bytes:
    return json.dumps({
        "candidates": [{"content": {"parts": [{"text": expected_text(n)}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": n,
                          "totalTokenCount": 12 + n},
        "modelVersion": "gemini-2.5-flash", "responseId": "bench"}).encode()  # fmt: skip


def expected_text(n: int) -> str:
    return "".join(WORDS[i % 10] for i in range(n))


# (vendor, stream?, kind) -> renderer of n events (or words, for whole answers)
RENDER: dict[tuple[str, bool, str], Callable[[int], bytes]] = {
    ("anthropic", True, "text"): anthropic_stream,
    ("anthropic", True, "tool"): anthropic_tool_stream,
    ("anthropic", False, "text"): anthropic_json,
    ("openai", True, "text"): openai_stream,
    ("openai", True, "tool"): openai_tool_stream,
    ("openai", False, "text"): openai_json,
    ("responses", True, "text"): responses_stream,
    ("responses", True, "tool"): responses_tool_stream,
    ("responses", False, "text"): responses_json,
    ("google", True, "text"): google_stream,
    ("google", True, "tool"): google_tool_stream,
    ("google", False, "text"): google_json,
}
# The model name says what to send: `<anything>-bench-<text|tool>-<n>`.
_MODEL = re.compile(r"bench-(text|tool)-(\d+)")


def route(path: str, body: bytes, bench_model: str = "") -> tuple[str, bool, str, int] | None:
    """(vendor, stream, kind, n) for a request, or None. An `x-bench-model`
    header (`bench_model`) stands in for the model, so a client can send a
    real model id."""
    path = path.split("?")[0]
    if path.endswith("/messages"):
        vendor, model, stream = "anthropic", *_model_stream(body)
    elif path.endswith("/chat/completions"):
        vendor, model, stream = "openai", *_model_stream(body)
    elif path.endswith("/responses"):
        vendor, model, stream = "responses", *_model_stream(body)
    elif ":streamGenerateContent" in path or ":generateContent" in path:
        vendor, model = "google", path.rsplit("/", 1)[-1].split(":")[0]
        stream = ":streamGenerateContent" in path
    else:
        return None
    m = _MODEL.search(bench_model or model)
    return (vendor, stream, m[1], int(m[2])) if m else None


def _model_stream(body: bytes) -> tuple[str, bool]:
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        return "", False
    return str(req.get("model", "")), bool(req.get("stream"))


def serve(port: int) -> None:
    cache: dict[tuple[str, bool, str, int], bytes] = {}
    lock = threading.Lock()

    def body_for(key: tuple[str, bool, str, int]) -> bytes | None:
        render = RENDER.get(key[:3])
        if render is None:
            return None
        with lock:
            if key not in cache:
                cache[key] = render(key[3])
            return cache[key]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else a small answer waits for a delayed ACK

        def do_POST(self) -> None:
            request = self.rfile.read(int(self.headers.get("content-length", 0)))
            key = route(self.path, request, self.headers.get("x-bench-model", ""))
            body = body_for(key) if key else None
            if key is None or body is None:
                self.send_error(404)
                return
            self.send_response(200)
            kind = "text/event-stream" if key[1] else "application/json"
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 512  # 100 concurrent streams connect at once
        daemon_threads = True

    Server(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
