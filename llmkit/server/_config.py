"""Server configuration: what a deployment sets and no request can."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import msgspec

from llmkit.registry import Registry, Secret
from llmkit.types import Tool, ToolChoice


def _env_token() -> Secret | None:
    value = os.environ.get("LLMKIT_SERVER_TOKEN")
    return Secret(value) if value else None


def parse_aliases(text: str) -> dict[str, str]:
    """`"gpt-4o=anthropic:claude-sonnet-4-5, fast=gemini-2.5-flash"` → a dict
    (the `LLMKIT_SERVER_ALIASES` and `--alias` format); ValueError when an
    entry is not `name=model`."""
    out = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, sep, target = (x.strip() for x in entry.partition("="))
        if not (sep and name and target):
            raise ValueError(f"model alias {entry!r}: write name=provider:model")
        out[name] = target
    return out


def _env_aliases() -> dict[str, str]:
    return parse_aliases(os.environ.get("LLMKIT_SERVER_ALIASES", ""))


def default_http_client() -> httpx.AsyncClient:
    """The upstream client when none is configured: long reads for slow
    reasoning models, and up to 1000 connections for many concurrent streams,
    in small pools (see `_upstream`) so that a request never pays for
    connections a past burst left idle."""
    from llmkit.server._upstream import PooledTransport

    return httpx.AsyncClient(
        timeout=httpx.Timeout(600.0, connect=10.0),
        transport=PooledTransport(per_pool=2, max_connections=1000),
    )


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class ServerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How the server runs. Nothing here can be set by a request.

    - `registry`: None uses `llmkit.registry.current()` at each request.
    - `max_body_bytes`: larger request bodies get a 413.
    - `keep_alive`: seconds of stream silence before a `: keep-alive` comment.
    - `token`: when set, `/api/` needs `Authorization: Bearer <token>`;
      defaults to `LLMKIT_SERVER_TOKEN`.
    - `cors_origins`: origins allowed by CORS; none by default.
    - `allowed_hosts`: Host header names accepted (`"*"` for any); `serve`
      adds the address it binds.
    - `http_client`: makes the upstream `httpx.AsyncClient`, once, on first
      use; the app closes it at shutdown. Tests and replay modes inject a
      client with a recorded transport here.
    - `max_retries`: connection retries per upstream call.
    - `header_timeout`: seconds a client has to send a request's head, from
      connecting (or from the first byte of a later request on the same
      connection); then the connection is closed.
    - `body_timeout`: seconds to read a request body; then a 408 and close.
    - `idle_timeout`: seconds an idle keep-alive connection stays open.
    - `max_connections`: beyond this many open connections (or running
      requests), new requests get a 503 at once (uvicorn's `limit_concurrency`);
      None for no limit.
    - `aliases`: a client's model name → the llmkit model it means (any
      `provider:model`), or a fallback chain (`a|b|c`), for every gateway
      endpoint (`resolve_chain`); defaults to `LLMKIT_SERVER_ALIASES`
      (`name=model,name=model|fallback`).
    The four timeouts and limits above are applied by `serve`, or by any uvicorn given
    `uvicorn_options(config)`; `body_timeout` holds under any ASGI server.
    """

    registry: Registry | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    keep_alive: float = 15.0
    token: Secret | None = msgspec.field(default_factory=_env_token)
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    http_client: Callable[[], httpx.AsyncClient] = default_http_client
    max_retries: int = 2
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 5.0
    max_connections: int | None = 1000
    aliases: dict[str, str] = msgspec.field(default_factory=_env_aliases)

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError(
            "a ServerConfig cannot be pickled: it holds the server token; "
            "build it in the process that serves"
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> ServerConfig:
        return self  # frozen all the way down, and pickling (deepcopy's fallback) is refused


def resolve_chain(config: ServerConfig, name: str) -> tuple[str, list[str]]:
    """The llmkit model a gateway request's `model` names (its alias target, or
    itself) and the fallbacks after it: an alias may name a chain,
    `fast=claude-haiku-4-5|gpt-5-mini` (llmkit.fallback)."""
    first, *rest = config.aliases.get(name, name).split("|")
    return first.strip(), [m.strip() for m in rest if m.strip()]


class Asked(Protocol):
    """What a parsed gateway request of any dialect asks for besides its
    model and messages (each dialect's `Call` Struct)."""

    @property
    def tools(self) -> list[Tool]: ...
    @property
    def tool_choice(self) -> ToolChoice | None: ...
    @property
    def options(self) -> dict[str, Any]: ...


def call_kwargs(
    config: ServerConfig,
    http_client: httpx.AsyncClient,
    registry: Registry,
    fallbacks: list[str],
    call: Asked,
) -> dict[str, Any]:
    """The keyword arguments of `llmkit.chat`/`stream` for a gateway request,
    whatever its dialect: what it asked, and the server's own upstream, registry
    and retries (which no request sets)."""
    return {
        "fallbacks": fallbacks,
        "tools": call.tools,
        "tool_choice": call.tool_choice,
        "registry": registry,
        "http_client": http_client,
        "max_retries": config.max_retries,
        **call.options,
    }


def resolve_model(config: ServerConfig, name: str) -> str:
    """The llmkit model a gateway request's `model` names: its alias target
    (the first model of a chain), or itself."""
    return resolve_chain(config, name)[0]
