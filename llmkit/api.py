"""The public calls: chat and stream (and, from their own modules,
count_tokens and list_models), async with sync twins.

This module resolves the model to an endpoint, reads the key, builds the
unified ChatRequest and hands it to the transport. httpx and the transport are
imported on first call, so `import llmkit` stays light.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from llmkit import _stale, structured
from llmkit import registry as _registry
from llmkit.errors import InvalidArgument as InvalidArgument  # its first home; re-exported
from llmkit.messages import MessagesLike, check_history, to_messages
from llmkit.tools import FunctionTool
from llmkit.types import (
    ChatRequest,
    Options,
    Response,
    StreamEvent,
    Tool,
    ToolChoice,
)

if TYPE_CHECKING:
    import httpx

    from llmkit._closing import EventStream
    from llmkit.fallback import Hop
    from llmkit.transport import Call, Limits

T = TypeVar("T")
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


class CallSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One call as the caller wrote it, before anything is resolved: what
    `chat`, `stream` and their sync twins hand to `_prepare`. (Never encoded
    or decoded: its fields keep the callers' own types.)"""

    model: str
    messages: MessagesLike
    tools: ToolsLike | None = None
    tool_choice: ToolChoiceLike | None = None
    stream: bool = False
    api_key: _registry.CredentialLike | None = None
    base_url: str | None = None
    timeout: float | httpx.Timeout | None = 120.0
    deadline: float | None = None
    limits: Limits | None = None
    max_retries: int = 2
    registry: _registry.Registry | None = None
    options: dict[str, Any] = {}


def _call(spec: CallSpec) -> tuple[Call, _registry.Route]:
    from llmkit.transport import Call, Limits, RetryPolicy, timeout_from

    route = _registry.resolve(spec.model, spec.registry)
    ep = route.endpoint
    if spec.max_retries < 0:
        raise InvalidArgument("max_retries must be 0 or more")
    for name, seconds in (("timeout", spec.timeout), ("deadline", spec.deadline)):
        if isinstance(seconds, (int, float)) and not seconds > 0:  # NaN too
            raise InvalidArgument(f"{name} must be a number of seconds above 0, or None")
    key, credential = _registry.credentials(ep, spec.api_key)
    call = Call(
        provider=_registry.wire(ep),
        name=ep.name,
        base_url=(spec.base_url or _registry.base_url(ep, keyed=key is not None)).rstrip("/"),
        key=key,
        timeout=timeout_from(spec.timeout),
        deadline=spec.deadline,
        retry=RetryPolicy(max_retries=spec.max_retries),
        limits=spec.limits or Limits(),
        **_route_parts(ep, credential),
    )
    return call, route


def _route_parts(ep: _registry.Endpoint, credential: Any) -> dict[str, Any]:
    """The Call fields a cloud route sets (see registry.Endpoint)."""
    return {
        "credential": credential,
        "key_header": ep.key_header,
        "route": _registry.route_shape(ep),
        "signer": _registry.signer(ep),
        "framing": _registry.framing(ep),
    }


def _prepare(spec: CallSpec) -> tuple[Call, ChatRequest, Any]:
    """The resolved call, the unified request (stamped with the endpoint's
    name and dialect), and the `response_format` type to decode the answer
    into (or None)."""
    options, target = structured.split_options(spec.options)
    call, route = _call(spec)
    req = build_chat_request(
        route.model,
        spec.messages,
        tools=spec.tools,
        tool_choice=spec.tool_choice,
        stream=spec.stream,
        **options,
    )
    req = msgspec.structs.replace(req, endpoint=call.name, dialect=route.endpoint.dialect)
    return call, req, target


def _chain(
    spec: CallSpec, fallbacks: Sequence[str], fallback_on: Sequence[type[BaseException]]
) -> tuple[list[str], tuple[type[BaseException], ...]]:
    """The chain's models, each resolved now (a typo fails before any I/O),
    and the errors that move it on. A key or base URL given by hand belongs
    to one endpoint: it is never sent to another vendor's."""
    from llmkit import fallback

    models = fallback.chain(spec.model, fallbacks)
    endpoints = {_registry.resolve(m, spec.registry).endpoint.name for m in models}
    if (spec.api_key is not None or spec.base_url is not None) and len(endpoints) > 1:
        raise InvalidArgument(
            "api_key / base_url apply to one endpoint, but the fallback chain spans "
            f"{', '.join(sorted(endpoints))}: set each endpoint's key in its env var "
            "or a registry instead"
        )
    return models, fallback.classes(fallback_on)


def _hop(spec: CallSpec, run: Callable[[CallSpec], T]) -> Hop[T]:
    """One model of a chain: the same call, to `model`, within what is left
    of the chain's deadline."""

    def hop(*, model: str, deadline: float | None) -> T:
        return run(msgspec.structs.replace(spec, model=model, deadline=deadline))

    return hop


def _run(
    spec: CallSpec,
    call: Callable[[CallSpec, Any], T],
    http_client: Any,
    fallbacks: Sequence[str],
    fallback_on: Sequence[type[BaseException]],
    chained: str,
) -> T:
    """`call(spec, http_client)`, or, with fallbacks, the chain through
    `llmkit.fallback`'s function named `chained` (imported only then), each
    model one `_hop` of the same call."""
    if not (fallbacks or fallback_on):
        return call(spec, http_client)
    from llmkit import fallback

    models, on = _chain(spec, fallbacks, fallback_on)
    through: Callable[..., T] = getattr(fallback, chained)
    return through(models, on, spec.deadline, _hop(spec, lambda s: call(s, http_client)))


