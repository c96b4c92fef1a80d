"""llmkit's exceptions: the one place we write classes.

Every error says which provider, and where the vendor answered, its HTTP status,
its own error type and message and the request id. An error that ends a stream
carries the `partial` Response assembled so far. No API key is ever stored on
one: vendor bodies are truncated and keys are scrubbed from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmkit.types import Response

_BODY_LIMIT = 2000
# Shapes of the vendors' keys, so an echoed key in a body never reaches a log.
_KEY_SHAPES = re.compile(r"(sk-ant-|sk-proj-|sk-|xai-|AIza)[A-Za-z0-9_\-]{8,}")


def scrub(text: str) -> str:
    """Remove anything shaped like an API key, and truncate."""
    text = _KEY_SHAPES.sub("***", text)
    return text if len(text) <= _BODY_LIMIT else text[:_BODY_LIMIT] + "…"


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


class UnknownModel(LlmkitError):
    def __init__(self, model: str, known: tuple[str, ...]) -> None:
        super().__init__(
            f"no provider for model {model!r}; known prefixes: {', '.join(known)}; "
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
