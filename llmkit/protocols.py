"""The shapes llmkit's pieces agree on.

A provider is a plain module of pure functions; mypy checks it against
`Provider` by passing the module where a `Provider` is expected (see
`llmkit/providers/__init__.py`). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar

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
    """One server-sent event. httpx-sse's `ServerSentEvent` satisfies this, so
    the transport hands its events to providers without copying."""

    @property
    def event(self) -> str: ...
    @property
    def data(self) -> str: ...


class Sse(msgspec.Struct, frozen=True):
    """A plain SseEvent, for tests and for replaying recorded streams."""

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
