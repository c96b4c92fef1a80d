"""Claude through Bedrock's Anthropic-compatible Messages endpoint ("Mantle").

(https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-mantle.html)
`https://bedrock-mantle.{region}.api.aws/anthropic` +
`/v1/messages`, the first-party body (`model` in it) and SSE, so the
Anthropic wire is used as it is; only the host and the authentication differ:
a Bedrock API key as a bearer token (`AWS_BEARER_TOKEN_BEDROCK`), else SigV4
with service `bedrock-mantle` over the AWS credential chain. Model ids are
sent as given (which ids Mantle takes is not documented in 9.3).
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.errors import ApiError, MissingConfig
from llmkit.protocols import HttpRequest
from llmkit.routes import bedrock
from llmkit.types import ChatRequest

NAME = "bedrock-mantle"


def base_url(env: Mapping[str, str], keyed: bool) -> str:
    found = bedrock.region(env)
    if found is None:
        raise MissingConfig(NAME, "AWS region", bedrock.REGION_ENV)
    return f"https://bedrock-mantle.{found}.api.aws/anthropic"


def ready(env: Mapping[str, str]) -> bool:
    return bedrock.ready(env)


def rewrite(hr: HttpRequest, req: ChatRequest, base: str) -> HttpRequest:
    return hr  # the first-party request, as it is


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    """AWS's front end (signature, throttling) answers in its own shape."""
    return bedrock.refine_error(err, status, headers, body)
