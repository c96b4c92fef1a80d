"""A provider-shaped module whose fold is inconsistent: `start` makes a
`State` but `step` takes an `Other`. It must not type-check as a Provider
(see `test_provider_state.py`); it is never imported at run time."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmkit.errors import ApiError
from llmkit.protocols import HttpRequest, SseEvent
from llmkit.types import ChatRequest, ModelInfo, Response, StreamEvent

NAME = "wrong"
MODELS: tuple[ModelInfo, ...] = ()


class State(msgspec.Struct, frozen=True):
    text: str = ""


class Other(msgspec.Struct, frozen=True):
    count: int = 0


def auth_headers(key: str) -> dict[str, str]:
    return {}


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    return HttpRequest(method="POST", url=base_url)


def parse_response(body: bytes) -> Response:
    return Response(id="", model="", content=[])


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return ApiError(NAME, status, body.decode())


def start(req: ChatRequest) -> State:
    return State()


def step(state: Other, ev: SseEvent) -> tuple[Other, list[StreamEvent]]:
    return state, []


def finish(state: State) -> list[StreamEvent]:
    return []


def snapshot(state: State) -> Response:
    return parse_response(b"")


def build_list_models(base_url: str, page: str | None) -> HttpRequest:
    return HttpRequest(method="GET", url=base_url)


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    return [], None
