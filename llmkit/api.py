"""The public calls: chat, stream and list_models, async with sync twins.

This module resolves the model to an endpoint, reads the key, builds the
unified ChatRequest and hands it to the transport. httpx and the transport are
imported on first call, so `import llmkit` stays light.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from llmkit import _stale, structured
from llmkit import registry as _registry
from llmkit.errors import InvalidArgument as InvalidArgument  # its first home; re-exported
from llmkit.messages import MessagesLike, check_history, to_messages
from llmkit.tools import FunctionTool
from llmkit.types import (
    ChatRequest,
    ModelInfo,
    Options,
    Response,
    StreamEvent,
    Tool,
    ToolChoice,
)

if TYPE_CHECKING:
    import httpx

    from llmkit._closing import EventStream
    from llmkit.transport import Call, Limits

ToolChoiceLike = ToolChoice | str | Mapping[str, Any]
ToolsLike = Iterable[Tool | FunctionTool | Mapping[str, Any]]


def _tools(tools: ToolsLike | None) -> list[Tool]:
    if tools is None:
        return []
    out = []
    for i, t in enumerate(tools):
        try:
            if isinstance(t, Tool):
                out.append(t)
            elif isinstance(t, Mapping):
                out.append(msgspec.convert(t, Tool))
            elif isinstance(t, FunctionTool):
                out.append(t.spec)
            else:
                raise InvalidArgument(f"tools[{i}]: expected a Tool, a tool(fn) or a dict")
        except msgspec.ValidationError as e:
            raise InvalidArgument(f"tools[{i}]: {e}") from e
    return out


_CHOICE_WORDS = {"auto", "none", "required"}


def _tool_choice(choice: ToolChoiceLike | None) -> ToolChoice | None:
    """`"auto"`, `"none"`, `"required"`, a tool's name, a ToolChoice, or its dict."""
    if choice is None or isinstance(choice, ToolChoice):
        return choice
    if isinstance(choice, str):
        if choice in _CHOICE_WORDS:
            return ToolChoice(mode=choice)  # type: ignore[arg-type]
        return ToolChoice(mode="tool", name=choice)
    try:
        return msgspec.convert(choice, ToolChoice)
    except msgspec.ValidationError as e:
        raise InvalidArgument(f"tool_choice: {e}") from e


def _options(options: Mapping[str, Any]) -> Options:
    try:
        return msgspec.convert(options, Options)
    except msgspec.ValidationError as e:
        raise InvalidArgument(f"options: {e}") from e


def build_chat_request(
    model: str,
    messages: MessagesLike,
    *,
    tools: ToolsLike | None = None,
    tool_choice: ToolChoiceLike | None = None,
    stream: bool = False,
    **options: Any,
) -> ChatRequest:
    """The unified request for a call, with `model` still as the caller wrote it."""
    msgs = to_messages(messages)
    if not msgs:
        raise InvalidArgument("messages: at least one message is needed")
    check_history(msgs)
    specs, choice = _tools(tools), _tool_choice(tool_choice)
    if choice is not None and choice.mode == "tool" and choice.name not in {t.name for t in specs}:
        given = ", ".join(t.name for t in specs) or "none"
        raise InvalidArgument(f"tool_choice: no tool named {choice.name!r} (tools: {given})")
    return ChatRequest(
        model=model,
        messages=msgs,
        tools=specs,
        tool_choice=choice,
        options=_options(options),
        stream=stream,
    )


def _call(
    model: str,
    *,
    api_key: _registry.CredentialLike | None,
    base_url: str | None,
    timeout: float | httpx.Timeout | None,
    deadline: float | None,
    limits: Limits | None,
    max_retries: int,
    reg: _registry.Registry | None,
) -> tuple[Call, str]:
    from llmkit.transport import Call, Limits, RetryPolicy, timeout_from

    route = _registry.resolve(model, reg)
    ep = route.endpoint
    if max_retries < 0:
        raise InvalidArgument("max_retries must be 0 or more")
    for name, seconds in (("timeout", timeout), ("deadline", deadline)):
        if isinstance(seconds, (int, float)) and not seconds > 0:  # NaN too
            raise InvalidArgument(f"{name} must be a number of seconds above 0, or None")
    key, credential = _registry.credentials(ep, api_key)
    call = Call(
        provider=_registry.wire(ep),
        name=ep.name,
        base_url=(base_url or _registry.base_url(ep, keyed=key is not None)).rstrip("/"),
        key=key,
        timeout=timeout_from(timeout),
        deadline=deadline,
        retry=RetryPolicy(max_retries=max_retries),
        limits=limits or Limits(),
        **_route_parts(ep, credential),
    )
    return call, route.model


