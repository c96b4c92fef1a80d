"""llmkit's HTTP server: the chat endpoints on top of the registry.

    from llmkit.server import ServerConfig, create_app, replay_config, serve
    serve()                                          # uvicorn on 127.0.0.1:8100
    serve(config=replay_config("recordings/"))       # vendors from recordings
    app = create_app(ServerConfig(keep_alive=5.0))   # for any ASGI server

Needs the `server` extra (starlette, uvicorn); `import llmkit` never loads
this module. Like `llmkit.transport`, it is a shell: requests become calls to
`llmkit.api.chat` / `stream` / `list_models`, with the registry, keys and the
upstream httpx client taken from `ServerConfig`, never from a request.

Endpoints
- `POST /api/chat/stream`: body `{"model", "messages", "tools"?, "tool_choice"?,
  <Options fields>...}` in llmkit's JSON shape. Answers `text/event-stream`, one
  frame per stream event, `event: <its type>` and `data: <its JSON>`, flushed as
  they arrive; `: keep-alive` comments after `keep_alive` seconds of silence.
  Block boundaries go out too (`text_start`/`text_end`, `thinking_start`/
  `thinking_end`, `{"type", "index"}`): a UI needs them, and they are a few
  bytes per block; clients that do not know a type skip its frame.
  The `done` frame is `{"type": "done", "response", "text", "tool_calls"}`.
  An error after the stream began is one `event: error` frame holding the error
  JSON below; then the stream ends. A client that goes away cancels upstream.
- `POST /api/chat`: the same body; the Response JSON plus `text` and `tool_calls`;
  a client that goes away cancels the upstream call here too.
- `GET /api/chat/models[?live=true]`: `{"models": [ModelInfo with every field]}`.
- `GET /healthz`: `{"status": "ok"}`, without auth.
- `POST /v1/chat/completions`, `GET /v1/models`: the OpenAI dialect, for OpenAI
  clients, in OpenAI's shapes and error envelope (`llmkit.server.openai_compat`).
  A request's `model` goes through `resolve_model(config, name)` (the config's
  aliases) first; every gateway dialect calls it.
- `POST /v1/messages` (Anthropic Messages, streamed or not; `x-api-key` or
  Bearer, any `anthropic-version`/`anthropic-beta`) and `POST /v1/responses`
  (OpenAI Responses, stateless) serve those SDKs' clients on any llmkit model,
  with each vendor's error envelope; `POST /v1/messages/count_tokens` is a
  404. The mapping is `llmkit.server.anthropic_compat` / `responses_compat`.

Errors are `{"error": {"type", "message", "status"?, "provider"?, "request_id"?,
"vendor_type"?, "retry_after"?}}`: `type` is the llmkit error class in
snake_case (`rate_limited`, `unknown_model`, ...) or a server word
(`invalid_json`, `invalid_body`, `forbidden_field`, `body_too_large`, ...);
`status` and `vendor_type` are the vendor's own, when it answered. HTTP status:
- 400: bad JSON (not UTF-8, or nested past 64 levels) or field types, unknown
  or server-only fields, bad messages or options, an unknown model, a provider
  without a key on this server (the client must choose another model; the
  message names the env var), a feature
  the provider lacks. 401 bad token, 408 body too slow, 413 body too large,
  415 not JSON, 503 over `max_connections`.
- A vendor's 4xx passes through (429 stays 429, with Retry-After); a vendor 5xx
  is 502, or 503 when the vendor is overloaded. Timeout 504, connection failure
  or an unreadable vendor answer 502 (a `--replay` mismatch too, naming the
  closest recording without bodies). Anything else is a 500 without details;
  the traceback goes to the `llmkit.server` log.
A stream's status line waits for its first event (at most `keep_alive`
seconds), so errors before it get an HTTP status; later ones are `event: error`
frames.

`serve(host, port, config)` runs uvicorn with `uvicorn_options(config)`: the
deadlines for request heads, idle keep-alive connections and the connection cap
(pass them to your own uvicorn too); `create_app(config)` is the ASGI app for any
server (it keeps the body deadline itself); `replay_config(folder)` answers
from recordings (no keys, no network); `main(host, port, replay)` is what `llmkit serve` calls.

Security: a request body may carry only the fields above; `api_key`,
`base_url`, `http_client`, `registry`, `timeout` and `max_retries` are refused
with a 400 naming the field (keys and upstreams are server configuration, so
no request can point the server elsewhere). Key values never reach a response
or a log line. Requests must be `application/json` (so a web page cannot post
without a CORS preflight), the Host header must be an allowed name, parsed strictly
as `name[:port]` or `[ipv6][:port]` (against DNS rebinding), and with a token
every call but `/healthz` needs it, as `Authorization: Bearer <token>` or
`x-api-key: <token>`. `serve` refuses a non-loopback address without a token
unless told `allow_no_token`; `serve(workers=N)` runs N processes, each
configured from the environment (`app_from_env`). CORS is off unless origins are configured.
"""

from __future__ import annotations

from llmkit.server._app import (
    app_from_env,
    create_app,
    main,
    replay_config,
    serve,
    uvicorn_options,
)
from llmkit.server._config import (
    ServerConfig,
    default_http_client,
    resolve_chain,
    resolve_model,
)

__all__ = [
    "ServerConfig",
    "app_from_env",
    "create_app",
    "default_http_client",
    "main",
    "replay_config",
    "resolve_chain",
    "resolve_model",
    "serve",
    "uvicorn_options",
]
