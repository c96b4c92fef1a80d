"""Token counting: `POST /responses/input_tokens` takes the Responses body
without the generation and storage settings
(https://platform.openai.com/docs/api-reference/responses/input-tokens).
xAI has no such endpoint: its `/v1/tokenize-text` counts a plain string, not a
request with messages, tools and images, so there a count is `Unsupported`."""

from __future__ import annotations

from msgspec.structs import replace

from llmkit.errors import Unsupported
from llmkit.protocols import HttpRequest
from llmkit.providers._count import count_from, recount
from llmkit.providers.responses import _request
from llmkit.providers.responses._wire import Dialect
from llmkit.types import ChatRequest

COUNT_FIELDS = frozenset(
    {"model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
     "reasoning", "text", "truncation"}
)  # fmt: skip


def build_count(req: ChatRequest, base_url: str, d: Dialect) -> HttpRequest:
    if d.provider != "openai":
        raise Unsupported(
            f"{d.provider} has no endpoint that counts a request's tokens "
            "(xAI's /v1/tokenize-text counts plain text only)",
            provider=d.provider,
        )
    hr = _request.build(req if not req.stream else replace(req, stream=False), base_url, d)
    return recount(hr, f"{base_url}/responses/input_tokens", keep=COUNT_FIELDS)


def parse_count(body: bytes, d: Dialect) -> int:
    return count_from(body, "input_tokens", d.provider)
