"""Record and replay vendor traffic, so tests (yours and ours) run offline
through llmkit's real HTTP and SSE code.

A recording is a folder of exchanges, numbered in the order they happened:

    0001.json       {"request": {...}, "response": {"status", "headers", "body_file"}}
    0001.sse        the response body, byte for byte (0001.body.json for JSON)

Credentials never reach disk: auth headers and `key=` query parameters are
dropped, the key they carried is replaced wherever it shows up (whatever its
shape: the recorder reads it from the request it forwards), and any string
shaped like a known key is replaced too, in the request and the response alike.

`replay_transport(folder)` serves those exchanges to an httpx client (sync or
async), streaming bodies in small chunks. A request is matched on method,
host, path and, by default, its JSON body (`match="body"`); `match="path"`
matches on method, host, path, the body's `model` and whether it streams, for
recordings that should survive changes in how llmkit builds bodies (a
non-streamed request may be answered from a streamed recording: llmkit folds
it into the same Response). Several matches are served
in recorded order. An unmatched request raises `ReplayMismatch` naming the
closest recording; nothing is ever substituted silently.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import msgspec

from llmkit.errors import KEY_SHAPES, redact_text
from llmkit.errors import (
    ReplayMismatch as ReplayMismatch,  # defined in errors; kept importable here
)

Match = Literal["body", "path"]

# `x-amz-security-token`: an AWS session token, which a SigV4 signer sends.
_AUTH_HEADERS = frozenset(
    {"authorization", "x-api-key", "x-goog-api-key", "api-key", "x-amz-security-token"}
)
_SECRET_HEADERS = _AUTH_HEADERS | {"cookie", "set-cookie"}
_KEPT_RESPONSE_HEADERS = re.compile(
    r"^(content-type|request-id|x-request-id|retry-after(-ms)?|x-should-retry|"
    r"anthropic-ratelimit-.*|x-ratelimit-.*)$"
)
_SECRET_QUERY = frozenset({"key", "api_key", "apikey"})


class Exchange(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    host: str
    path: str
    query: str = ""
    body: Any = None
    status: int = 200
    headers: dict[str, str] = {}
    body_file: str = ""


class _ReqRecord(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    host: str
    path: str
    query: str = ""
    body: Any = None


class _RespRecord(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    headers: dict[str, str] = {}
    body_file: str


class _Record(msgspec.Struct, frozen=True):
    request: _ReqRecord
    response: _RespRecord


_encode = msgspec.json.Encoder(order="deterministic").encode
_decode_record = msgspec.json.Decoder(_Record).decode


# ---- scrubbing ------------------------------------------------------------


def scrub_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Replace the given secrets (in every escaped form), then anything shaped
    like an API key."""
    for secret in secrets:
        text = redact_text(text, secret)
    return KEY_SHAPES.sub("***", text)


def scrub_query(query: str) -> str:
    pairs = [p for p in query.split("&") if p and p.split("=", 1)[0].lower() not in _SECRET_QUERY]
    return "&".join(pairs)


def _secrets(request: httpx.Request) -> tuple[str, ...]:
    """The credentials a request carries: auth header values (without their
    scheme word) and key query parameters."""
    found = []
    for name, value in request.headers.items():
        if name.lower() in _AUTH_HEADERS:
            found += [value, value.partition(" ")[2].strip()]
    for name, value in request.url.params.multi_items():
        if name.lower() in _SECRET_QUERY:
            found.append(value)
    return tuple(sorted({v for v in found if v}, key=len, reverse=True))


def _json_or_text(raw: bytes, secrets: tuple[str, ...] = ()) -> Any:
    if not raw:
        return None
    text = scrub_text(raw.decode("utf-8", "replace"), secrets)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _request_key(request: httpx.Request) -> _ReqRecord:
    secrets = _secrets(request)
    return _ReqRecord(
        method=request.method,
        host=request.url.host,
        path=scrub_text(request.url.path, secrets),
        query=scrub_text(scrub_query(request.url.query.decode()), secrets),
        body=_json_or_text(request.content, secrets),
    )


def _kept_headers(headers: httpx.Headers, secrets: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        k: scrub_text(v, secrets)
        for k, v in headers.items()
        if k.lower() not in _SECRET_HEADERS and _KEPT_RESPONSE_HEADERS.match(k.lower())
    }


# ---- recording --------------------------------------------------------------


def _next_number(folder: Path) -> int:
    taken = [int(p.stem) for p in folder.glob("[0-9][0-9][0-9][0-9].json")]
    return max(taken, default=0) + 1


def _suffix(headers: httpx.Headers) -> str:
    kind = headers.get("content-type", "")
    return ".sse" if "event-stream" in kind else ".body.json" if "json" in kind else ".body"


_save_lock = threading.Lock()


