"""The Starlette app: endpoints, host and token guard, `create_app` and `serve`."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
import msgspec
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from llmkit import api
from llmkit import registry as _registry
from llmkit.registry import Registry, Secret
from llmkit.server._body import ChatHead, parse_chat, read_body
from llmkit.server._compat import compat_routes
from llmkit.server._config import ServerConfig
from llmkit.server._errors import ErrorBody, ErrorInfo, Rejected, error_response, json_response
from llmkit.server._sse import event_stream, unless_disconnected, views

log = logging.getLogger("llmkit.server")


_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _routes(cfg: ServerConfig) -> tuple[list[Route], Callable[[], Awaitable[None]]]:
    """The endpoints, sharing one upstream httpx client made on first use, and
    the function that closes it at shutdown."""
    upstream: list[httpx.AsyncClient] = []  # at most one

    def client() -> httpx.AsyncClient:
        if not upstream or upstream[0].is_closed:
            upstream[:] = [cfg.http_client()]
        return upstream[0]

    async def close() -> None:
        if upstream:
            await upstream[0].aclose()

    def registry() -> Registry:
        return cfg.registry or _registry.current()

    async def call_args(request: Request) -> tuple[ChatHead, dict[str, Any]]:
        body = await read_body(request, cfg.max_body_bytes, cfg.body_timeout)
        head, options = parse_chat(body)
        return head, {
            "tools": head.tools,
            "tool_choice": head.tool_choice,
            "registry": registry(),
            "http_client": client(),
            "max_retries": cfg.max_retries,
            **options,
        }

    async def chat(request: Request) -> Response:
        try:
            head, kw = await call_args(request)
            resp = await unless_disconnected(
                request.receive, lambda: api.chat(head.model, head.messages, **kw)
            )
        except ClientDisconnect:
            resp = None
        except Exception as e:
            return error_response(e, registry())
        if resp is None:
            return Response(status_code=499)  # nobody is listening any more
        return json_response({**msgspec.to_builtins(resp), **views(resp)})

    async def stream(request: Request) -> Response | ASGIApp:
        try:
            head, kw = await call_args(request)
            # Bad arguments raise here or at the first event; the pump catches the latter.
            events = api.stream(head.model, head.messages, **kw)
        except ClientDisconnect:
            return Response(status_code=499)
        except Exception as e:
            return error_response(e, registry())
        return event_stream(events, cfg.keep_alive, registry())

    async def models(request: Request) -> Response:
        live = _BOOL.get(request.query_params.get("live", "false").lower())
        if live is None:
            return error_response(
                Rejected(400, "invalid_query", "`live` is true or false"), registry()
            )
        try:
            found = await api.list_models(live=live, registry=registry(), http_client=client())
        except Exception as e:
            return error_response(e, registry())
        return json_response({"models": [msgspec.structs.asdict(m) for m in found]})

    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    routes = [
        Route("/api/chat/stream", stream, methods=["POST"]),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/chat/models", models, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        *compat_routes(cfg, client, registry),
    ]
    return routes, close


async def _http_error(request: Request, e: Exception) -> Response:
    """Starlette's own 404/405 in our error shape."""
    assert isinstance(e, HTTPException)
    words = {404: "not_found", 405: "method_not_allowed"}
    return json_response(
        ErrorBody(ErrorInfo(type=words.get(e.status_code, "http_error"), message=e.detail)),
        e.status_code,
        e.headers,
    )


# What a browser sends as Host: a DNS name or IPv4 address, or a bracketed IPv6
# address, then an optional numeric port. No userinfo, spaces or other bytes.
_HOST = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_.-]+))(?::(?P<port>[0-9]{1,5}))?"
)


def _hostname(host: str) -> str | None:
    """`example.com:8100` → `example.com`, `[::1]:8100` → `::1`; None for a
    value no browser sends (`localhost:8100@evil.example`, `[::1]evil`,
    `localhost:abc`, surrounding spaces), which is refused."""
    m = _HOST.fullmatch(host)
    if m is None or (m["port"] is not None and int(m["port"]) > 65535):
        return None
    if m["v6"] is None:
        return m["name"].lower()
    try:
        return str(ipaddress.IPv6Address(m["v6"]))
    except ValueError:
        return None


