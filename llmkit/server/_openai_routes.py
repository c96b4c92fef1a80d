"""The OpenAI-compatible endpoints (`/v1/chat/completions`, `/v1/models`): the
I/O shell around `llmkit.server.openai_compat`."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable

import httpx
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from llmkit import api
from llmkit import registry as _registry
from llmkit.errors import LlmkitError
from llmkit.registry import Registry
from llmkit.server import openai_compat as oc
from llmkit.server._body import read_body
from llmkit.server._config import ServerConfig, call_kwargs, resolve_chain
from llmkit.server._sse import event_stream, folding, unless_disconnected


def error_reply(e: Exception, reg: Registry) -> Response:
    status, body = oc.error_body(e, reg)
    headers = {}
    retry_after = getattr(e, "retry_after", None)
    if isinstance(retry_after, float | int) and math.isfinite(retry_after) and status >= 429:
        headers["retry-after"] = str(math.ceil(retry_after))
    if status in (408, 413):  # the rest of the body may still be coming: close
        headers["connection"] = "close"
    return Response(body, status, headers, media_type="application/json")


def _signs_calls(model: str, reg: Registry) -> bool:
    """Whether `model`'s wire puts a signature on each tool call (Gemini's)."""
    try:
        wire = _registry.resolve(model, reg).endpoint.wire
    except LlmkitError:
        return False  # the call itself will say why
    return wire.rpartition(".")[2] == "google"


def openai_routes(
    cfg: ServerConfig,
    client: Callable[[], httpx.AsyncClient],
    registry: Callable[[], Registry],
) -> list[Route]:
    async def completions(request: Request) -> Response | ASGIApp:
        reg = registry()
        try:
            body = await read_body(request, cfg.max_body_bytes, cfg.body_timeout)
            call = oc.parse_request(body)
            model, fallbacks = resolve_chain(cfg, call.model)
            kw = call_kwargs(cfg, client(), reg, fallbacks, call)
            ident, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
            if call.stream:
                events = api.stream(model, call.messages, **kw)
                state = oc.start(
                    id=ident,
                    created=created,
                    model=call.model,
                    include_usage=call.include_usage,
                    whole_calls=_signs_calls(model, reg),
                )
                return event_stream(
                    events,
                    cfg.keep_alive,
                    reg,
                    frame=folding(state, oc.step)[0],
                    error_frame=oc.error_frame,
                    error_reply=error_reply,
                )
            resp = await unless_disconnected(
                request.receive, lambda: api.chat(model, call.messages, **kw)
            )
        except ClientDisconnect:
            return Response(status_code=499)
        except Exception as e:
            return error_reply(e, reg)
        if resp is None:
            return Response(status_code=499)  # nobody is listening any more
        out = oc.completion_body(resp, id=ident, created=created, model=call.model)
        return Response(out, media_type="application/json")

    async def models(request: Request) -> Response:
        reg = registry()
        try:
            found = await api.list_models(registry=reg)
        except Exception as e:
            return error_reply(e, reg)
        return Response(oc.models_body(found, cfg.aliases), media_type="application/json")

    async def model(request: Request) -> Response:
        reg = registry()
        name = request.path_params["id"]
        try:
            found = oc.model_body(await api.list_models(registry=reg), cfg.aliases, name)
        except Exception as e:
            return error_reply(e, reg)
        if found is None:
            body = oc.envelope(404, f"no model {name!r} on this server", "model_not_found", "model")
            return Response(body, 404, media_type="application/json")
        return Response(found, media_type="application/json")

    return [
        Route("/v1/chat/completions", completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{id:path}", model, methods=["GET"]),
    ]
