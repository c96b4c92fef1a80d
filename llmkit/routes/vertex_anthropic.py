"""Claude on Vertex AI
(https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude):
the Messages body without `model` (it is in the URL) and with
`anthropic_version: "vertex-2023-10-16"`, sent to
`{host}/v1/projects/{project}/locations/{location}/publishers/anthropic/
models/{model}:rawPredict` (`:streamRawPredict` when streaming; `stream`
stays in the body) with an OAuth token from Application Default
Credentials. Answers are first-party bytes; the Anthropic wire reads them.

Errors from Vertex's own front end (quota, permissions, an unknown model)
come in Google's shape, `{"error": {"code", "message", "status"}}`; those are
read by the Gemini wire's error parser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType

from llmkit.errors import ApiError
from llmkit.protocols import HttpRequest
from llmkit.providers._count import count_from
from llmkit.providers.anthropic._count import COUNT_FIELDS
from llmkit.routes import _gcp
from llmkit.types import ChatRequest

NAME = "vertex-anthropic"
VERSION = "vertex-2023-10-16"

# The Vertex ids llmkit lists, each beside the first-party catalog id whose
# facts it shares: the "Agent Platform API model ID" table of
# https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai
# (the dated ids also in Google's
# https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude),
# for the models llmkit's first-party catalog has. Other ids work, unlisted.
CATALOG: Mapping[str, str] = MappingProxyType(
    {
        "claude-opus-4-8": "claude-opus-4-8",
        "claude-opus-4-6": "claude-opus-4-6",
        "claude-sonnet-4-5@20250929": "claude-sonnet-4-5",
        "claude-haiku-4-5@20251001": "claude-haiku-4-5",
        "claude-sonnet-4@20250514": "claude-sonnet-4-20250514",
    }
)


def base_url(env: Mapping[str, str], keyed: bool) -> str:
    return _gcp.project_url(env, NAME)  # a static key here is an access token: same URL


def ready(env: Mapping[str, str]) -> bool:
    return bool(_gcp.first(env, _gcp.PROJECT_ENV)) and _gcp.adc_found(env)


def wire_model(model: str) -> str:
    """The first-party name of a Vertex id, so the request is built with that
    model's facts: a version after `@` is the first party's date suffix
    (`claude-sonnet-4-5@20250929` is `claude-sonnet-4-5-20250929`)."""
    return model.replace("@", "-", 1)


def rewrite(hr: HttpRequest, req: ChatRequest, base_url: str) -> HttpRequest:
    body = json.loads(hr.body or b"{}")
    body.pop("model", None)
    body["anthropic_version"] = VERSION
    # The version is the body's here; betas stay in the `anthropic-beta` header.
    headers = {k: v for k, v in hr.headers.items() if k.lower() != "anthropic-version"}
    verb = "streamRawPredict" if req.stream else "rawPredict"
    url = _gcp.model_url(base_url, "anthropic", req.model, verb)
    return HttpRequest(method=hr.method, url=url, headers=headers, body=json.dumps(body).encode())


# Token counting (https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/count-tokens;
# anthropic-sdk-python `lib/vertex/_client.py`): one URL for every model, the
# model in the body, the Messages fields the first party's endpoint counts.
_COUNT_FIELDS = COUNT_FIELDS - {"model"}  # the Vertex id goes in instead


def count_request(hr: HttpRequest, req: ChatRequest, base_url: str) -> HttpRequest:
    """The count request for `hr`, the Messages request of `req`."""
    sent = json.loads(hr.body or b"{}")
    body = {"anthropic_version": VERSION, "model": req.model}
    body.update({k: v for k, v in sent.items() if k in _COUNT_FIELDS})
    drop = {"anthropic-version", "accept"}
    headers = {k: v for k, v in hr.headers.items() if k.lower() not in drop}
    url = f"{base_url}/publishers/anthropic/models/count-tokens:rawPredict"
    return HttpRequest(method="POST", url=url, headers=headers, body=json.dumps(body).encode())


def parse_count(body: bytes) -> int:
    return count_from(body, "input_tokens", NAME)


def refine_error(err: ApiError, status: int, headers: Mapping[str, str], body: bytes) -> ApiError:
    try:
        shaped = json.loads(body)
    except ValueError:
        return err
    inner = shaped[0] if isinstance(shaped, list) and shaped else shaped
    if not (isinstance(inner, dict) and isinstance(inner.get("error"), dict)):
        return err
    if "code" not in inner["error"] and "status" not in inner["error"]:
        return err  # Anthropic's own error shape: the wire read it
    from llmkit.providers import google

    return google.parse_error(status, headers, body)
