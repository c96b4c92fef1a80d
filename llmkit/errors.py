"""llmkit's exceptions: the one place we write classes.

Every error says which provider, and where the vendor answered, its HTTP status,
its own error type and message and the request id. An error that ends a stream
carries the `partial` Response assembled so far. No API key is ever stored on
one: vendor bodies are truncated and keys are scrubbed from them, by shape
here and, where the key is known (the transport knows the one it sent), by
`redact`, whatever the key looks like.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from llmkit.types import Response

_BODY_LIMIT = 2000
_ELLIPSIS = "…"
# Shapes of the vendors' keys, so an echoed key in a body never reaches a log.
# The second net under exact-key redaction: text shaped like a vendor key, one
# pattern for errors and recordings alike. Not inside a longer word ("task-…"),
# and long enough (16+) that ordinary text is left alone.
KEY_SHAPES = re.compile(r"(?<![A-Za-z0-9_-])(sk-ant-|sk-proj-|sk-|xai-|AIza)[A-Za-z0-9_\-]{16,}")
# Keys shorter than this are placeholders (tests, local servers): not secrets
# (3 printable characters are under a million guesses), and replacing every "k"
# in a message would make errors unreadable. Longer keys are replaced wherever
# they appear, even inside ordinary words.
MIN_SECRET_LENGTH = 4


def scrub(text: str) -> str:
    """Remove anything shaped like an API key, and truncate."""
    text = KEY_SHAPES.sub("***", text)
    return text if len(text) <= _BODY_LIMIT else text[:_BODY_LIMIT] + _ELLIPSIS


def secret_forms(secret: str) -> tuple[str, ...]:
    """The ways a key shows up in text: raw, escaped as in a Python repr or a
    JSON string, percent-encoded. Longest first, so no form leaves part of a
    longer one behind. Empty for keys under `MIN_SECRET_LENGTH`."""
    if len(secret) < MIN_SECRET_LENGTH:
        return ()
    forms = {
        secret,
        repr(secret)[1:-1],
        repr(secret.encode())[2:-1],
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
    }
    return tuple(sorted(forms, key=len, reverse=True))


def _cut(text: str, forms: tuple[str, ...]) -> str:
    for form in forms:
        while form in text:  # a key of stars may meet "***" again; each pass shortens text
            text = text.replace(form, "***")
    if text.endswith(_ELLIPSIS):  # truncation may have cut a key in two: drop its head
        head = text[: -len(_ELLIPSIS)]
        for form in forms:
            n = next((n for n in range(len(form) - 1, 0, -1) if head.endswith(form[:n])), 0)
            if n >= MIN_SECRET_LENGTH:
                return head[:-n] + "***" + _ELLIPSIS
    return text


def redact_text(text: str, secret: str | None) -> str:
    """`text` without `secret` in any of its forms (see `secret_forms`)."""
    return _cut(text, secret_forms(secret or ""))


# llmkit's own closed vocabularies in a Response (part tags, roles, finish
# reasons): never vendor text, and "***stant" is not a role. Field names (the
# dict keys) are llmkit's too.
_FIXED = frozenset({"type", "role", "reason"})


def _cut_any(value: Any, forms: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return _cut(value, forms)
    if isinstance(value, dict):
        return {k: v if k in _FIXED else _cut_any(v, forms) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut_any(v, forms) for v in value]
    return value


def _redact_partial(resp: Response, forms: tuple[str, ...]) -> Response | None:
    """The partial response without the key (a model may repeat a key it was
    shown); untouched, and not copied, when the key is not in it."""
    if not any(f in msgspec.json.encode(resp).decode() for f in forms):
        return resp
    try:
        return msgspec.convert(_cut_any(msgspec.to_builtins(resp), forms), type(resp))
    except msgspec.ValidationError:  # the key met a constrained field: no partial, no leak
        return None


def redact(err: BaseException, secret: str | None) -> BaseException:
    """Remove `secret` from `err` and every exception it chains to: message,
    args, body, headers, vendor fields and the partial response. The one place
    exact-key redaction happens; the transport calls it with the key it sent.
    Returns `err`, changed in place."""
    forms = secret_forms(secret or "")
    seen: set[int] = set()
    e: BaseException | None = err
    while forms and e is not None and id(e) not in seen:
        seen.add(id(e))
        e.args = tuple(_cut_any(a, forms) for a in e.args)
        if isinstance(e, LlmkitError):
            _redact_fields(e, forms)
        e = e.__cause__ or e.__context__
    return err


def _redact_fields(e: LlmkitError, forms: tuple[str, ...]) -> None:
    e.message = _cut(e.message, forms)
    for name in ("body", "event", "error_type", "request_id"):
        value = getattr(e, name, None)
        if isinstance(value, str):
            setattr(e, name, _cut(value, forms))
    if isinstance(e, ApiError):
        e.headers = {_cut(k, forms): _cut(v, forms) for k, v in e.headers.items()}
    if e.partial is not None:
        e.partial = _redact_partial(e.partial, forms)


class LlmkitError(Exception):
    """Base of every llmkit error."""

    def __init__(
        self, message: str, *, provider: str | None = None, partial: Response | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.partial = partial

    def __str__(self) -> str:
        who = f"[{self.provider}] " if self.provider else ""
        return f"{who}{self.message}"


class ApiError(LlmkitError):
    """The vendor answered with an error: a non-2xx status, or an error event
    inside a stream that had already begun (then `status` is None: llmkit never
    invents one)."""

    retryable_by_default = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status: int | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        retryable: bool | None = None,
        partial: Response | None = None,
    ) -> None:
        super().__init__(scrub(message), provider=provider, partial=partial)
        self.status = status
        self.error_type = error_type
        self.request_id = request_id
        self.retry_after = retry_after
        self.body = scrub(body)
        self.headers = dict(headers or {})
        self.retryable = self.retryable_by_default if retryable is None else retryable

    def __str__(self) -> str:
        bits = [str(self.status)] if self.status is not None else []
        bits += [b for b in (self.error_type, self.request_id) if b]
        detail = f" ({', '.join(bits)})" if bits else ""
        return f"{super().__str__()}{detail}"


class AuthenticationError(ApiError):
    """401: the key is missing, wrong or revoked."""


class PermissionDenied(ApiError):
    """403: the key may not use this model or feature."""


class NotFound(ApiError):
    """404: no such model or endpoint."""


class InvalidRequest(ApiError):
    """400/413/422: the vendor rejected the request as built."""


class ContextTooLong(InvalidRequest):
    """The prompt (plus max tokens) does not fit the model's context window."""


