"""Gemini models: llmkit's catalog and the live, paged `GET /v1beta/models`."""

from __future__ import annotations

from urllib.parse import urlencode

from llmkit.protocols import HttpRequest
from llmkit.providers._common import decode
from llmkit.providers.google import _wire as w
from llmkit.types import ModelInfo

NAME = "google"
# The vocabulary the other providers' catalogs use, plus PDF input.
_CAPS = ["text", "images", "documents", "tools", "json_schema", "streaming", "reasoning"]


def _model(id: str, name: str, context: int, output: int) -> ModelInfo:
    return ModelInfo(
        id=id,
        provider=NAME,
        name=name,
        context_window=context,
        max_output=output,
        capabilities=_CAPS,
    )


# Late-2026 catalog (https://ai.google.dev/gemini-api/docs/models). Gemini 4
# Argon's 1,048,576 tokens are shared by input and output, at most 65,536 out
# per request.
MODELS: tuple[ModelInfo, ...] = (
    _model("gemini-4-argon", "Gemini 4 Argon", 1_048_576, 65_536),
    _model("gemini-3.8-flash", "Gemini 3.8 Flash", 1_048_576, 65_536),
    _model("gemini-3.7-flash", "Gemini 3.7 Flash", 1_048_576, 65_536),
    _model("gemini-3.5-flash", "Gemini 3.5 Flash", 1_048_576, 65_536),
    _model("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", 1_048_576, 65_536),
    _model("gemini-2.5-pro", "Gemini 2.5 Pro", 1_048_576, 65_536),
    _model("gemini-2.5-flash", "Gemini 2.5 Flash", 1_048_576, 65_536),
)
_PAGE_SIZE = 1000  # the API's maximum


def build_list_models(base_url: str, page: str | None) -> HttpRequest:
    query = {"pageSize": _PAGE_SIZE} | ({"pageToken": page} if page else {})
    return HttpRequest(method="GET", url=f"{base_url.rstrip('/')}/v1beta/models?{urlencode(query)}")


def parse_list_models(body: bytes) -> tuple[list[ModelInfo], str | None]:
    """One page: the chat models on it (those serving `generateContent`;
    embedding, Imagen and Veo models are listed too) and the next page token."""
    page = decode(w.MODELS, body, NAME)
    models = [
        ModelInfo(
            id=m.name.removeprefix("models/"),
            provider=NAME,
            name=m.display_name,
            context_window=m.input_token_limit,
            max_output=m.output_token_limit,
            capabilities=["text", "reasoning"] if m.thinking else ["text"],
            available=True,
        )
        for m in page.models
        if "generateContent" in m.supported_generation_methods
    ]
    return models, page.next_page_token or None
