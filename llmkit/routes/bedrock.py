"""Claude on AWS Bedrock (`InvokeModel`, `InvokeModelWithResponseStream`):
what differs from the Anthropic Messages wire, as pure functions.

PROTOCOLS.md 9.3: the URL names the model and the operation
(`/model/{modelId}/invoke`, `/model/{modelId}/invoke-with-response-stream`,
the id percent-encoded as botocore encodes a URI label, `:` as `%3A`); the
body is the Messages body without `model` and `stream`, plus
`anthropic_version: "bedrock-2023-05-31"` and betas as the body array
`anthropic_beta` (not the `anthropic-beta` header). Answers are the Anthropic
bodies and events (the stream in AWS event-stream framing: `_eventstream`),
so the Anthropic wire reads them. Errors carry their type in the
`x-amzn-ErrorType` header and `{"message": ...}` in the body.

Model ids: `anthropic.claude-haiku-4-5-20251001-v1:0`, or a cross-region
inference profile (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `global.` in front).
`anthropic_model` gives the Anthropic name the catalog knows, so the request
is built with that model's facts (max output, sampling, structured output).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping

import msgspec

from llmkit.errors import (
    ApiError,
    AuthenticationError,
    ContextTooLong,
    InvalidRequest,
    NotFound,
    Overloaded,
    PermissionDenied,
    RateLimited,
    ServerError,
    api_error,
)
from llmkit.protocols import HttpRequest

NAME = "bedrock"
SERVICE = "bedrock"  # the SigV4 signing name of bedrock-runtime
ANTHROPIC_VERSION = "bedrock-2023-05-31"
REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")
# A Bedrock API key, sent as `Authorization: Bearer` instead of signing.
API_KEY_ENV = ("AWS_BEARER_TOKEN_BEDROCK",)
EVENTSTREAM = "application/vnd.amazon.eventstream"

# Cross-region inference profiles put a geography in front of the model id.
_PROFILE = re.compile(r"^(?:us|eu|apac|jp|au|ca|us-gov|global)\.")
# The Bedrock version suffix: `-v1:0`, `-v2`, `-v1:0:200k`.
_VERSION = re.compile(r"-v\d+(?::\d+)?(?::\d+k)?$")


def base_url(region: str) -> str:
    return f"https://bedrock-runtime.{region}.amazonaws.com"


def region_from_env(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    return next((env[v].strip() for v in REGION_ENV if env.get(v, "").strip()), None)


def anthropic_model(model: str) -> str:
    """`us.anthropic.claude-sonnet-4-5-20250929-v1:0` -> `claude-sonnet-4-5-20250929`;
    an id of another shape (an ARN, a provisioned model) is kept as it is."""
    bare = _PROFILE.sub("", model)
    if not bare.startswith("anthropic."):
        return model
    return _VERSION.sub("", bare.removeprefix("anthropic."))


def invoke_url(base: str, model: str, stream: bool) -> str:
    """botocore encodes the `modelId` label with every reserved character
    escaped (`:` -> `%3A`, `/` of an ARN -> `%2F`); the SigV4 canonical path
    is then built from exactly this path."""
    op = "invoke-with-response-stream" if stream else "invoke"
    return f"{base.rstrip('/')}/model/{urllib.parse.quote(model, safe='-_.~')}/{op}"


def to_bedrock(hr: HttpRequest, model: str, base: str) -> HttpRequest:
    """The Anthropic `HttpRequest` for `model` as Bedrock takes it."""
    body = msgspec.json.decode(hr.body or b"{}")
    if not isinstance(body, dict):
        raise TypeError("an Anthropic request body is a JSON object")
    body.pop("model", None)
    stream = bool(body.pop("stream", False))
    out: dict[str, object] = {"anthropic_version": ANTHROPIC_VERSION, **body}
    betas = {k.lower(): v for k, v in hr.headers.items()}.get("anthropic-beta")
    if betas:
        out["anthropic_beta"] = [b.strip() for b in betas.split(",") if b.strip()]
    headers = {"content-type": "application/json", "accept": "application/json"}
    if stream:  # the frames, and the model's JSON inside them (botocore's `accept`)
        headers = {**headers, "accept": EVENTSTREAM, "x-amzn-bedrock-accept": "application/json"}
    return HttpRequest(
        method="POST",
        url=invoke_url(base, model, stream),
        headers=headers,
        body=msgspec.json.encode(out),
    )


# x-amzn-ErrorType -> class (botocore bedrock-runtime service-2 `errors`);
# the rest follow the status.
_KIND: dict[str, type[ApiError]] = {
    "ThrottlingException": RateLimited,  # 429
    "ServiceQuotaExceededException": RateLimited,  # 400/429: quota, retry later
    "ModelNotReadyException": Overloaded,  # 429: the model is being loaded
    "ServiceUnavailableException": Overloaded,  # 503
    "InternalServerException": ServerError,  # 500
    "ModelTimeoutException": ServerError,  # 408
    "ModelErrorException": ServerError,  # 424: the model failed on this input
    "ValidationException": InvalidRequest,  # 400
    "AccessDeniedException": PermissionDenied,  # 403: no access to this model
    "UnrecognizedClientException": AuthenticationError,  # 403: unknown key or token
    "InvalidSignatureException": AuthenticationError,  # 403
    "IncompleteSignatureException": AuthenticationError,  # 403
    "ExpiredTokenException": AuthenticationError,  # 403
    "ResourceNotFoundException": NotFound,  # 404: no such model (or not in this region)
}
_RETRY = {"ServiceQuotaExceededException": True, "ModelNotReadyException": True}
_CONTEXT = re.compile(r"prompt is too long|input is too long|too many (input )?tokens", re.I)


class _ErrorBody(msgspec.Struct):
    message: str = ""
    Message: str = ""  # some AWS front ends capitalise it


_error_body = msgspec.json.Decoder(_ErrorBody).decode


def error_type(headers: Mapping[str, str]) -> str | None:
    """`x-amzn-ErrorType` without its `:http://internal.amazon.com/...` tail."""
    raw = {k.lower(): v for k, v in headers.items()}.get("x-amzn-errortype", "")
    return raw.split(":", 1)[0].strip() or None


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    text = body.decode("utf-8", "replace")
    try:
        wire = _error_body(body)
        message = wire.message or wire.Message
    except msgspec.DecodeError:  # a proxy's HTML page, an empty body
        message = text.strip()[:500]
    kind_name = error_type(headers)
    kind = _KIND.get(kind_name or "")
    if kind is InvalidRequest and _CONTEXT.search(message):
        kind = ContextTooLong
    lowered = {k.lower(): v for k, v in headers.items()}
    return api_error(
        NAME,
        status,
        message,
        error_type=kind_name,
        kind=kind,
        request_id=lowered.get("x-amzn-requestid"),
        body=text,
        headers={k: v for k, v in lowered.items() if k.startswith("x-amzn-")},
        retryable=_RETRY.get(kind_name or ""),
    )


def auth_headers(key: str) -> dict[str, str]:
    """A Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`) replaces SigV4."""
    return {"authorization": f"Bearer {key}"}
