"""The Starlette app: endpoints, host and token guard, `create_app` and `serve`."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
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
from llmkit.server._config import ServerConfig, parse_aliases
from llmkit.server._errors import ErrorBody, ErrorInfo, Rejected, error_response, json_response
from llmkit.server._openai_routes import openai_routes
from llmkit.server._sse import event_stream, unless_disconnected, views
from llmkit.server.openai_compat import envelope

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
        *openai_routes(cfg, client, registry),
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


def _token_ok(headers: Headers, token: Secret) -> bool:
    """The server token, as `Authorization: Bearer` (OpenAI clients, and
    Anthropic's with an auth token) or as `x-api-key` (Anthropic clients)."""
    expected = token.reveal().encode()
    scheme, _, given = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
        return True
    key = headers.get("x-api-key")
    return key is not None and hmac.compare_digest(key.strip().encode(), expected)


def _guard_reply(path: str, status: int, info: ErrorInfo, headers: dict[str, str]) -> Response:
    """A refusal in the error shape of the client dialect the path serves."""
    if path.startswith("/v1/"):  # OpenAI's envelope
        body = envelope(status, info.message, info.type)
        return Response(body, status, headers, media_type="application/json")
    return json_response(ErrorBody(info), status, headers)


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
        if _token_ok(headers, token):  # Bearer, or x-api-key as Anthropic's clients send it
            return None
        info = ErrorInfo(type="unauthorized", message="missing or wrong bearer token")
        return 401, info, {"www-authenticate": "Bearer"}

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        problem = check(scope) if scope["type"] == "http" else None
        if problem is None:
            await app(scope, receive, send)
            return
        status, info, headers = problem
        own = scope["path"].removeprefix(scope.get("root_path", ""))
        await _guard_reply(own, status, info, headers)(scope, receive, send)

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


_YES = frozenset({"1", "true", "yes"})


def serve(
    host: str = "127.0.0.1",
    port: int = 8100,
    config: ServerConfig | None = None,
    *,
    log_level: str = "info",
    workers: int = 1,
    allow_no_token: bool = False,
) -> None:
    """Run `create_app(config)` under uvicorn until interrupted; the bound
    address is added to `allowed_hosts` (a wildcard address allows any Host).

    Safe by default: binding beyond loopback without a token raises
    `InvalidArgument`, unless `allow_no_token` (or `LLMKIT_ALLOW_NO_TOKEN=1`)
    says so. With `workers` > 1, uvicorn runs that many processes, each
    building its own app from the environment (`app_from_env`: a ServerConfig
    holds the token and cannot cross processes), so `config` must be None."""
    import uvicorn

    if workers > 1 and config is not None:
        raise api.InvalidArgument(
            "with workers, each process reads its configuration from the environment "
            "(LLMKIT_SERVER_*); pass config=None"
        )
    cfg = config or _env_config()
    allowed = allow_no_token or os.environ.get("LLMKIT_ALLOW_NO_TOKEN", "").lower() in _YES
    if not _is_loopback(host) and cfg.token is None and not allowed:
        raise api.InvalidArgument(
            f"refusing to serve on {host} without a token: anyone who reaches it could "
            "spend this server's API keys. Set LLMKIT_SERVER_TOKEN, or pass "
            "--allow-no-token (LLMKIT_ALLOW_NO_TOKEN=1) if something else guards it"
        )
    if not _is_loopback(host) and cfg.token is None:
        log.warning("serving on %s without LLMKIT_SERVER_TOKEN, as allowed", host)
    wildcard = host in ("0.0.0.0", "::", "")
    hosts = ("*",) if wildcard else (*cfg.allowed_hosts, host)
    cfg = msgspec.structs.replace(cfg, allowed_hosts=hosts)
    options = {"host": host, "port": port, "log_level": log_level, **uvicorn_options(cfg)}
    if workers > 1:
        os.environ["LLMKIT_SERVER_ALLOWED_HOSTS"] = ",".join(hosts)  # the workers inherit it
        uvicorn.run(f"{__name__}:app_from_env", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(cfg), **options)


def _env_config() -> ServerConfig:
    """The configuration the environment describes: token and aliases (see
    ServerConfig), `LLMKIT_SERVER_ALLOWED_HOSTS` and `LLMKIT_SERVER_REPLAY`."""
    hosts = os.environ.get("LLMKIT_SERVER_ALLOWED_HOSTS", "")
    cfg = ServerConfig()
    if hosts:
        cfg = msgspec.structs.replace(cfg, allowed_hosts=tuple(hosts.split(",")))
    replay = os.environ.get("LLMKIT_SERVER_REPLAY")
    return replay_config(replay, cfg) if replay else cfg


def app_from_env() -> Starlette:
    """The app of one worker process (`uvicorn --factory
    llmkit.server._app:app_from_env`): configured from the environment only,
    keeping nothing between requests, so any number of processes and machines
    can serve behind one load balancer."""
    return create_app(_env_config())


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


def main(
    host: str = "127.0.0.1",
    port: int = 8100,
    replay: str | None = None,
    *,
    workers: int = 1,
    aliases: str | None = None,
    allow_no_token: bool = False,
) -> int:
    """What `llmkit serve` runs: `serve`, with `replay_config` when `replay` names
    a recording folder and `aliases` (`name=model,...`) added to the environment's."""
    if aliases is not None:
        merged = {**parse_aliases(os.environ.get("LLMKIT_SERVER_ALIASES", "")),
                  **parse_aliases(aliases)}  # fmt: skip
        os.environ["LLMKIT_SERVER_ALIASES"] = ",".join(f"{k}={v}" for k, v in merged.items())
    if replay is not None:
        os.environ["LLMKIT_SERVER_REPLAY"] = replay
    config = None if workers > 1 else _env_config()
    serve(host, port, config, workers=workers, allow_no_token=allow_no_token)
    return 0
