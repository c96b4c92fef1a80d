"""Which provider serves a model: a dispatch table, as data.

A `Registry` maps names to `Endpoint`s (a wire-format module, a base URL, the
env vars that hold its key; for a cloud route also its route module, how it
authenticates and how its streams are framed) and model-id prefixes to names; the longest prefix
wins and `name:model` skips the search. Registries are values: extend one with
`with_endpoint` and pass it as `registry=`, or make it the default with
`llmkit.register(...)`. Provider modules are imported only when first used, so
`import llmkit` stays light.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, cast

import msgspec

from llmkit.auth import Credential, credential_for, named_source
from llmkit.errors import InvalidApiKey, InvalidArgument, MissingApiKey, UnknownModel
from llmkit.protocols import Framing, Provider, RouteShape, Signer


class Secret:
    """An API key. Its repr and str are '***' so it cannot leak into logs,
    tracebacks or error messages, msgspec refuses to encode it and pickle
    refuses to pickle it (a pickle is bytes on disk or on a wire, key
    included); `reveal()` is the one way to read it. Copies are the same
    object: it is immutable. (A plain class, not a Struct: a Struct would
    serialize its field.)"""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError(
            "an llmkit Secret cannot be pickled: it would write the key out; "
            "pass the key by other means (an env var) to the other process"
        )

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


class Endpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A named place to send requests: `wire` is the provider module.
    `"llmkit.providers.openai"` (Chat Completions) serves every
    OpenAI-compatible endpoint; `"llmkit.providers.responses"` is OpenAI's
    Responses API and `"llmkit.providers.xai_responses"` xAI's.

    `dialect` says which server speaks that wire, for the rules that differ;
    it reaches the provider as `ChatRequest.dialect`, so no provider guesses
    from a hostname. On Chat Completions: `"openai"` (OpenAI's per-model
    rules, `max_completion_tokens`) or `"compatible"` (`max_tokens`, which
    Ollama, vLLM, Groq, OpenRouter and DeepSeek know). Empty: the wire's own
    vendor. Only Chat Completions reads it today; the other wires are one
    vendor's each."""

    name: str
    wire: str
    base_url: str
    key_env: tuple[str, ...] = ()
    key_required: bool = True
    # Env vars that move the endpoint (a proxy, a gateway), first set wins.
    base_url_env: tuple[str, ...] = ()
    dialect: str = ""
    # Cloud routes (llmkit.routes): what differs from the wire's own endpoint.
    # `route`: a RouteShape module that places the URL, the model id and the
    # version field; "" for none. A route's `base_url` is "" (the route finds
    # it in the env); one set (by `with_endpoint`) wins.
    route: str = ""
    # How requests are authenticated when no static key is found: "key" (the
    # key is required, see key_required), "bearer" (`Authorization: Bearer`
    # with a token from a refreshing credential source) or the name of a
    # request signer in `SIGNERS` ("sigv4"), applied last.
    auth: str = "key"
    # The header a static key goes in: "" for the wire's `auth_headers`,
    # "bearer" for `Authorization: Bearer <key>`, else a header name ("api-key").
    key_header: str = ""
    # The default credential source for "bearer" and signers: a name in
    # `llmkit.auth.SOURCES` ("google-adc"), used when the call passes none.
    credentials: str = ""
    # How a stream is framed: "sse", or a name in `FRAMINGS` ("aws-eventstream").
    framing: str = "sse"
    # The route serves the wire's catalog model ids (Vertex's Gemini does;
    # Azure's are deployment names): the catalog lists them for it. A route
    # with ids of its own (Claude's on Vertex carry `@date`, Bedrock's are its
    # own) lists them from its module's `CATALOG` instead.
    catalog: bool = False


# Request signers and stream framings by name, as "module:function" and
# module paths, imported on first use (the Bedrock route adds its own here).
SIGNERS: Mapping[str, str] = MappingProxyType(
    {
        "sigv4": "llmkit.routes._aws:sign_bedrock",  # AWS SigV4, service `bedrock`
        "sigv4-bedrock-mantle": "llmkit.routes._aws:sign_mantle",
        "sigv4-aws-external-anthropic": "llmkit.routes._aws:sign_claude_platform",
    }
)
FRAMINGS: Mapping[str, str] = MappingProxyType(
    {"aws-eventstream": "llmkit.routes._eventstream"}  # Bedrock's InvokeModelWithResponseStream
)


class Route(msgspec.Struct, frozen=True):
    """A resolved model: where to send it and the vendor's model id."""

    endpoint: Endpoint
    model: str


class Registry(msgspec.Struct, frozen=True, kw_only=True):
    endpoints: Mapping[str, Endpoint]
    prefixes: Mapping[str, str]
    # `name:model` prefixes served by another endpoint, longest first wins:
    # "vertex:claude-" is "vertex-anthropic" (one cloud, two wires).
    redirects: Mapping[str, str] = MappingProxyType({})