async def _chat(spec: CallSpec, http_client: httpx.AsyncClient | None) -> Response:
    from llmkit import tracing, transport  # tracing: only when used

    call, req, target = _prepare(spec)
    client = http_client or transport.default_async_client()
    with tracing.chat_span(call, req) as span:
        resp = await _stale.achat(call, req, partial(transport.achat, call, client))
        if span is not None:
            tracing.answered(span, resp)
    return resp if target is None else structured.parse_structured(resp, target)


def _chat_sync(spec: CallSpec, http_client: httpx.Client | None) -> Response:
    from llmkit import tracing, transport

    call, req, target = _prepare(spec)
    client = http_client or transport.default_client()
    with tracing.chat_span(call, req) as span:
        resp = _stale.chat(call, req, partial(transport.chat, call, client))
        if span is not None:
            tracing.answered(span, resp)
    return resp if target is None else structured.parse_structured(resp, target)


def _stream(spec: CallSpec, http_client: httpx.AsyncClient | None) -> AsyncIterator[StreamEvent]:
    from llmkit import tracing, transport

    call, req, target = _prepare(spec)
    finish = None if target is None else partial(structured.parse_structured, target=target)
    events = _stale.astream(call, req, partial(transport.astream, call, http_client, finish=finish))
    return tracing.astream(call, req, events)


def _stream_sync(spec: CallSpec, http_client: httpx.Client | None) -> EventStream[StreamEvent]:
    from llmkit import tracing, transport

    call, req, target = _prepare(spec)
    finish = None if target is None else partial(structured.parse_structured, target=target)
    open = partial(transport.stream, call, http_client, finish=finish)
    return tracing.stream(call, req, partial(_stale.stream, call, req, open))


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
    fallbacks: Sequence[str] = (),
    fallback_on: Sequence[type[BaseException]] = (),
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

    `fallbacks` are models to try in order when `model` fails after its own
    retries with a 429, 5xx/529, timeout or connection failure (or a class in
    `fallback_on`); `Response.attempts` lists the failures (llmkit.fallback).
    """
    spec = CallSpec(
        model=model, messages=messages, tools=tools, tool_choice=tool_choice, stream=False,
        api_key=api_key, base_url=base_url, timeout=timeout, deadline=deadline,
        limits=limits, max_retries=max_retries, registry=registry, options=options,
    )  # fmt: skip
    return await _run(spec, _chat, http_client, fallbacks, fallback_on, "achat")


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
    fallbacks: Sequence[str] = (),
    fallback_on: Sequence[type[BaseException]] = (),
    **options: Any,
) -> Response:
    """The sync twin of `chat`."""
    spec = CallSpec(
        model=model, messages=messages, tools=tools, tool_choice=tool_choice, stream=False,
        api_key=api_key, base_url=base_url, timeout=timeout, deadline=deadline,
        limits=limits, max_retries=max_retries, registry=registry, options=options,
    )  # fmt: skip
    return _run(spec, _chat_sync, http_client, fallbacks, fallback_on, "chat")


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
    fallbacks: Sequence[str] = (),
    fallback_on: Sequence[type[BaseException]] = (),
    **options: Any,
) -> AsyncIterator[StreamEvent]:
    """Like `chat`, but yields stream events as they arrive, ending with
    `Done(response)`. Connection setup is retried; a stream that has begun is
    never retried. An unknown model, a missing key or malformed arguments
    raise here; what the provider cannot serve (`Unsupported`) raises at the
    first iteration, still before any I/O."""
    spec = CallSpec(
        model=model, messages=messages, tools=tools, tool_choice=tool_choice, stream=True,
        api_key=api_key, base_url=base_url, timeout=timeout, deadline=deadline,
        limits=limits, max_retries=max_retries, registry=registry, options=options,
    )  # fmt: skip
    return _run(spec, _stream, http_client, fallbacks, fallback_on, "astream")


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
    fallbacks: Sequence[str] = (),
    fallback_on: Sequence[type[BaseException]] = (),
    **options: Any,
) -> EventStream[StreamEvent]:
    """The sync twin of `stream`: an iterator that is also a context manager.
    Leaving a `with` block, `close()`, running out or an error closes the
    connection at once; one dropped unfinished is closed soon after."""
    spec = CallSpec(
        model=model, messages=messages, tools=tools, tool_choice=tool_choice, stream=True,
        api_key=api_key, base_url=base_url, timeout=timeout, deadline=deadline,
        limits=limits, max_retries=max_retries, registry=registry, options=options,
    )  # fmt: skip
    return _run(spec, _stream_sync, http_client, fallbacks, fallback_on, "stream")


# Counting tokens and listing models live in their own modules (they need the above).
from llmkit._counting import count_tokens as count_tokens  # noqa: E402
from llmkit._counting import count_tokens_sync as count_tokens_sync  # noqa: E402
from llmkit._listing import list_models as list_models  # noqa: E402
from llmkit._listing import list_models_sync as list_models_sync  # noqa: E402