def _guard(app: ASGIApp, *, token: Secret | None, hosts: tuple[str, ...]) -> ASGIApp:
    """Host check (against DNS rebinding) and bearer-token auth, as JSON errors."""
    allowed = frozenset(h.lower() for h in hosts)

    def check(scope: Scope) -> tuple[int, ErrorInfo, dict[str, str]] | None:
        headers = Headers(scope=scope)
        if "*" not in allowed and (name := _hostname(headers.get("host", ""))) not in allowed:
            # None (a malformed Host) is never allowed
            shown = "malformed Host header" if name is None else f"Host {name!r}"
            hint = f"{shown} not allowed: add the host to ServerConfig(allowed_hosts=...)"
            return 400, ErrorInfo(type="untrusted_host", message=hint), {}
        # Mounted under a prefix (or --root-path), "path" still holds the prefix:
        # compare the app's own path, and guard everything but the health check.
        own = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        if token is None or own == "/healthz":
            return None
        scheme, _, given = headers.get("authorization", "").partition(" ")
        expected = token.reveal().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return None
        # Anthropic's clients send the key as x-api-key (PROTOCOLS 10.2)
        if hmac.compare_digest(headers.get("x-api-key", "").strip().encode(), expected):
            return None
        info = ErrorInfo(type="unauthorized", message="missing or wrong bearer token")
        return 401, info, {"www-authenticate": "Bearer"}

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        problem = check(scope) if scope["type"] == "http" else None
        if problem is None:
            await app(scope, receive, send)
            return
        status, info, headers = problem
        await json_response(ErrorBody(info), status, headers)(scope, receive, send)

    return guarded


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The ASGI app serving llmkit's chat endpoints (see the module docstring)."""
    cfg = config or ServerConfig()
    routes, close_upstream = _routes(cfg)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await close_upstream()

    middleware = [Middleware(_guard, token=cfg.token, hosts=cfg.allowed_hosts)]
    if cfg.cors_origins:
        cors = Middleware(
            CORSMiddleware,
            allow_origins=list(cfg.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
        middleware.insert(0, cors)  # outermost: preflights need no token
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = "127.0.0.1",
    port: int = 8100,
    config: ServerConfig | None = None,
    *,
    log_level: str = "info",
) -> None:
    """Run `create_app(config)` under uvicorn until interrupted. Binding beyond
    loopback is allowed but logged as a warning when no token is set; the bound
    address is added to `allowed_hosts` (a wildcard address allows any Host)."""
    import uvicorn

    cfg = config or ServerConfig()
    wildcard = host in ("0.0.0.0", "::", "")
    hosts = ("*",) if wildcard else (*cfg.allowed_hosts, host)
    cfg = msgspec.structs.replace(cfg, allowed_hosts=hosts)
    if not _is_loopback(host) and cfg.token is None:
        log.warning("serving on %s without LLMKIT_SERVER_TOKEN: anyone who reaches it "
                    "can spend this server's API keys", host)  # fmt: skip
    uvicorn.run(create_app(cfg), host=host, port=port, log_level=log_level, **uvicorn_options(cfg))


def uvicorn_options(config: ServerConfig | None = None) -> dict[str, Any]:
    """uvicorn settings that hold slow and idle clients to `config`'s timeouts
    (see ServerConfig), for running `create_app(config)` under your own
    uvicorn: `uvicorn.run(create_app(cfg), host=..., **uvicorn_options(cfg))`."""
    from llmkit.server._protocol import with_header_timeout

    cfg = config or ServerConfig()
    return {
        "http": with_header_timeout(cfg.header_timeout),
        "timeout_keep_alive": cfg.idle_timeout,
        "limit_concurrency": cfg.max_connections,
        "server_header": False,
    }


def replay_config(folder: str | Path, config: ServerConfig | None = None) -> ServerConfig:
    """`config` with vendors answered from the recordings in `folder` (see
    `llmkit.testing`): no network, and no keys needed, so every endpoint of
    the registry is keyless and available."""
    from llmkit.testing import replay_transport

    transport = replay_transport(folder, match="path")
    cfg = config or ServerConfig()
    reg = cfg.registry or _registry.current()
    keyless = Registry(
        endpoints=MappingProxyType(
            {n: msgspec.structs.replace(ep, key_required=False) for n, ep in reg.endpoints.items()}
        ),
        prefixes=reg.prefixes,
    )
    return msgspec.structs.replace(
        cfg, registry=keyless, http_client=lambda: httpx.AsyncClient(transport=transport)
    )


def main(host: str = "127.0.0.1", port: int = 8100, replay: str | None = None) -> int:
    """What `llmkit serve` runs: `serve`, with `replay_config` when `replay` names
    a recording folder."""
    serve(host, port, ServerConfig() if replay is None else replay_config(replay))
    return 0
