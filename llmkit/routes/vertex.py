"""Gemini on Vertex AI
(https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference):
the Gemini API body, sent to
`{host}/v1/projects/{project}/locations/{location}/publishers/google/models/
{model}:generateContent` (`:streamGenerateContent?alt=sse` when streaming)
with an OAuth token from Application Default Credentials; or, in express
mode (an API key, `GOOGLE_CLOUD_API_KEY`), to the global host without a
project: `https://aiplatform.googleapis.com/v1/publishers/google/models/…`.

`stream_tool_arguments=True` on a streamed call with tools sets Vertex's
`toolConfig.functionCallingConfig.streamFunctionCallArguments` (never on a
unary call, which Vertex refuses it on); the Gemini fold reads the
`partialArgs` parts that follow. Other Vertex-only body fields (`labels`) go in
through `extra`, which the Gemini wire merges into its body.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from msgspec.structs import replace

from llmkit.errors import ApiError
from llmkit.protocols import HttpRequest
from llmkit.providers._count import count_from, recount
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
    if req.options.stream_tool_arguments and req.stream and req.tools and hr.body:
        hr = replace(hr, body=_streaming_arguments(hr.body))
    return _gcp.retarget(hr, _gcp.model_url(base_url, "google", req.model, verb))


def _streaming_arguments(body: bytes) -> bytes:
    data = msgspec.json.decode(body)
    config = data.setdefault("toolConfig", {}).setdefault("functionCallingConfig", {})
    config["streamFunctionCallArguments"] = True
    return msgspec.json.encode(data)


# Vertex's countTokens takes the counted parts of a generateContent body at
# its top level, not wrapped in `generateContentRequest` as the Gemini API's
# (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/projects.locations.publishers.models/countTokens;
# google-genai `_CountTokensParameters_to_vertex` sends the same four).
COUNT_FIELDS = frozenset({"contents", "systemInstruction", "tools", "generationConfig"})


def count_request(hr: HttpRequest, req: ChatRequest, base_url: str) -> HttpRequest:
    """`:countTokens` for `hr`, the generateContent request of `req`."""
    url = _gcp.model_url(base_url, "google", req.model, "countTokens")
    return recount(hr, url, keep=COUNT_FIELDS)


def parse_count(body: bytes) -> int:
    return count_from(body, "totalTokens", NAME)


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return err  # Vertex answers errors in the Gemini API's shape
