"""Gemini on Vertex AI (PROTOCOLS 9.1): the Gemini API body, sent to
`{host}/v1/projects/{project}/locations/{location}/publishers/google/models/
{model}:generateContent` (`:streamGenerateContent?alt=sse` when streaming)
with an OAuth token from Application Default Credentials; or, in express
mode (an API key, `GOOGLE_CLOUD_API_KEY`), to the global host without a
project: `https://aiplatform.googleapis.com/v1/publishers/google/models/…`.

Vertex-only body fields (`labels`, `toolConfig.functionCallingConfig.
streamFunctionCallArguments`) go in through `extra`, which the Gemini wire
merges into its body.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.errors import ApiError
from llmkit.protocols import HttpRequest
from llmkit.routes import _gcp
from llmkit.types import ChatRequest

NAME = "vertex"
KEY_ENV = ("GOOGLE_CLOUD_API_KEY",)  # express mode
EXPRESS_URL = "https://aiplatform.googleapis.com/v1"


def base_url(env: Mapping[str, str], keyed: bool) -> str:
    return EXPRESS_URL if keyed else _gcp.project_url(env, NAME)


def ready(env: Mapping[str, str]) -> bool:
    if any(env.get(k) for k in KEY_ENV):
        return True
    return bool(_gcp.first(env, _gcp.PROJECT_ENV)) and _gcp.adc_found(env)


def rewrite(hr: HttpRequest, req: ChatRequest, base_url: str) -> HttpRequest:
    verb = "streamGenerateContent?alt=sse" if req.stream else "generateContent"
    return _gcp.retarget(hr, _gcp.model_url(base_url, "google", req.model, verb))


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return err  # Vertex answers errors in the Gemini API's shape
