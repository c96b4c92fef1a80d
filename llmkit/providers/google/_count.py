"""Token counting: `POST /v1beta/models/{m}:countTokens` with the whole
request as `generateContentRequest`, so system instruction, tools and
generation config are counted as the model will see them
(https://ai.google.dev/api/tokens#method:-models.counttokens)."""

from __future__ import annotations

from urllib.parse import quote

from llmkit.protocols import HttpRequest
from llmkit.providers._count import count_from, recount

NAME = "google"


def build_count_tokens_from(hr: HttpRequest, model: str, base_url: str) -> HttpRequest:
    """The count request for `hr`, the generateContent request built for `model`."""
    model = model.removeprefix("models/")
    url = f"{base_url.rstrip('/')}/v1beta/models/{quote(model, safe='')}:countTokens"
    return recount(hr, url, add={"model": f"models/{model}"}, wrap="generateContentRequest")


def parse_count_tokens(body: bytes) -> int:
    return count_from(body, "totalTokens", NAME)
