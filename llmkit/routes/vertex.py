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

import re
from collections.abc import Mapping
from urllib.parse import quote

import msgspec
from msgspec.structs import replace

from llmkit.errors import ApiError
from llmkit.protocols import HttpRequest
from llmkit.providers._common import decode
from llmkit.providers._count import count_from, recount
from llmkit.routes import _gcp
from llmkit.types import ChatRequest, ModelInfo

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


# ---- live listing: Model Garden's publisher models -------------------------------
# `GET {host}/v1beta1/publishers/google/models`
# (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1beta1/publishers.models/list):
# `publisherModels` ({"name": "publishers/google/models/{id}", "launchStage"}),
# paged by `nextPageToken`; the project is billed through `x-goog-user-project`
# (a user's ADC token has no project of its own). The catalog adds its facts
# to the ids it knows (llmkit.api merges the two).

_PAGE_SIZE = 100
_PROJECT = re.compile(r"/projects/([^/]+)/")


class _PublisherModel(msgspec.Struct, frozen=True):
    name: str
    launchStage: str = ""  # the vendor's name


class _PublisherModels(msgspec.Struct, frozen=True):
    publisherModels: list[_PublisherModel] = []
    nextPageToken: str = ""


_models_page = msgspec.json.Decoder(_PublisherModels)


def list_request(base_url: str, page: str | None) -> HttpRequest:
    host = base_url.partition("/v1/")[0].removesuffix("/v1")
    query = f"?pageSize={_PAGE_SIZE}" + (f"&pageToken={quote(page, safe='')}" if page else "")
    found = _PROJECT.search(base_url + "/")
    headers = {} if found is None else {"x-goog-user-project": found.group(1)}
    url = f"{host}/v1beta1/publishers/google/models{query}"
    return HttpRequest(method="GET", url=url, headers=headers)


def _chat_model(m: _PublisherModel) -> str | None:
    """The id of a model the Gemini wire can talk to: Gemini and Gemma ids
    (the registry's own prefixes), not embedding models, Live API models
    (`gemini-live-…` serve only the bidirectional Live API) nor retired ones."""
    id = m.name.rpartition("/")[2]
    usable = id.startswith(("gemini-", "gemma-")) and not id.startswith("gemini-live-")
    usable = usable and "embedding" not in id
    return id if usable and m.launchStage != "DEPRECATED" else None


def parse_list(body: bytes) -> tuple[list[ModelInfo], str | None]:
    page: _PublisherModels = decode(_models_page, body, NAME)
    ids = [i for m in page.publisherModels if (i := _chat_model(m)) is not None]
    return [ModelInfo(id=i, provider=NAME, available=True) for i in ids], page.nextPageToken or None


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    return err  # Vertex answers errors in the Gemini API's shape