class RateLimited(ApiError):
    """429. `retry_after` holds the vendor's advice in seconds, when it gave one."""

    retryable_by_default = True


class Overloaded(ApiError):
    """The vendor is out of capacity (Anthropic 529, `overloaded_error`, 503)."""

    retryable_by_default = True


class ServerError(ApiError):
    """5xx, or a vendor `api_error`."""

    retryable_by_default = True


class Timeout(LlmkitError):
    """The request, or a silence inside a stream, outlasted the timeout."""


class ConnectionFailed(LlmkitError):
    """The vendor could not be reached, or the connection dropped."""


class StreamError(LlmkitError):
    """The stream broke: it ended before the vendor said it was done, or sent
    bytes llmkit cannot read. `partial` holds what had arrived."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        event: str | None = None,
        body: str = "",
        partial: Response | None = None,
    ) -> None:
        super().__init__(message, provider=provider, partial=partial)
        self.event = event
        self.body = scrub(body)


class DecodeError(LlmkitError):
    """A vendor body (not a stream) that is not the JSON it should be."""

    def __init__(self, message: str, *, provider: str | None = None, body: str = "") -> None:
        super().__init__(message, provider=provider)
        self.body = scrub(body)


class InvalidArgument(LlmkitError, TypeError):
    """A call argument llmkit cannot use (a malformed `base_url`, a negative
    timeout, ...); raised before any I/O."""


class Unsupported(LlmkitError):
    """The request asks for something this provider or model cannot do; raised
    by `build_request`, before any I/O."""

    def __init__(self, feature: str, *, provider: str | None = None) -> None:
        super().__init__(f"not supported: {feature}", provider=provider)
        self.feature = feature


# LiteLLM's provider words that are not llmkit endpoint names.
_LITELLM_NAMES = {"gemini": "google", "vertex_ai": "google"}


class UnknownModel(LlmkitError):
    def __init__(self, model: str, known: tuple[str, ...]) -> None:
        vendor, slash, rest = model.partition("/")
        name = _LITELLM_NAMES.get(vendor, vendor)
        hint = f"write '{name}:{rest}' (llmkit names the provider with ':'); " if (
            slash and rest and f"{name}:" in known) else ""  # fmt: skip
        super().__init__(
            f"no provider for model {model!r}; {hint}known prefixes: {', '.join(known)}; "
            "or name one explicitly as 'provider:model'"
        )
        self.model = model
        self.known = known


class MissingApiKey(LlmkitError):
    def __init__(self, provider: str, env_vars: tuple[str, ...]) -> None:
        where = " or ".join(env_vars) if env_vars else "api_key="
        super().__init__(f"no API key for {provider}: set {where}", provider=provider)
        self.env_vars = env_vars


class InvalidApiKey(LlmkitError):
    """A key that cannot be sent: empty, or with spaces or control characters
    inside. Says which provider, never the key."""

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"the API key for {provider} is not usable: it is empty or holds spaces, "
            "control or non-ASCII characters",
            provider=provider,
        )


class MissingExtra(LlmkitError):
    """A route needs an optional dependency that is not installed; says which
    extra to install."""

    def __init__(self, extra: str, module: str, *, provider: str | None = None) -> None:
        super().__init__(
            f"{provider or extra} needs {module}: pip install 'llmkit[{extra}]'", provider=provider
        )
        self.extra = extra
        self.module = module


class MissingConfig(LlmkitError):
    """A cloud route misses a setting (a project, a resource): names the env
    vars that give it."""

    def __init__(self, provider: str, what: str, env_vars: tuple[str, ...]) -> None:
        where = " or ".join(env_vars)
        super().__init__(
            f"no {what} for {provider}: set {where}, or pass base_url=", provider=provider
        )
        self.what = what
        self.env_vars = env_vars


class CredentialError(LlmkitError):
    """A credential source (Application Default Credentials, an Entra token
    provider, a callable passed as api_key) failed or gave nothing usable.
    The source's own exception is chained as the cause; no token is quoted."""


