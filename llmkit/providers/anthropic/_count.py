"""Token counting: `POST /v1/messages/count_tokens` takes the Messages body
without the generation settings
(https://docs.anthropic.com/en/api/messages-count-tokens)."""

from __future__ import annotations

from msgspec.structs import replace

from llmkit.protocols import HttpRequest
from llmkit.providers._count import count_from, recount
from llmkit.providers.anthropic._request import build_request
from llmkit.providers.anthropic._wire import NAME
from llmkit.types import ChatRequest

# the body fields the endpoint takes (max_tokens, sampling and stop are not counted)
COUNT_FIELDS = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "output_config",
     "cache_control"}
)  # fmt: skip


def build_count_tokens(req: ChatRequest, base_url: str) -> HttpRequest:
    hr = build_request(replace(req, stream=False), base_url)
    return recount(hr, f"{base_url.rstrip('/')}/v1/messages/count_tokens", keep=COUNT_FIELDS)


def parse_count_tokens(body: bytes) -> int:
    return count_from(body, "input_tokens", NAME)
