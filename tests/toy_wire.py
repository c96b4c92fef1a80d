"""A small wire format for testing the foundation without any vendor.

It satisfies `llmkit.protocols.Provider` as a module, like the real providers:

- request: `POST {base}/toy` with `{"model", "messages": [<llmkit JSON>], "stream"}`
- response: `{"id", "text", "finish", "input", "output"}`
- stream: `event: delta` `{"text"}` … `event: end` `{"finish", "input", "output"}`;
  `event: error` `{"type", "message"}` breaks the stream.
- error body: `{"error": {"type", "message"}}`
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmkit.errors import ApiError, StreamError, api_error
from llmkit.protocols import HttpRequest, SseEvent
from llmkit.providers._common import Rope, decode, rope_add, rope_text
from llmkit.types import (
    ChatRequest,
    Done,
    Finish,
    Finished,
    Message,
    ModelInfo,
    Response,
    StreamEvent,
    Text,
    TextDelta,
    Usage,
    UsageUpdate,
)

NAME = "toy"
DEFAULT_BASE_URL = "https://toy.invalid"
KEY_ENV = ("TOY_API_KEY",)
MODELS = (ModelInfo(id="toy-1", provider="toy", context_window=1000, max_output=100),)


class _Body(msgspec.Struct):
    id: str = ""
    text: str = ""
    finish: str = "stop"
    input: int = 0
    output: int = 0


class _Delta(msgspec.Struct):
    text: str


class _Err(msgspec.Struct, frozen=True):
    type: str = ""
    message: str = ""


class _ErrBody(msgspec.Struct):
    error: _Err = _Err()


_body = msgspec.json.Decoder(_Body)
_delta = msgspec.json.Decoder(_Delta)
_err = msgspec.json.Decoder(_Err)
_err_body = msgspec.json.Decoder(_ErrBody)
_enc = msgspec.json.Encoder()


def auth_headers(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    body = {"model": req.model, "messages": req.messages, "stream": req.stream, **req.options.extra}
    return HttpRequest(
        method="POST",
        url=f"{base_url}/toy",
        headers={"content-type": "application/json"},
        body=_enc.encode(body),
    )


def _response(model: str, id: str, text: str, finish: str, inp: int, out: int) -> Response:
    content = [Text(text=text)] if text else []
    return Response(
        message=Message(role="assistant", content=list(content), provider=NAME, model=model),
        finish=Finish(reason="stop" if finish == "stop" else "other", raw=finish),
        usage=Usage(input_tokens=inp, output_tokens=out),
        model=model,
        provider=NAME,
        id=id or None,
    )


def parse_response(body: bytes) -> Response:
    b = decode(_body, body, NAME)
    return _response("toy-1", b.id, b.text, b.finish, b.input, b.output)


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    try:
        e = _err_body.decode(body).error
    except (msgspec.DecodeError, UnicodeDecodeError):
        e = _Err(message=body.decode("utf-8", "replace"))
    return api_error(
        NAME, status, e.message, error_type=e.type or None, body=body.decode("utf-8", "replace")
    )


class State(msgspec.Struct, frozen=True):
    model: str
    text: Rope = None
    ended: _Body | None = None


def start(req: ChatRequest) -> State:
    return State(model=req.model)


def step(s: State, ev: SseEvent) -> tuple[State, list[StreamEvent]]:
    if ev.event == "delta":
        d = decode(_delta, ev.data, NAME)
        return msgspec.structs.replace(s, text=rope_add(s.text, d.text)), [
            TextDelta(index=0, text=d.text)
        ]
    if ev.event == "end":
        b = decode(_body, ev.data, NAME)
        s = msgspec.structs.replace(s, ended=b)
        usage = Usage(input_tokens=b.input, output_tokens=b.output)
        return s, [UsageUpdate(usage=usage), Finished(finish=snapshot(s).finish)]
    if ev.event == "error":
        e = decode(_err, ev.data, NAME)
        raise api_error(NAME, None, e.message, error_type=e.type, kind=_kind(e.type))
    return s, []


def _kind(error_type: str) -> type[ApiError] | None:
    from llmkit.errors import Overloaded

    return Overloaded if error_type == "overloaded" else None


def snapshot(s: State) -> Response:
    b = s.ended or _Body(finish="")
    return _response(s.model, b.id, rope_text(s.text), b.finish, b.input, b.output)


def finish(s: State) -> list[StreamEvent]:
    if s.ended is None:
        raise StreamError("stream ended before `end`", provider=NAME, partial=snapshot(s))
    return [Done(response=snapshot(s))]


def build_list_models(base_url: str, page: str | None) -> HttpRequest:
    suffix = f"?page={page}" if page else ""
    return HttpRequest(method="GET", url=f"{base_url}/models{suffix}")


class _ModelPage(msgspec.Struct):
    models: list[str]
    next: str | None = None


_models = msgspec.json.Decoder(_ModelPage)


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    page = decode(_models, body, NAME)
    return [ModelInfo(id=m, provider=NAME) for m in page.models], page.next


def sse(*events: tuple[str, Any]) -> bytes:
    """Render toy events as SSE bytes."""
    return b"".join(
        b"event: " + name.encode() + b"\ndata: " + _enc.encode(data) + b"\n\n"
        for name, data in events
    )
