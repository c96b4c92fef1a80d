"""What an answer cost, from pydantic's genai-prices database.

genai-prices (the `prices` extra: `pip install 'llmkit[prices]'`) ships its
price data, so a price is computed offline; it is imported on the first
`Response.cost`, never by `import llmkit`. A model the database does not
know, an endpoint it does not price, or a missing extra gives None: never a
guess.

The counts mean the same on both sides, which is where other libraries
double-count: llmkit's `Usage.input_tokens` includes cache reads and writes
(Anthropic's own `input_tokens` does not; llmkit adds them) and
`output_tokens` includes reasoning (Gemini's `candidatesTokenCount` does not;
llmkit adds `thoughtsTokenCount`), which is exactly genai-prices' meaning of
`input_tokens` and `output_tokens`, with cache reads/writes and reasoning as
parts of them (its units' `dimensions`). So the mapping is one to one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmkit.types import Cost, Response, Usage

if TYPE_CHECKING:
    from genai_prices.types import ModelPrice

log = logging.getLogger("llmkit")

PROVIDER_IDS: dict[str, str] = {
    "anthropic": "anthropic",
    "openai": "openai",
    "openai-chat": "openai",
    "xai": "x-ai",
    "xai-chat": "x-ai",
    "google": "google",
    # Gemini on Vertex AI: genai-prices' Google rows are Vertex's too (its
    # `google` provider matches "vertex"); Gemini's price does not depend on
    # the Vertex location.
    "vertex": "google",
}
"""llmkit endpoint → genai-prices provider id. An endpoint not named here
(a compatible server of your own) is priced only when you name its provider:
`cost_of(resp, provider="groq")`.

Claude through Bedrock and Vertex AI is not named: its price depends on
where the call ran, which the answer does not say. Bedrock bills a
cross-region `global.` profile 10% below an in-region or geographic one
(genai-prices' `aws` rows `global.…` and `regional.…`), Vertex a regional
endpoint 10% above the global one; both answers report only the Anthropic
model name. Name the provider yourself when you know which applies:
`cost_of(resp, provider="aws")` prices Bedrock's regional rate."""

_MTOK = 1_000_000
_warned = False


def _missing_extra() -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning("llmkit: costs need genai-prices: pip install 'llmkit[prices]'")


def cost_of(
    resp: Response, *, provider: str | None = None, at: datetime | None = None
) -> Cost | None:
    """`resp`'s price in USD (at `at`, default now), or None when unknown."""
    provider_id = provider or PROVIDER_IDS.get(resp.provider)
    if provider_id is None or not resp.model:
        return None
    try:
        import genai_prices
    except ImportError:
        _missing_extra()
        return None
    u = resp.usage
    try:
        # Gemini's own spelling of an id, `models/gemini-…`, is not the database's
        model = resp.model.removeprefix("models/")
        calc = genai_prices.calc_price(
            _usage(u), model, provider_id=provider_id, genai_request_timestamp=at
        )
    # unknown model or provider; inconsistent counts; a count this release can't price
    except (LookupError, ValueError, TypeError):
        return None
    cost = split(calc.model_price, u)
    # the split must add up to the database's own total, or it is not the price
    if cost.total != calc.total_price:
        log.warning(
            "llmkit: the price split for %s disagrees with genai-prices (%s != %s)",
            resp.model, cost.total, calc.total_price,
        )  # fmt: skip
        return None
    return cost


def _usage(u: Usage) -> Any:
    from genai_prices import Usage as PriceUsage

    # the 1h count only when there is one: releases before genai-prices'
    # TTL units take no such field (a TypeError there is an unknown price)
    hour = {"cache_write_1h_tokens": u.cache_write_1h_tokens} if u.cache_write_1h_tokens else {}
    return PriceUsage(
        input_tokens=u.input_tokens,
        cache_read_tokens=u.cache_read_tokens,
        cache_write_tokens=u.cache_write_tokens,
        output_tokens=u.output_tokens,
        output_reasoning_tokens=u.reasoning_tokens,
        **hour,
    )


def split(prices: ModelPrice, u: Usage) -> Cost:
    """The price of each part of `u`. A part the model has no price of its
    own for (reasoning, usually) costs what its whole does (output); tiers
    are chosen by the whole input, as the vendors bill."""
    from genai_prices.types import calc_unit_price

    def at(price: Any, count: int) -> Decimal:
        return calc_unit_price(price, count, u.input_tokens, _MTOK)

    fresh = u.input_tokens - u.cache_read_tokens - u.cache_write_tokens
    read = prices.cache_read_mtok if prices.cache_read_mtok is not None else prices.input_mtok
    write = prices.cache_write_mtok if prices.cache_write_mtok is not None else prices.input_mtok
    hour_price = getattr(prices, "cache_write_1h_mtok", None)  # absent before TTL units
    hour = hour_price if hour_price is not None else write
    thinking = prices.output_reasoning_mtok
    hour_tokens = u.cache_write_1h_tokens
    return Cost(
        input=at(prices.input_mtok, fresh),
        cache_read=at(read, u.cache_read_tokens),
        cache_write=at(write, u.cache_write_tokens - hour_tokens) + at(hour, hour_tokens),
        output=at(prices.output_mtok, u.output_tokens - u.reasoning_tokens),
        reasoning=at(thinking if thinking is not None else prices.output_mtok, u.reasoning_tokens),
    )