# The base-URL variables the vendors' own SDKs read, honoured the same way:
# anthropic-sdk-python `_client.py` reads ANTHROPIC_BASE_URL, openai-python
# `_client.py` OPENAI_BASE_URL, google-genai `_base_url.py` GOOGLE_GEMINI_BASE_URL
# (GOOGLE_VERTEX_BASE_URL is Vertex AI, another API). xai-sdk-python reads none
# (gRPC, an `api_host` argument only), so xAI has none here either.
_BASE_URL_ENV = {
    "anthropic": ("ANTHROPIC_BASE_URL",),
    "openai": ("OPENAI_BASE_URL",),
    "google": ("GOOGLE_GEMINI_BASE_URL",),
}


def _builtin(
    name: str, base_url: str, *key_env: str, wire: str = "", dialect: str = ""
) -> Endpoint:
    return Endpoint(
        name=name,
        wire=f"llmkit.providers.{wire or name}",
        base_url=base_url,
        key_env=key_env,
        base_url_env=_BASE_URL_ENV.get(name.removesuffix("-chat"), ()),
        dialect=dialect,
    )


# The wire a new endpoint gets by default, and the dialect it speaks there.
_CHAT_COMPLETIONS = "llmkit.providers.openai"
_NEW_DIALECT = {_CHAT_COMPLETIONS: "compatible"}


def _aws_anthropic(name: str, key_env: str, *, sign: str) -> Endpoint:
    return Endpoint(
        name=name,
        wire="llmkit.providers.anthropic",
        base_url="",
        key_env=(key_env,),
        key_required=False,
        route=f"llmkit.routes.{name.replace('-', '_')}",
        auth=sign,
        key_header="bearer",
        credentials="aws",
    )


_OPENAI = "https://api.openai.com/v1"
_XAI = "https://api.x.ai/v1"


def _cloud(name: str, wire: str, route: str, **kw: Any) -> Endpoint:
    return Endpoint(
        name=name,
        wire=f"llmkit.providers.{wire}",
        base_url="",
        route=f"llmkit.routes.{route}",
        **kw,
    )


_AZURE = {"key_env": ("AZURE_OPENAI_API_KEY",), "key_header": "api-key"}
# Cloud routes (README "Cloud routes"): Gemini and Claude on Vertex AI with
# Google ADC tokens (or an express-mode key), OpenAI on Azure with an api-key
# or an Entra ID token callable.
_CLOUDS = {
    "vertex": _cloud(
        "vertex", "google", "vertex", auth="bearer", credentials="google-adc",
        key_env=("GOOGLE_CLOUD_API_KEY",), key_required=False, catalog=True,
    ),
    "vertex-anthropic": _cloud(
        "vertex-anthropic", "anthropic", "vertex_anthropic", auth="bearer",
        credentials="google-adc", key_header="bearer", key_required=False,
    ),
    "azure": _cloud("azure", "responses", "azure", **_AZURE),
    "azure-chat": _cloud("azure-chat", "openai", "azure", **_AZURE),
}  # fmt: skip


