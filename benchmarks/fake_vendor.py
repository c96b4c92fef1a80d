"""A loopback fake vendor for benchmarks: pre-rendered, realistic streams for
each wire format, served as fast as the socket allows. Runs in its own process
so the client's CPU time is the client's alone.

    python benchmarks/fake_vendor.py PORT N
"""

from __future__ import annotations

import json
import sys
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


def anthropic_tool_stream(n: int) -> bytes:
    args = json.dumps({"items": [f"item number {i}" for i in range(n)]})
    step = max(1, len(args) // n)
    frags = [args[i : i + step] for i in range(0, len(args), step)]
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


def expected_text(n: int) -> str:
    return "".join(WORDS[i % 10] for i in range(n))


def streams(n: int) -> dict[str, bytes]:
    return {
        "/v1/messages": anthropic_stream(n),
        "/tool/v1/messages": anthropic_tool_stream(n),
        "/chat/completions": openai_stream(n),
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent": google_stream(n),
    }


def serve(port: int, n: int) -> None:
    bodies = streams(n)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            body = bodies.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