def _route_parts(ep: _registry.Endpoint, credential: Any) -> dict[str, Any]:
    """The Call fields a cloud route sets (see registry.Endpoint)."""
    return {
        "credential": credential,
        "key_header": ep.key_header,
        "route": _registry.route_shape(ep),
        "signer": _registry.signer(ep),
        "framing": _registry.framing(ep),
    }


def _prepare(
    model: str,
    messages: MessagesLike,
    tools: ToolsLike | None,
    tool_choice: ToolChoiceLike | None,
    stream: bool,
    api_key: _registry.CredentialLike | None,
    base_url: str | None,
    timeout: float | httpx.Timeout | None,
    deadline: float | None,
    limits: Limits | None,
    max_retries: int,
    reg: _registry.Registry | None,
    options: dict[str, Any],
) -> tuple[Call, ChatRequest, Any]:
    """The resolved call, the unified request, and the `response_format` type
    to decode the answer into (or None)."""
    options, target = structured.split_options(options)
    call, vendor_model = _call(
        model,
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        deadline=deadline,
        limits=limits,
        max_retries=max_retries,
        reg=reg,
    )
    req = build_chat_request(
        vendor_model, messages, tools=tools, tool_choice=tool_choice, stream=stream, **options
    )
    return call, msgspec.structs.replace(req, endpoint=call.name), target


async def chat(
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
    limits: Limits | None = None,
    max_retries: int = 2,
    registry: _registry.Registry | None = None,
    **options: Any,
) -> Response:
    """Send one conversation to `model` and return the whole answer.

    `model` is a vendor id routed by prefix (`claude-…`, `gpt-…`, `grok-…`,
    `gemini-…`) or `provider:model`. `options` are the fields of
    `llmkit.Options` (max_tokens, temperature, top_p, stop, seed, reasoning,
    response_format, extra, foreign_thinking).

    `timeout` bounds each network step (120 s of silence, 10 s to connect;
    None: no limit); `deadline` bounds the whole call in seconds, retries and
    waits included. A 2xx answer that has begun is never sent again.
    """
    from llmkit import transport

    call, req, target = _prepare(
        model, messages, tools, tool_choice, False, api_key, base_url, timeout, deadline,
        limits, max_retries, registry, options,
    )  # fmt: skip
    client = http_client or transport.default_async_client()
    resp = await _stale.achat(call, req, partial(transport.achat, call, client))
    return resp if target is None else structured.parse_structured(resp, target)


def chat_sync(
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
    limits: Limits | None = None,
    max_retries: int = 2,
    registry: _registry.Registry | None = None,
    **options: Any,
) -> Response:
    """The sync twin of `chat`."""
    from llmkit import transport

    call, req, target = _prepare(
        model, messages, tools, tool_choice, False, api_key, base_url, timeout, deadline,
        limits, max_retries, registry, options,
    )  # fmt: skip
    client = http_client or transport.default_client()
    resp = _stale.chat(call, req, partial(transport.chat, call, client))
    return resp if target is None else structured.parse_structured(resp, target)