DEFAULT = Registry(
    endpoints=MappingProxyType(
        {
            "anthropic": _builtin("anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
            # OpenAI and xAI models go to Responses; Chat Completions is the opt-in
            # `openai-chat:` / `xai-chat:` (and the wire of compatible endpoints).
            "openai": _builtin(
                "openai", _OPENAI, "OPENAI_API_KEY", wire="responses", dialect="openai"
            ),
            "openai-chat": _builtin(
                "openai-chat", _OPENAI, "OPENAI_API_KEY", wire="openai", dialect="openai"
            ),
            "xai": _builtin("xai", _XAI, "XAI_API_KEY", wire="xai_responses"),
            "xai-chat": _builtin("xai-chat", _XAI, "XAI_API_KEY", wire="xai"),
            "google": _builtin(
                "google",
                "https://generativelanguage.googleapis.com",
                "GEMINI_API_KEY",
                "GOOGLE_API_KEY",
            ),
            **_CLOUDS,
            # Claude on AWS Bedrock (InvokeModel): a Bedrock API key as a bearer
            # token, else SigV4 with the AWS credential chain (the `bedrock` extra).
            "bedrock": Endpoint(
                name="bedrock",
                wire="llmkit.providers.anthropic",
                base_url="",
                key_env=("AWS_BEARER_TOKEN_BEDROCK",),
                key_required=False,
                base_url_env=("AWS_ENDPOINT_URL_BEDROCK_RUNTIME",),
                route="llmkit.routes.bedrock",
                auth="sigv4",
                key_header="bearer",
                credentials="aws",
                framing="aws-eventstream",
            ),
            # Bedrock's Anthropic-compatible Messages endpoint and Claude Platform
            # on AWS: the Anthropic wire as it is, another host and AWS auth.
            "bedrock-mantle": _aws_anthropic(
                "bedrock-mantle", "AWS_BEARER_TOKEN_BEDROCK", sign="sigv4-bedrock-mantle"
            ),
            "anthropic-aws": _aws_anthropic(
                "anthropic-aws", "ANTHROPIC_AWS_API_KEY", sign="sigv4-aws-external-anthropic"
            ),
        }
    ),
    prefixes=MappingProxyType(
        {
            "claude-": "anthropic",
            "gpt-": "openai",
            "o1": "openai",
            "o3": "openai",
            "o4": "openai",
            "chatgpt-": "openai",
            "codex-": "openai",
            "grok-": "xai",
            "gemini-": "google",
            "gemma-": "google",
            "models/gemini-": "google",
        }
    ),
    redirects=MappingProxyType({"vertex:claude-": "vertex-anthropic"}),
)

_current = DEFAULT


def current() -> Registry:
    """The registry used when a call passes none."""
    return _current


def with_endpoint(
    reg: Registry,
    name: str,
    *,
    base_url: str,
    wire: str | None = None,
    key_env: str | tuple[str, ...] | None = None,
    prefixes: tuple[str, ...] = (),
    dialect: str | None = None,
) -> Registry:
    """A copy of `reg` with one more endpoint, for example an OpenAI-compatible
    server: `with_endpoint(reg, "ollama", base_url="http://localhost:11434/v1")`
    makes `"ollama:llama3.2"` work. `wire` names a built-in wire format
    (`"openai"`: Chat Completions, the default for a new name; `"responses"`:
    OpenAI's Responses API, for example an Azure OpenAI v1 deployment;
    `"xai_responses"`, `"anthropic"`, `"google"`) or a module path; `prefixes`
    route bare model ids to it. Its parts are stamped with `name`, so reasoning
    made there is replayed only there. `dialect` (see `Endpoint`) defaults to
    `"compatible"` for a new endpoint on Chat Completions: a server that is
    not OpenAI's; pass `"openai"` for a proxy in front of OpenAI itself.

    Naming an endpoint `reg` already has (`"anthropic"` behind a corporate
    proxy) moves it: it keeps its wire format, dialect and key variables
    unless they are given, and the base URL given here wins over the base-URL
    variables."""
    old = reg.endpoints.get(name)
    if key_env is None:
        envs = old.key_env if old is not None else ()
    else:
        envs = (key_env,) if isinstance(key_env, str) else key_env
    if wire is None:
        module = old.wire if old is not None else _CHAT_COMPLETIONS
    else:
        module = wire if "." in wire else f"llmkit.providers.{wire}"
    if dialect is None:
        # A vendor's own endpoint stays that vendor on any wire (`openai` moved to
        # Chat Completions is still OpenAI); a server without one is compatible.
        dialect = (old.dialect if old is not None else "") or _NEW_DIALECT.get(module, "")
    ep = Endpoint(
        name=name,
        wire=module,
        base_url=base_url.rstrip("/"),
        key_env=envs,
        key_required=bool(envs),
        dialect=dialect,
    )
    if old is not None and old.route:  # a moved cloud route keeps how it authenticates
        ep = msgspec.structs.replace(
            old, wire=module, base_url=ep.base_url, key_env=envs, base_url_env=()
        )
    return Registry(
        endpoints=MappingProxyType({**reg.endpoints, name: ep}),
        prefixes=MappingProxyType({**reg.prefixes, **dict.fromkeys(prefixes, name)}),
        redirects=reg.redirects,
    )


def register(
    name: str,
    *,
    base_url: str,
    wire: str | None = None,
    key_env: str | tuple[str, ...] | None = None,
    prefixes: tuple[str, ...] = (),
    dialect: str | None = None,
) -> Registry:
    """Make `with_endpoint(current(), ...)` the default registry and return it."""
    global _current
    _current = with_endpoint(
        _current,
        name,
        base_url=base_url,
        wire=wire,
        key_env=key_env,
        prefixes=prefixes,
        dialect=dialect,
    )
    return _current


def resolve(model: str, reg: Registry | None = None) -> Route:
    """`provider:model` names its endpoint; otherwise the longest matching
    prefix of the model id picks it."""
    reg = reg or _current
    moved = [p for p in reg.redirects if model.startswith(p)]
    if moved:
        target = reg.redirects[max(moved, key=len)]
        return Route(reg.endpoints[target], model.partition(":")[2])
    name, sep, rest = model.partition(":")
    if sep and name in reg.endpoints:
        return Route(reg.endpoints[name], rest)
    from llmkit.providers._common import (
        longest_prefix,
    )  # not at import: `import llmkit` stays light

    hit = longest_prefix(reg.prefixes, model, None)
    if hit is None:
        raise UnknownModel(model, known=tuple(reg.prefixes) + tuple(f"{n}:" for n in reg.endpoints))
    return Route(reg.endpoints[hit], model)


def wire(ep: Endpoint) -> Provider[Any]:
    """The provider module behind an endpoint, imported on first use."""
    return cast("Provider[Any]", importlib.import_module(ep.wire))


def route_shape(ep: Endpoint) -> RouteShape | None:
    """The cloud route module of an endpoint, if it has one."""
    return cast(RouteShape, importlib.import_module(ep.route)) if ep.route else None


def _named(table: Mapping[str, str], kind: str, name: str) -> Any:
    path = table.get(name)
    if path is None:
        raise InvalidArgument(f"no {kind} named {name!r} (known: {', '.join(table) or 'none'})")
    module, _, attr = path.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attr) if attr else loaded