def _save(
    folder: Path, req: _ReqRecord, resp: httpx.Response, body: bytes, secrets: tuple[str, ...]
) -> None:
    """Write one exchange once its body has been read in full, without `secrets`."""
    with _save_lock:
        folder.mkdir(parents=True, exist_ok=True)
        n = _next_number(folder)
        name = f"{n:04d}{_suffix(resp.headers)}"
        (folder / name).write_bytes(scrub_text(body.decode("utf-8", "replace"), secrets).encode())
        rec = _Record(
            request=req,
            response=_RespRecord(
                status=resp.status_code,
                headers=_kept_headers(resp.headers, secrets),
                body_file=name,
            ),
        )
        (folder / f"{n:04d}.json").write_bytes(_pretty(rec))


def _pretty(rec: _Record) -> bytes:
    return json.dumps(msgspec.to_builtins(rec), indent=2, ensure_ascii=False).encode() + b"\n"


class _Tee(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A vendor body passed through as it comes and saved once read in full.
    `close` closes the vendor's response at once, so a stream that ends
    early never leaves it to a finalizer (which could run while the same
    thread holds the connection pool's lock, and wait on it for ever)."""

    def __init__(self, save: Callable[[bytes], None], resp: httpx.Response) -> None:
        self._save, self._resp = save, resp

    def __iter__(self) -> Iterator[bytes]:
        got = bytearray()
        for chunk in self._resp.stream:  # type: ignore[union-attr]
            got += chunk
            yield chunk
        self.close()
        self._save(bytes(got))

    async def __aiter__(self) -> AsyncIterator[bytes]:
        got = bytearray()
        async for chunk in self._resp.stream:  # type: ignore[union-attr]
            got += chunk
            yield chunk
        await self.aclose()
        self._save(bytes(got))

    def close(self) -> None:
        self._resp.close()

    async def aclose(self) -> None:
        await self._resp.aclose()


def recording_transport(
    folder: str | Path, inner: httpx.BaseTransport | None = None
) -> httpx.MockTransport:
    """A sync transport that forwards to `inner` (the real network by default)
    and saves every exchange in `folder`, streaming bodies through as they come."""
    root = Path(folder)
    real = inner or httpx.HTTPTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        key, secrets = _request_key(request), _secrets(request)
        resp = real.handle_request(request)
        tee = _Tee(lambda body: _save(root, key, resp, body, secrets), resp)
        return httpx.Response(resp.status_code, headers=resp.headers, stream=tee)

    return httpx.MockTransport(handler)


def arecording_transport(
    folder: str | Path, inner: httpx.AsyncBaseTransport | None = None
) -> httpx.MockTransport:
    """The async twin of `recording_transport`. Without `inner`, each event
    loop gets its own connection pool (pooled connections cannot cross loops)."""
    from llmkit import transport

    root = Path(folder)
    pools: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    async def handler(request: httpx.Request) -> httpx.Response:
        key, secrets = _request_key(request), _secrets(request)
        real = inner or transport.loop_local(pools, httpx.AsyncHTTPTransport)
        resp = await real.handle_async_request(request)
        tee = _Tee(lambda body: _save(root, key, resp, body, secrets), resp)
        return httpx.Response(resp.status_code, headers=resp.headers, stream=tee)

    return httpx.MockTransport(handler)


# ---- replay -------------------------------------------------------------------


def load(folder: str | Path) -> list[Exchange]:
    """The exchanges recorded in `folder`, in order."""
    root = Path(folder)
    if not root.is_dir():
        raise ReplayMismatch(f"no recording folder at {root}")
    out = []
    for meta in sorted(root.glob("[0-9][0-9][0-9][0-9].json")):
        rec = _decode_record(meta.read_bytes())
        out.append(
            Exchange(
                method=rec.request.method,
                host=rec.request.host,
                path=rec.request.path,
                query=rec.request.query,
                body=rec.request.body,
                status=rec.response.status,
                headers=rec.response.headers,
                body_file=str(root / rec.response.body_file),
            )
        )
    return out


def _model(body: Any) -> Any:
    return body.get("model") if isinstance(body, dict) else None


# Gemini says "stream" in the path, the others in the body.
_GEMINI_STREAM = ":streamGenerateContent"


def _streams(r: _ReqRecord) -> bool:
    body_says = isinstance(r.body, dict) and r.body.get("stream") is True
    return body_says or r.path.endswith(_GEMINI_STREAM)


def _streamed(ex: Exchange) -> bool:
    return "event-stream" in ex.headers.get("content-type", "")


def _matches(ex: Exchange, req: _ReqRecord, match: Match) -> bool:
    """Same call, streamed or not (`_pick` settles that)."""
    if match == "path":
        a, b = (r.path.replace(_GEMINI_STREAM, ":generateContent") for r in (ex, req))
        same = (ex.method, ex.host, a) == (req.method, req.host, b)
        return same and bool(_model(ex.body) == _model(req.body))
    return (ex.method, ex.host, ex.path) == (req.method, req.host, req.path) and ex.body == req.body


def _failed(ex: Exchange) -> bool:
    """An error answer reads the same to a streamed request and a plain one."""
    return not 200 <= ex.status < 300


def _pick(exchanges: list[Exchange], hits: list[int], req: _ReqRecord) -> list[int]:
    """Recordings streamed as the request is, or errors. A non-streamed request with only
    streamed recordings gets those (llmkit folds an event stream into the
    same Response); a streamed one with only non-streamed ones is refused."""
    same = [i for i in hits if _streamed(exchanges[i]) == _streams(req) or _failed(exchanges[i])]
    if same or not hits or not _streams(req):
        return same or hits
    names = ", ".join(Path(exchanges[i].body_file).name for i in hits)
    raise ReplayMismatch(
        f"{req.method} {req.host}{req.path} streams, but only a non-streamed recording "
        f"({names}) answers it: re-record it streamed (pytest --llmkit-record), or call "
        "chat instead of stream"
    )


def _summary(r: Exchange | _ReqRecord) -> str:
    return f"{r.method} {r.host}{r.path} {_encode(r.body).decode()}"


def _closest(exchanges: list[Exchange], req: _ReqRecord) -> tuple[str, str]:
    """The closest recording's name, and how its body differs from the request's."""
    want = _summary(req)
    scored = [(difflib.SequenceMatcher(None, want, _summary(e)).ratio(), e) for e in exchanges]
    if not scored:
        return "the recording folder is empty", ""
    _, best = max(scored, key=lambda t: t[0])
    where = "" if best.host == req.host else f" on host {best.host} (sent to {req.host})"
    if best.path != req.path:
        where += f", path {best.path} (sent to {req.path})"
    model = _model(req.body)
    if model != _model(best.body):
        where += f", model {_model(best.body)!r} (sent {model!r})"
    name = f"closest recording: {Path(best.body_file).stem} ({best.method} {best.path}){where}"
    return name, _body_diff(best.body, req.body)


def _body_diff(recorded: Any, sent: Any) -> str:
    """The first difference between the bodies, with a little context."""
    a = json.dumps(recorded, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(sent, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    lines = [ln for ln in difflib.unified_diff(a, b, "recorded", "sent", n=2, lineterm="")]
    return "; body differs:\n" + "\n".join(lines[:24]) if lines else ""


class _Chunked(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A recorded body served in small chunks to sync and async clients alike
    (httpx's adapter interface; an iterator alone serves only one kind)."""

    def __init__(self, data: bytes, size: int) -> None:
        self._parts = [data[i : i + size] for i in range(0, len(data), size)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self._parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self._parts:
            yield part


def replay_transport(
    folder: str | Path | list[Exchange],
    *,
    match: Match = "body",
    chunk_size: int = 97,
    on_mismatch: Callable[[ReplayMismatch], None] | None = None,
) -> httpx.MockTransport:
    """Serve recorded exchanges to sync and async clients. The default chunk
    size is a prime so chunk edges fall at varied places in lines and UTF-8.
    `on_mismatch` sees every `ReplayMismatch` before it is raised, so a test
    fails even when the code under test catches it as an `LlmkitError`."""
    exchanges = folder if isinstance(folder, list) else load(folder)
    served: set[int] = set()
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        req = _request_key(request)
        with lock:
            try:
                hits = _pick(
                    exchanges, [i for i, e in enumerate(exchanges) if _matches(e, req, match)], req
                )
                if not hits:
                    closest, diff = _closest(exchanges, req)
                    raise ReplayMismatch(
                        f"no recorded exchange for {req.method} {req.host}{req.path} "
                        f"(model {_model(req.body)!r}); {closest}",
                        diff=diff,
                    )
            except ReplayMismatch as err:
                if on_mismatch is not None:
                    on_mismatch(err)
                raise
            fresh = [i for i in hits if i not in served]
            i = fresh[0] if fresh else hits[-1]  # repeat the last answer once all are used
            served.add(i)
        ex = exchanges[i]
        data = Path(ex.body_file).read_bytes()
        return httpx.Response(ex.status, headers=ex.headers, stream=_Chunked(data, chunk_size))

    return httpx.MockTransport(handler)


@contextlib.contextmanager
def replaying(
    folder: str | Path,
    *,
    match: Match = "body",
    chunk_size: int = 97,
    on_mismatch: Callable[[ReplayMismatch], None] | None = None,
) -> Iterator[httpx.MockTransport]:
    """Make llmkit's default clients (the ones used when a call passes no
    `http_client`) replay `folder` inside this block."""
    from llmkit import transport

    t = replay_transport(folder, match=match, chunk_size=chunk_size, on_mismatch=on_mismatch)
    with transport.using_transport(t):
        yield t


@contextlib.contextmanager
def recording(folder: str | Path) -> Iterator[None]:
    """Make llmkit's default clients record every exchange into `folder`."""
    from llmkit import transport

    with transport.using_transport(recording_transport(folder), arecording_transport(folder)):
        yield
