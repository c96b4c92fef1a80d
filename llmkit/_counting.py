"""`count_tokens`: the request `chat` would send, moved to the vendor's (or the
cloud route's) own token-counting endpoint. Re-exported by `llmkit.api`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from llmkit import registry as _registry
from llmkit.api import CallSpec, ToolChoiceLike, ToolsLike, _prepare
from llmkit.errors import Unsupported
from llmkit.messages import MessagesLike
from llmkit.types import ChatRequest

if TYPE_CHECKING:
    import httpx

    from llmkit.protocols import HttpRequest
    from llmkit.transport import Call


def _counter(call: Call, req: ChatRequest) -> tuple[HttpRequest, Callable[[bytes], int]]:
    """The count request for `req` and its parser, from the provider."""
    p = call.provider
    build = getattr(p, "build_count_tokens", None)
    if call.route is not None:  # its counting endpoint is the cloud's own
        return _route_counter(call, req)
    if build is None:
        raise Unsupported(
            f"{call.name} has no endpoint that counts a request's tokens", provider=call.name
        )
    parse: Callable[[bytes], int] = getattr(p, "parse_count_tokens")  # noqa: B009
    return build(req, call.base_url), parse


def _route_counter(call: Call, req: ChatRequest) -> tuple[HttpRequest, Callable[[bytes], int]]:
    """A cloud route's count request (`count_request`): it reshapes the wire's
    request for a non-streamed call, built as `chat` builds it (with the
    first-party model's facts), into the cloud's counting call."""
    route = call.route
    count = getattr(route, "count_request", None)
    if count is None:
        why = getattr(route, "NO_COUNT", "this cloud route has no token-counting endpoint")
        raise Unsupported(f"{call.name}: {why}", provider=call.name)
    to_wire = getattr(route, "wire_model", None)
    model = req.model if to_wire is None else to_wire(req.model)
    built = msgspec.structs.replace(req, stream=False, model=model)
    hr: HttpRequest = count(call.provider.build_request(built, call.base_url), req, call.base_url)
    parse: Callable[[bytes], int] = route.parse_count
    return hr, parse


async def count_tokens(
    model: str,
    messages: MessagesLike,
    *,
    tools: ToolsLike | None = None,
    tool_choice: ToolChoiceLike | None = None,
    api_key: _registry.CredentialLike | None = None,
    base_url: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    timeout: float | httpx.Timeout | None = 120.0,
    deadline: float | None = None,
    max_retries: int = 2,
    registry: _registry.Registry | None = None,
    **options: Any,
) -> int:
    """The input tokens `chat` would send for these arguments, counted by the
    vendor's own endpoint (Anthropic `messages/count_tokens`, OpenAI
    `responses/input_tokens`, Gemini `countTokens`; through a cloud route,
    Vertex AI's `countTokens` and `count-tokens:rawPredict`, Bedrock's
    `CountTokens`) over the same request builder. An endpoint with no counting
    (xAI, Chat Completions, Azure OpenAI) is `Unsupported`, before any I/O."""
    from llmkit import transport

    call, req, _ = _prepare(
        CallSpec(
            model=model, messages=messages, tools=tools, tool_choice=tool_choice,
            api_key=api_key, base_url=base_url, timeout=timeout, deadline=deadline,
            max_retries=max_retries, registry=registry, options=options,
        )
    )  # fmt: skip
    hr, parse = _counter(call, req)
    client = http_client or transport.default_async_client()
    return await transport.afetch(call, client, hr, parse)


def count_tokens_sync(
    model: str,
    messages: MessagesLike,
    *,
    tools: ToolsLike | None = None,
    tool_choice: ToolChoiceLike | None = None,
    api_key: _registry.CredentialLike | None = None,
    base_url: str | None = None,
    http_client: httpx.Client | None = None,
    timeout: float | httpx.Timeout | None = 120.0,
    deadline: float | None = None,
    max_retries: int = 2,
    registry: _registry.Registry | None = None,
    **options: Any,
) -> int:
    """The sync twin of `count_tokens`."""
    from llmkit import transport

    call, req, _ = _prepare(
        CallSpec(
            model=model, messages=messages, tools=tools, tool_choice=tool_choice,
            api_key=api_key, base_url=base_url, timeout=timeout, deadline=deadline,
            max_retries=max_retries, registry=registry, options=options,
        )
    )  # fmt: skip
    hr, parse = _counter(call, req)
    client = http_client or transport.default_client()
    return transport.fetch(call, client, hr, parse)