def signer(ep: Endpoint) -> Signer | None:
    """The request signer an endpoint names (`auth`), if any."""
    return None if ep.auth in ("key", "bearer") else _named(SIGNERS, "request signer", ep.auth)


def framing(ep: Endpoint) -> Framing | None:
    """The stream framing an endpoint names; None for SSE, the transport's
    default (`llmkit._sse`)."""
    return None if ep.framing == "sse" else _named(FRAMINGS, "stream framing", ep.framing)


def base_url(ep: Endpoint, env: Mapping[str, str] | None = None, keyed: bool = True) -> str:
    """Where to send: the first base-URL variable set, else the route's URL
    from its cloud's env vars, else the endpoint's own."""
    env = os.environ if env is None else env
    for var in ep.base_url_env:
        if env.get(var, "").strip():
            return env[var].strip().rstrip("/")
    shape = route_shape(ep)
    if shape is None or ep.base_url:  # a route moved by `with_endpoint` goes where it was told
        return ep.base_url
    return shape.base_url(env, keyed).rstrip("/")


def find_key(ep: Endpoint, env: Mapping[str, str] | None = None) -> Secret | None:
    env = os.environ if env is None else env
    for var in ep.key_env:
        if env.get(var):
            return Secret(env[var])
    return None


def _checked(key: Secret, ep: Endpoint) -> Secret:
    """Surrounding whitespace (a key pasted with its newline, a `.env` file
    with CRLF endings) is dropped; anything else that cannot go in an HTTP
    header is refused here, before httpx would quote the header in an error."""
    value = key.reveal().strip()
    if not value or any(not ("!" <= c <= "~") for c in value):
        raise InvalidApiKey(ep.name)
    return key if value == key.reveal() else Secret(value)


def api_key(ep: Endpoint, explicit: str | Secret | None = None) -> Secret | None:
    """The key to use: the caller's, else the endpoint's env vars. A provider
    that needs one and has none is an error naming the env vars to set."""
    if explicit is not None:
        return _checked(explicit if isinstance(explicit, Secret) else Secret(explicit), ep)
    key = find_key(ep)
    if key is None and ep.key_required:
        raise MissingApiKey(ep.name, ep.key_env)
    return None if key is None else _checked(key, ep)


CredentialLike = str | Secret | Callable[[], Any]


def credentials(
    ep: Endpoint, explicit: CredentialLike | None = None
) -> tuple[Secret | None, Credential | None]:
    """What a call authenticates with: a static key (the caller's string,
    else the endpoint's env vars), or a refreshing `Credential` (the
    caller's callable as `api_key`, else the endpoint's default source, for
    a bearer or signed route). Neither, where one is needed, is an error
    naming the env vars to set."""
    if explicit is not None and not isinstance(explicit, (str, Secret)):
        if not callable(explicit):
            raise InvalidArgument("api_key: expected a str, a Secret or a credential callable")
        return None, credential_for(explicit, ep.name)
    key = api_key(ep, explicit) if explicit is not None or ep.auth == "key" else None
    if key is None and ep.auth != "key":
        found = find_key(ep)
        if found is not None:
            return _checked(found, ep), None
        if ep.credentials:
            return None, named_source(ep.credentials, ep.name)
        raise MissingApiKey(ep.name, ep.key_env)
    return key, None


def _ready(ep: Endpoint, env: Mapping[str, str] | None) -> bool:
    shape = route_shape(ep)
    if shape is not None:
        return shape.ready(os.environ if env is None else env)
    return not ep.key_required or find_key(ep, env) is not None


def available(reg: Registry | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """Names of endpoints usable now: a key is set, or none is needed; a cloud
    route, when its settings and credentials are found."""
    reg = reg or _current
    return [n for n, ep in reg.endpoints.items() if _ready(ep, env)]
