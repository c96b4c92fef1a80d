"""The Chat Completions model catalog, and `GET /models` (one page on OpenAI,
xAI and the compatible servers)."""

from __future__ import annotations

from llmkit.protocols import HttpRequest
from llmkit.providers._common import decode
from llmkit.providers.openai import _wire as w
from llmkit.types import ModelInfo

NAME = "openai"

_TEXT = ["text", "images", "tools", "json_schema", "streaming"]
_REASONING = [*_TEXT, "reasoning"]


def _model(id: str, context: int, out: int, caps: list[str], name: str) -> ModelInfo:
    return ModelInfo(
        id=id, provider=NAME, name=name, context_window=context, max_output=out, capabilities=caps
    )


# Late-2026 catalog (https://platform.openai.com/docs/models). GPT-6 models are documented for the
# Responses API first; Chat Completions serves them for text.
MODELS: tuple[ModelInfo, ...] = (
    _model("gpt-6-astra", 1_050_000, 128_000, _REASONING, "GPT-6 Astra"),
    _model("gpt-6.1-sol", 1_050_000, 128_000, _REASONING, "GPT-6.1 Sol"),
    _model("gpt-6.1-terra", 922_000, 128_000, _REASONING, "GPT-6.1 Terra"),
    _model("gpt-6-luna", 1_050_000, 128_000, _REASONING, "GPT-6 Luna"),
    _model("gpt-5.6-sol", 1_050_000, 128_000, _REASONING, "GPT-5.6 Sol"),
    _model("gpt-5.6-terra", 1_050_000, 128_000, _REASONING, "GPT-5.6 Terra"),
    _model("gpt-5.6-luna", 1_050_000, 128_000, _REASONING, "GPT-5.6 Luna"),
    _model("gpt-5.5", 1_050_000, 128_000, _REASONING, "GPT-5.5"),
    _model("gpt-5", 400_000, 128_000, _REASONING, "GPT-5"),
    _model("gpt-5-mini", 400_000, 128_000, _REASONING, "GPT-5 mini"),
    _model("o4-mini", 200_000, 100_000, _REASONING, "o4-mini"),
    _model("o3", 200_000, 100_000, _REASONING, "o3"),
    _model("gpt-4.1", 1_047_576, 32_768, _TEXT, "GPT-4.1"),
    _model("gpt-4o", 128_000, 16_384, _TEXT, "GPT-4o"),
    _model("gpt-4o-mini", 128_000, 16_384, _TEXT, "GPT-4o mini"),
)


def build_list_models(base_url: str) -> HttpRequest:
    # `GET /models` is one page on OpenAI, xAI and the compatible servers.
    return HttpRequest(
        method="GET", url=f"{base_url}/models", headers={"accept": "application/json"}
    )


def parse_list_models(body: bytes, d: w.WireDialect) -> tuple[list[ModelInfo], str | None]:
    listing: w.ModelList = decode(w.model_list, body, d.provider)
    return [ModelInfo(id=m.id, provider=d.provider, available=True) for m in listing.data], None
