"""Claude on AWS Bedrock (`InvokeModel`, `InvokeModelWithResponseStream`):
what differs from the Anthropic Messages wire, as pure functions.

(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html)
The URL names the model and the operation
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

import base64
import os
import re
import urllib.parse
from collections.abc import Mapping
from types import MappingProxyType

import msgspec

from llmkit.errors import (
    ApiError,
    AuthenticationError,
    ContextTooLong,
    InvalidRequest,
    MissingConfig,
    NotFound,
    Overloaded,
    PermissionDenied,
    RateLimited,
    ServerError,
    api_error,
)
from llmkit.protocols import HttpRequest
from llmkit.providers._count import count_from
from llmkit.types import ChatRequest

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


def host(region: str) -> str:
    return f"https://bedrock-runtime.{region}.amazonaws.com"


def region_from_env(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    return next((env[v].strip() for v in REGION_ENV if env.get(v, "").strip()), None)


def region(env: Mapping[str, str]) -> str | None:
    """`AWS_REGION`, `AWS_DEFAULT_REGION`, else the AWS profile's region
    (botocore reads the shared config file; without botocore, none)."""
    found = region_from_env(env)
    if found is None and (any(env.get(v) for v in _CONFIG_ENV) or _has_config_file(env)):
        from llmkit.routes import _aws

        found = _aws.profile_region()
    return found


# ---- the RouteShape (llmkit.protocols.RouteShape) ----------------------------------

# What tells, without I/O, that the AWS chain will find credentials: static
# keys, a profile or shared files, web identity (EKS), a container role (ECS).
# An EC2 instance role is found only by asking the instance: not counted here.
_CREDENTIAL_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
_CONFIG_ENV = ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def _has_config_file(env: Mapping[str, str]) -> bool:
    home = env.get("HOME") or os.path.expanduser("~")
    files = (
        env.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config"),
        env.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials"),
    )
    return any(os.path.isfile(f) for f in files)


def base_url(env: Mapping[str, str], keyed: bool) -> str:
    """bedrock-runtime in the call's region (an API key is region-bound too)."""
    found = region(env)
    if found is None:
        raise MissingConfig(NAME, "AWS region", REGION_ENV)
    return host(found)


def ready(env: Mapping[str, str]) -> bool:
    """An API key or signs of AWS credentials, and a region (env or config file)."""
    has_region = region_from_env(env) is not None or _has_config_file(env)
    creds = any(env.get(v) for v in (*API_KEY_ENV, *_CREDENTIAL_ENV)) or _has_config_file(env)
    return has_region and creds


def wire_model(model: str) -> str:
    """The model the Anthropic wire builds the request for (its catalog facts)."""
    return anthropic_model(model)


def rewrite(hr: HttpRequest, req: ChatRequest, base: str) -> HttpRequest:
    return to_bedrock(hr, req.model, base)


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    """Bedrock's own front end answered (`x-amzn-ErrorType`, `{"message"}`)
    unless the body is an Anthropic error, which the wire already read."""
    if err.error_type and error_type(headers) is None:
        return err
    return parse_error(status, headers, body)


def anthropic_model(model: str) -> str:
    """`us.anthropic.claude-sonnet-4-5-20250929-v1:0` -> `claude-sonnet-4-5-20250929`;
    an id of another shape (an ARN, a provisioned model) is kept as it is."""
    bare = _PROFILE.sub("", model)
    if not bare.startswith("anthropic."):
        return model
    return _VERSION.sub("", bare.removeprefix("anthropic."))


# ---- the catalog ------------------------------------------------------------------

# The Bedrock ids llmkit lists, each beside the first-party catalog id whose
# facts (context, output limit, capabilities, efforts, sampling) it shares.
# Only ids Anthropic's or AWS's own pages give, or real traffic used; any other
# id (a newer model, another profile, an ARN) works all the same, unlisted.
_BASE: Mapping[str, str] = MappingProxyType(
    {
        # "Base Bedrock model ID" table of
        # https://platform.claude.com/docs/en/build-with-claude/claude-on-amazon-bedrock
        # (recorded: corpus bedrock-anthropic/fan_opus46_*, fan_sonnet45_*)
        "anthropic.claude-opus-4-6-v1": "claude-opus-4-6",
        "anthropic.claude-sonnet-4-5-20250929-v1:0": "claude-sonnet-4-5",
        "anthropic.claude-sonnet-4-20250514-v1:0": "claude-sonnet-4-20250514",
        # AWS's model card
        # (https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-haiku-4-5.html);
        # recorded: corpus bedrock-anthropic/fan_haiku45_*
        "anthropic.claude-haiku-4-5-20251001-v1:0": "claude-haiku-4-5",
    }
)
# The cross-region inference profiles (`{geo}.{base id}`) the same table marks
# for each model; Haiku 4.5's global profile is in AWS's announcement
# (https://aws.amazon.com/blogs/machine-learning/global-cross-region-inference-for-latest-anthropic-claude-opus-sonnet-and-haiku-models-on-amazon-bedrock-in-thailand-malaysia-singapore-indonesia-and-taiwan).
# Which of them answers depends on the caller's region.
_PROFILES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "anthropic.claude-opus-4-6-v1": ("global", "us", "eu", "jp", "apac"),
        "anthropic.claude-sonnet-4-5-20250929-v1:0": ("global", "us", "eu", "jp"),
        "anthropic.claude-sonnet-4-20250514-v1:0": ("global", "us", "eu", "apac"),
        "anthropic.claude-haiku-4-5-20251001-v1:0": ("global",),
    }
)
CATALOG: Mapping[str, str] = MappingProxyType(
    {
        **_BASE,
        **{f"{geo}.{base}": first for base, first in _BASE.items() for geo in _PROFILES[base]},
    }
)
"""Listed Bedrock id -> the first-party catalog id it shares facts with."""


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


def count_request(hr: HttpRequest, req: ChatRequest, base: str) -> HttpRequest:
    """`CountTokens` for the InvokeModel request of `hr`
    (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html):
    `POST /model/{modelId}/count-tokens`, the invoke body base64-encoded in
    `{"input": {"invokeModel": {"body": ...}}}`. Its `modelId` is a foundation
    model (botocore's `FoundationModelVersionIdentifier`), so a cross-region
    profile is counted as the model it names: the count is the model's."""
    invoke = to_bedrock(hr, req.model, base)
    wrapped = {"input": {"invokeModel": {"body": base64.b64encode(invoke.body or b"").decode()}}}
    model = urllib.parse.quote(_PROFILE.sub("", req.model), safe="-_.~")
    return HttpRequest(
        method="POST",
        url=f"{base.rstrip('/')}/model/{model}/count-tokens",
        headers={"content-type": "application/json", "accept": "application/json"},
        body=msgspec.json.encode(wrapped),
    )


def parse_count(body: bytes) -> int:
    return count_from(body, "inputTokens", NAME)


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
