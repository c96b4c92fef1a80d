"""The gateway endpoints (`/v1/messages`, `/v1/responses`) served for real on
loopback, with llmkit's own registry (every endpoint keyless) and the vendor
played from fixtures by a MockTransport, so the official SDKs can talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import anyio
import msgspec

from llmkit import api
from llmkit import registry as r
from llmkit.types import Response
from tests.replay import FIXTURES
from tests.server_helpers import Item, Vendor, config, running

KEYLESS = r.Registry(
    endpoints=MappingProxyType(
        {
            n: msgspec.structs.replace(ep, key_required=False)
            for n, ep in r.DEFAULT.endpoints.items()
        }
    ),
    prefixes=r.DEFAULT.prefixes,
)

# Per upstream: a model that routes there, and its fixtures by case.
CLAUDE = "claude-sonnet-4-5"
GEMINI = "gemini-3-flash"
GPT = "gpt-5"
UPSTREAMS = {
    "claude": (
        CLAUDE,
        {
            "text": "anthropic/text.sse",
            "tool": "anthropic/tool_use.sse",
            "thinking": "anthropic/thinking_tool.sse",
        },
    ),
    "gemini": (
        GEMINI,
        {
            "text": "google/text.sse",
            "tool": "google/function_call.sse",
            "thinking": "google/thinking.sse",
        },
    ),
    "gpt": (
        GPT,
        {
            "text": "openai-responses/text.sse",
            "tool": "openai-responses/parallel_tools.sse",
            "thinking": "openai-responses/reasoning_turn1.sse",
        },
    ),
}


def answer(*names: str) -> Vendor:
    """A vendor answering each request with the next fixture (the last repeats)."""
    return Vendor(*((200, {}, [(FIXTURES / n).read_bytes()]) for n in names))


def status_answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Vendor:
    items: list[Item] = [body]
    return Vendor((status, headers or {}, items))


@contextmanager
def gateway(vendor: Vendor, **kw: Any) -> Iterator[str]:
    with running(config(vendor, registry=KEYLESS, **kw)) as url:
        yield url


def llmkit_answer(model: str, fixture: str, messages: Any = "Hi", **kw: Any) -> Response:
    """What llmkit itself makes of the same upstream bytes."""

    async def go() -> Response:
        vendor = answer(fixture)
        async with vendor.client() as client:
            return await api.chat(
                model, messages, registry=KEYLESS, http_client=client, max_retries=0, **kw
            )

    return anyio.run(go)
