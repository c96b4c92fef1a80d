"""Claude Platform on AWS: the Anthropic-operated Claude API, reached with AWS
authentication and billing (not Bedrock).

The AWS user guide ("Claude Platform on AWS": Making
requests, Authentication): `https://aws-external-anthropic.{region}.api.aws`
+ `/v1/messages`, the first-party body, model ids and SSE; the workspace in
the required `anthropic-workspace-id` header (`ANTHROPIC_AWS_WORKSPACE_ID`);
SigV4 with service `aws-external-anthropic` over the AWS credential chain, or
a workspace API key (`ANTHROPIC_AWS_API_KEY`) sent as a bearer token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from msgspec.structs import replace

from llmkit.errors import ApiError, MissingConfig
from llmkit.protocols import HttpRequest
from llmkit.routes import bedrock
from llmkit.types import ChatRequest

NAME = "anthropic-aws"
WORKSPACE_ENV = ("ANTHROPIC_AWS_WORKSPACE_ID",)
API_KEY_ENV = ("ANTHROPIC_AWS_API_KEY",)


def base_url(env: Mapping[str, str], keyed: bool) -> str:
    found = bedrock.region(env)
    if found is None:
        raise MissingConfig(NAME, "AWS region", bedrock.REGION_ENV)
    return f"https://aws-external-anthropic.{found}.api.aws"


def workspace(env: Mapping[str, str]) -> str | None:
    return next((env[v].strip() for v in WORKSPACE_ENV if env.get(v, "").strip()), None)


def ready(env: Mapping[str, str]) -> bool:
    has_key = any(env.get(v) for v in API_KEY_ENV)
    return workspace(env) is not None and (has_key or bedrock.ready(env))


def rewrite(hr: HttpRequest, req: ChatRequest, base: str) -> HttpRequest:
    """The first-party request plus its workspace (from the environment, as
    the region is: the route has no other place to take it from)."""
    found = workspace(os.environ)
    if found is None:
        raise MissingConfig(NAME, "workspace id", WORKSPACE_ENV)
    return replace(hr, headers={**hr.headers, "anthropic-workspace-id": found})


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    """Anthropic answers in its own shape; AWS's front end in AWS's."""
    return bedrock.refine_error(err, status, headers, body)
