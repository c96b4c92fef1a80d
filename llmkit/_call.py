"""One call and its settings: who to ask, with what key, under which name
(`Call`), how to retry (`RetryPolicy`), what to buffer (`Limits`), the
timeouts (`timeout_from`); and what follows from the call alone: the wire's
request (`_request`) and the name answers are reported under (`_renamed`).
`llmkit.transport` re-exports the public names."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from llmkit._clients import DEFAULT_TIMEOUT
from llmkit.protocols import HttpRequest, Provider
from llmkit.registry import Secret
from llmkit.types import ChatRequest, Response


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Exponential backoff with full jitter. The vendor's retry-after advice is
    followed when it asks for at most `max_delay` seconds; longer advice (up to
    a day has been seen) ends the retries at once, so the error, with its
    `retry_after`, reaches the caller instead of a silent long wait."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 20.0


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """What llmkit buffers from a vendor, in bytes. A streamed event (an SSE
    event, an AWS event-stream frame) still incomplete after `max_line` bytes
    ends the stream with a StreamError (the bytes of finished events are only
    ever as many as one network read holds); beyond `max_body` a whole body is
    a DecodeError; an error body is read up to `max_error_body` and the rest
    is dropped."""

    # one event: Gemini sends a whole chunk, images included, in one data line
    max_line: int = 16 * 2**20
    max_body: int = 64 * 2**20
    max_error_body: int = 2**20


# Between-bytes limits: 10 s to connect (or to get a pooled connection), 120 s
# of silence otherwise. Not the SDKs' 600 s: a stall is found in two minutes.


def timeout_from(t: float | httpx.Timeout | None) -> httpx.Timeout:
    """A call's `timeout`: seconds for each network step (connect and pool
    capped at 10 s), an httpx.Timeout as given, or None for no limit at all."""
    if t is None or isinstance(t, httpx.Timeout):
        return httpx.Timeout(None) if t is None else t
    return httpx.Timeout(t, connect=min(t, 10.0), pool=min(t, 10.0))


class Call(msgspec.Struct, frozen=True, kw_only=True):
    """One resolved call: who to ask, with what key, under which name.
    `name` differs from `provider.NAME` for OpenAI-compatible endpoints.
    `deadline` bounds the whole call in seconds: retries, waits and the
    entire stream."""

    # A provider module. A Struct field holds a module under a Protocol type as
    # well as anything else; only decoding a Call (never done) would need more.
    provider: Provider[Any]
    name: str
    base_url: str
    key: Secret | None
    timeout: httpx.Timeout = DEFAULT_TIMEOUT
    deadline: float | None = None
    retry: RetryPolicy = RetryPolicy()
    limits: Limits = Limits()
    # Cloud routes (see registry.Endpoint): a refreshing credential (sent as
    # a bearer token, or given to `signer`), the header a static key goes in,
    # the RouteShape module, the request signer and the non-SSE framing module.
    credential: Any = None  # llmkit.auth.Credential
    key_header: str = ""
    route: Any = None
    signer: Any = None
    framing: Any = None


def _request(call: Call, req: ChatRequest) -> HttpRequest:
    """The wire's request, reshaped by the call's cloud route, if any. A route
    whose model ids are not the wire's (Bedrock's `us.anthropic.…-v1:0`) names
    the wire's model (`wire_model`), so the request is built with its facts."""
    p: Provider[Any] = call.provider
    if call.route is None:
        return p.build_request(req, call.base_url)
    to_wire = getattr(call.route, "wire_model", None)
    built = req if to_wire is None else msgspec.structs.replace(req, model=to_wire(req.model))
    out: HttpRequest = call.route.rewrite(p.build_request(built, call.base_url), req, call.base_url)
    return out


def _renamed(call: Call, resp: Response) -> Response:
    """A compatible endpoint answers in its wire module's name; report it, and
    stamp its parts, under its own, so its signatures and raw blocks are never
    taken for the real vendor's (llmkit.providers.handoff compares these names)."""
    if call.name == resp.provider:
        return resp
    wire, name = resp.provider, call.name
    content = [
        msgspec.structs.replace(p, provider=name) if getattr(p, "provider", None) == wire else p
        for p in resp.message.content
    ]
    message = msgspec.structs.replace(resp.message, provider=call.name, content=content)
    return msgspec.structs.replace(resp, provider=call.name, message=message)
