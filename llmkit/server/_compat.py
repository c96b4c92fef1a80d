"""The gateway endpoints in vendors' own dialects: `POST /v1/messages`
(Anthropic Messages) and `POST /v1/responses` (OpenAI Responses). The shell:
read the body, call llmkit, answer in the dialect; the mapping is the pure
functions of `anthropic_compat` and `responses_compat`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from llmkit import api
from llmkit import registry as _registry
from llmkit.errors import LlmkitError
from llmkit.providers.anthropic import NAME as CLAUDE
from llmkit.registry import Registry
from llmkit.server import anthropic_compat as ac
from llmkit.server import responses_compat as rc
from llmkit.server._body import read_body
from llmkit.server._config import ServerConfig, call_kwargs, resolve_chain
from llmkit.server._errors import Rejected, error_info, http_status, json_response
from llmkit.server._sse import event_stream, folding, unless_disconnected


def _target(model: str, reg: Registry) -> str:
    """The provider NAME `model` routes to ("" when it routes nowhere: the
    call itself then fails with llmkit's error)."""
    try:
        return str(getattr(_registry.wire(_registry.resolve(model, reg).endpoint), "NAME", ""))
    except (LlmkitError, ImportError):
        return ""


def _status_message(e: Exception, reg: Registry) -> tuple[int, str]:
    if isinstance(e, Rejected):
        return e.status, e.message
    return http_status(e), error_info(e, reg).message


def _anthropic_error(e: Exception, reg: Registry) -> Response:
    status, message = _status_message(e, reg)
    return json_response(ac.error_body(status, message, e), status)


def _anthropic_error_frame(e: Exception, reg: Registry) -> bytes:
    status, message = _status_message(e, reg)
    return ac.error_frame(status, message, e)


def _responses_error(e: Exception, reg: Registry) -> Response:
    status, message = _status_message(e, reg)
    return json_response(rc.error_body(status, message, e), status)


def compat_routes(
    cfg: ServerConfig, client: Callable[[], httpx.AsyncClient], registry: Callable[[], Registry]
) -> list[Route]:
    """The routes, sharing the app's upstream client and registry."""

    async def messages(request: Request) -> Response | ASGIApp:
        reg = registry()
        try:
            body = await read_body(request, cfg.max_body_bytes, cfg.body_timeout)
            decoded = ac.decode_body(body)
            to, fallbacks = resolve_chain(cfg, decoded.model)  # an alias's target
            target = _target(to, reg)
            call = ac.parse_request(decoded, target)
            kw = call_kwargs(cfg, client(), reg, fallbacks, call)
            msg_id = f"msg_{uuid.uuid4().hex[:24]}"
            if call.stream:
                events = api.stream(to, call.messages, **kw)
                start = ac.start(msg_id, call.model, claude=target == CLAUDE)
                frame, _ = folding(start, ac.step)
                return event_stream(
                    events, cfg.keep_alive, reg, frame=frame,
                    error_frame=_anthropic_error_frame, error_reply=_anthropic_error,
                )  # fmt: skip
            resp = await unless_disconnected(
                request.receive,
                lambda: api.chat(to, call.messages, **kw),
            )
        except ClientDisconnect:
            resp = None
        except Exception as e:
            return _anthropic_error(e, reg)
        if resp is None:
            return Response(status_code=499)
        return json_response(ac.response_body(resp, call.model, msg_id))

    async def count_tokens(request: Request) -> Response:
        e = Rejected(404, "not_found_error", "count_tokens is not served by this gateway")
        return _anthropic_error(e, registry())

    async def responses(request: Request) -> Response | ASGIApp:
        reg = registry()
        try:
            body = await read_body(request, cfg.max_body_bytes, cfg.body_timeout)
            call = rc.parse_request(rc.decode_body(body))
            to, fallbacks = resolve_chain(cfg, call.model)  # an alias's target
            kw = call_kwargs(cfg, client(), reg, fallbacks, call)
            resp_id = f"resp_{uuid.uuid4().hex[:24]}"
            echo = {**call.echo, "created_at": int(time.time())}
            if call.stream:
                events = api.stream(to, call.messages, **kw)
                frame, now = folding(rc.start(resp_id, echo), rc.step)
                return event_stream(
                    events, cfg.keep_alive, reg, frame=frame,
                    error_frame=lambda e, r: rc.error_frame(*_status_message(e, r), now()),
                    error_reply=_responses_error,
                )  # fmt: skip
            resp = await unless_disconnected(
                request.receive,
                lambda: api.chat(to, call.messages, **kw),
            )
        except ClientDisconnect:
            resp = None
        except Exception as e:
            return _responses_error(e, reg)
        if resp is None:
            return Response(status_code=499)
        return json_response(rc.response_body(resp, resp_id, echo))

    return [
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
    ]


__all__ = ["compat_routes"]