# Status → class. Vendors refine it by their own error type (see `api_error`).
_BY_STATUS: Mapping[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    408: ServerError,
    409: ServerError,
    413: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,
    503: Overloaded,
    529: Overloaded,
}
_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def error_class(status: int | None) -> type[ApiError]:
    if status is None:
        return ApiError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError


def api_error(
    provider: str,
    status: int | None,
    message: str,
    *,
    error_type: str | None = None,
    kind: type[ApiError] | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
    body: str = "",
    headers: Mapping[str, str] | None = None,
    retryable: bool | None = None,
) -> ApiError:
    """Build the right ApiError. `kind` (a vendor's own mapping of its error
    type) wins over the status table; retryability follows the status when
    there is one (408, 409, 429, 5xx), else the class."""
    cls = kind or error_class(status)
    if retryable is None and status is not None:
        retryable = status in _RETRYABLE_STATUS or status >= 500
    return cls(
        message or f"HTTP {status}",
        provider=provider,
        status=status,
        error_type=error_type,
        request_id=request_id,
        retry_after=retry_after,
        body=body,
        headers=headers,
        retryable=retryable,
    )


# ---- raised before any I/O, or by llmkit's own helpers ---------------------


class InvalidMessages(LlmkitError):
    """Input that cannot be read as messages; says where and why."""


class ToolDefinitionError(LlmkitError, TypeError):
    """A function that cannot be described as a tool."""


class InvalidResponseFormat(LlmkitError, TypeError):
    """A `response_format` type msgspec cannot describe as a JSON Schema."""


class StructuredOutputError(LlmkitError):
    """The model's answer does not decode into the requested type; `raw`
    keeps the text it sent and `partial` the whole response."""

    def __init__(self, message: str, *, raw: str, partial: Response) -> None:
        super().__init__(message, provider=partial.provider, partial=partial)
        self.raw = raw


class ReplayMismatch(LlmkitError):
    """A request that no recording answers. `message` names the request and
    the closest recording; `diff` holds how their bodies differ (prompts
    included), shown by `str()` for a test's failure but kept out of `message`,
    which is all llmkit's server sends a client."""

    def __init__(self, message: str, *, diff: str = "") -> None:
        super().__init__(message)
        self.diff = diff

    def __str__(self) -> str:
        return super().__str__() + self.diff


class NotStrict(Unsupported):
    """A schema a strict dialect cannot express without changing its meaning;
    `path` is a JSON pointer to the offending sub-schema."""

    def __init__(self, dialect: str, why: str, path: str) -> None:
        super().__init__(f"{why} at {path} ({dialect} strict mode)")
        self.dialect = dialect
        self.path = path
