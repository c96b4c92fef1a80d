"""A toy cloud route and a toy stream framing, to test the seam itself.

The route puts the model in the URL (`{base}/models/{model}:{verb}`), drops it
from the body and adds a version field. The framing is length-prefixed
frames, `<n>\n<json>` with n the JSON's byte length, each JSON an Anthropic
stream event, decoded into the `Sse` events the Anthropic fold reads."""

from __future__ import annotations

import json
from collections.abc import Mapping

import msgspec

from llmkit.errors import ApiError, DecodeError, StreamError
from llmkit.protocols import HttpRequest, Sse
from llmkit.types import ChatRequest

CONTENT_TYPE = "application/x-toy-frames"


def base_url(env: Mapping[str, str], keyed: bool) -> str:
    region = env.get("TOY_REGION", "r1")
    return "https://toy.example/keyed" if keyed else f"https://toy.example/{region}"


def ready(env: Mapping[str, str]) -> bool:
    return bool(env.get("TOY_REGION"))


def rewrite(hr: HttpRequest, req: ChatRequest, base: str) -> HttpRequest:
    body = json.loads(hr.body or b"{}")
    body.pop("model", None)
    body["toy_version"] = "toy-2026"
    verb = "stream" if req.stream else "invoke"
    return msgspec.structs.replace(
        hr, url=f"{base}/models/{req.model}:{verb}", body=json.dumps(body).encode()
    )


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    if "x-toy-error" in headers:
        err.message = f"{headers['x-toy-error']}: {err.message}"
        err.args = (err.message,)
    return err


def frame(events: list[bytes]) -> bytes:
    return b"".join(b"%d\n%s" % (len(e), e) for e in events)


def start() -> bytes:
    return b""


def feed(buf: bytes, chunk: bytes, max_frame: int) -> tuple[bytes, list[Sse]]:
    buf += chunk
    out = []
    while True:
        head, nl, rest = buf.partition(b"\n")
        if not nl:
            if len(head) > 12:
                raise DecodeError("toy: bad frame length", body=head[:40].decode("latin-1"))
            break
        n = int(head)
        if n > max_frame:
            raise StreamError(f"a frame over {max_frame} bytes")
        if len(rest) < n:
            break
        data, buf = rest[:n], rest[n:]
        out.append(Sse(event=json.loads(data)["type"], data=data.decode()))
    return buf, out


def end(buf: bytes) -> list[Sse]:
    if buf:
        raise StreamError("the body ended inside a frame")
    return []


def sign(hr: HttpRequest, creds: tuple[str, str]) -> HttpRequest:
    """A toy signer: proves it sees the final body and headers."""
    access, secret = creds
    digest = f"{len(hr.body or b'')}:{sorted(hr.headers)}:{secret[::-1]}"
    return msgspec.structs.replace(
        hr, headers={**hr.headers, "x-toy-signature": f"{access}/{digest}"}
    )
