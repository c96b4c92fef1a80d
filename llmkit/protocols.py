"""The shapes llmkit's pieces agree on.

A provider is a plain module of pure functions; mypy checks it against
`Provider` by passing the module where a `Provider` is expected (see
`llmkit/providers/__init__.py`). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import msgspec

from llmkit.errors import ApiError
from llmkit.types import ChatRequest, ModelInfo, Response, StreamEvent


class HttpRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A request to send, minus credentials: the transport adds the provider's
    `auth_headers` last, so an HttpRequest is always safe to log or record."""

    method: str
    url: str
    headers: dict[str, str] = {}
    body: bytes | None = None


class SseEvent(Protocol):
    """One server-sent event: `Sse` (what the transport's framings make) or
    anything with the same two attributes (httpx-sse's `ServerSentEvent`)."""

    @property
    def event(self) -> str: ...
    @property
    def data(self) -> str: ...


class Sse(msgspec.Struct, frozen=True):
    """A plain SseEvent: what the transport reads from a stream's body."""

    event: str = "message"
    data: str = ""


# A fold's state type. Invariant: `start` makes it and `step` both takes and
# returns it, so a module whose `step` takes another type is not a Provider[S]
# for any S (mypy: "Cannot infer value of type parameter", or an assignment error).
S = TypeVar("S")


class Provider(Protocol[S]):
    """The module shape of a provider (wire format). All functions are pure.

    Streaming is a fold: `start` gives the initial state, `step` folds one SSE
    event into it and says what happened, `finish` closes the stream (emitting
    `Done`, or raising `StreamError` with the partial response when the vendor
    never said it was done). States are the provider's own frozen Structs,
    `S`. `snapshot` is the Response assembled so far: the transport attaches
    it to any error that breaks a stream.

    Where to send and which key to use are the `Endpoint`'s (`llmkit.registry`),
    not the module's: one wire format serves many endpoints. So is the dialect,
    which reaches `build_request` as `ChatRequest.dialect`.
    """

    @property
    def NAME(self) -> str: ...
    @property
    def MODELS(self) -> tuple[ModelInfo, ...]: ...

    def auth_headers(self, key: str) -> dict[str, str]: ...
    def build_request(self, req: ChatRequest, base_url: str) -> HttpRequest: ...
    def parse_response(self, body: bytes) -> Response: ...
    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ApiError: ...
    def start(self, req: ChatRequest) -> S: ...
    def step(self, state: S, ev: SseEvent) -> tuple[S, list[StreamEvent]]: ...
    def finish(self, state: S) -> list[StreamEvent]: ...
    def snapshot(self, state: S) -> Response: ...
    def build_list_models(self, base_url: str, page: str | None) -> HttpRequest: ...
    def parse_list_models(self, body: bytes) -> tuple[list[ModelInfo], str | None]: ...


class RouteShape(Protocol):
    """The module shape of a cloud route (`llmkit.routes.*`): what a cloud
    changes about a wire format's requests, and nothing else. All pure.

    `base_url` is where the route's requests go, from the cloud's usual env
    vars (`keyed`: the call has a static key rather than a token or a signer,
    which some routes send elsewhere: Vertex express mode). `rewrite` takes
    the wire's request, body final, and moves what the cloud wants elsewhere
    (the model id into the URL, a version field into the body). `ready` says
    whether the settings and credentials a call needs are found (the catalog
    marks the route's models available then); it does no I/O. `refine_error`
    gets the wire's error for a non-2xx answer and returns it, or a better one
    when the cloud's own front end answered (a Google-shaped quota error in
    front of Claude, an `x-amzn-ErrorType` header).

    Optional, read where present: `wire_model(model)`, the first-party id a
    route id is built as (its facts); `CATALOG`, the route ids the catalog
    lists, each mapped to its first-party id; `count_request(hr, req,
    base_url)` and `parse_count(body)`, token counting over the wire's
    non-streamed request (`NO_COUNT`: why there is none)."""

    def base_url(self, env: Mapping[str, str], keyed: bool) -> str: ...
    def ready(self, env: Mapping[str, str]) -> bool: ...
    def rewrite(self, hr: HttpRequest, req: ChatRequest, base_url: str) -> HttpRequest: ...
    def refine_error(
        self, err: ApiError, status: int, headers: Mapping[str, str], body: bytes
    ) -> ApiError: ...


class Framing(Protocol):
    """The module shape of a stream framing (SSE: `llmkit._sse`; AWS
    event-stream: `llmkit.routes._eventstream`): a pure, incremental fold
    from the body's bytes, as they arrive, to `SseEvent`-shaped events a
    wire's `step` reads. `feed` raises `StreamError` when an event would pass
    `max_frame` bytes (nothing is buffered without bound) and `DecodeError` on
    a corrupt frame; `end` raises when the body stopped inside a frame that
    cannot be dropped."""

    @property
    def CONTENT_TYPE(self) -> str: ...

    def start(self) -> Any: ...
    def feed(self, state: Any, chunk: bytes, max_frame: int) -> tuple[Any, list[SseEvent]]: ...
    def end(self, state: Any) -> list[SseEvent]: ...


Signer = Callable[[HttpRequest, Any], HttpRequest]
"""`sign(request, credentials) -> request`: the transport applies it last,
after the body is final and the other headers are set (SigV4 signs them)."""