def stream(
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
    limits: Limits | None = None,
    max_retries: int = 2,
    registry: _registry.Registry | None = None,
    **options: Any,
) -> AsyncIterator[StreamEvent]:
    """Like `chat`, but yields stream events as they arrive, ending with
    `Done(response)`. Connection setup is retried; a stream that has begun is
    never retried. An unknown model, a missing key or malformed arguments
    raise here; what the provider cannot serve (`Unsupported`) raises at the
    first iteration, still before any I/O."""
    from llmkit import transport

    call, req, target = _prepare(
        model, messages, tools, tool_choice, True, api_key, base_url, timeout, deadline,
        limits, max_retries, registry, options,
    )  # fmt: skip
    finish = None if target is None else partial(structured.parse_structured, target=target)
    return _stale.astream(call, req, partial(transport.astream, call, http_client, finish=finish))


def stream_sync(
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
    limits: Limits | None = None,
    max_retries: int = 2,
    registry: _registry.Registry | None = None,
    **options: Any,
) -> EventStream[StreamEvent]:
    """The sync twin of `stream`: an iterator that is also a context manager.
    Leaving a `with` block, `close()`, running out or an error closes the
    connection at once; one dropped unfinished is closed soon after."""
    from llmkit import transport

    call, req, target = _prepare(
        model, messages, tools, tool_choice, True, api_key, base_url, timeout, deadline,
        limits, max_retries, registry, options,
    )  # fmt: skip
    finish = None if target is None else partial(structured.parse_structured, target=target)
    return _stale.stream(call, req, partial(transport.stream, call, http_client, finish=finish))


def _catalog(reg: _registry.Registry, env: Mapping[str, str] | None) -> list[ModelInfo]:
    """Every built-in catalog model, marked available when its key is set."""
    ready = set(_registry.available(reg, env))
    out: list[ModelInfo] = []
    for name, ep in reg.endpoints.items():
        p = _registry.wire(ep)
        # A compatible endpoint does not serve OpenAI's catalog; a cloud route
        # that takes the vendor's ids (Vertex) does.
        if name == p.NAME or ep.catalog:
            out += [
                msgspec.structs.replace(m, provider=name, available=name in ready) for m in p.MODELS
            ]
    return out


def _merge(catalog: list[ModelInfo], live: list[ModelInfo]) -> list[ModelInfo]:
    """Live entries add to the catalog; a catalog entry keeps its richer facts."""
    seen = {(m.provider, m.id) for m in catalog}
    return catalog + [
        msgspec.structs.replace(m, available=True) for m in live if (m.provider, m.id) not in seen
    ]


def _live_calls(reg: _registry.Registry, deadline: float | None) -> list[Call]:
    from llmkit.transport import Call

    calls = []
    for name in _registry.available(reg):
        ep = reg.endpoints[name]
        if ep.route:  # cloud routes list no models through the wire's listing
            continue
        key, credential = _registry.credentials(ep)  # checked as chat checks it
        calls.append(
            Call(
                provider=_registry.wire(ep),
                name=name,
                base_url=_registry.base_url(ep, keyed=key is not None),
                key=key,
                deadline=deadline,
                **_route_parts(ep, credential),
            )
        )
    return calls


def _named(call: Call, models: list[ModelInfo]) -> list[ModelInfo]:
    return [msgspec.structs.replace(m, provider=call.name) for m in models]


async def list_models(
    *,
    live: bool = False,
    registry: _registry.Registry | None = None,
    http_client: httpx.AsyncClient | None = None,
    deadline: float | None = None,
) -> list[ModelInfo]:
    """The catalog, each model marked available when its provider's key is set.
    With `live`, each available provider's own listing is merged in."""
    from llmkit import transport

    reg = registry or _registry.current()
    models = _catalog(reg, None)
    if live:
        client = http_client or transport.default_async_client()
        for call in _live_calls(reg, deadline):
            models = _merge(models, _named(call, await transport.alist_models(call, client)))
    return models


def list_models_sync(
    *,
    live: bool = False,
    registry: _registry.Registry | None = None,
    http_client: httpx.Client | None = None,
    deadline: float | None = None,
) -> list[ModelInfo]:
    """The sync twin of `list_models`."""
    from llmkit import transport

    reg = registry or _registry.current()
    models = _catalog(reg, None)
    if live:
        client = http_client or transport.default_client()
        for call in _live_calls(reg, deadline):
            models = _merge(models, _named(call, transport.list_models(call, client)))
    return models
