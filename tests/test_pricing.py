"""Costs: genai-prices' database, fed counts in its own meaning, checked
against prices computed by hand from the vendors' published per-million rates."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace

from llmkit import pricing
from llmkit.providers import anthropic, google, responses, xai
from llmkit.types import ChatRequest, Cost, Message, Response, RunResult, Text, Usage
from tests.replay import CORPUS, corpus_rows, done, drive_stream

FIX = Path(__file__).resolve().parent.parent / "fixtures"
M = Decimal(1_000_000)


def answer(model: str, provider: str, **usage: int) -> Response:
    return Response(
        message=Message(role="assistant", content=[Text(text="ok")]),
        model=model,
        provider=provider,
        usage=Usage(**usage),
    )


def per_m(tokens: int, rate: str) -> Decimal:
    return tokens * Decimal(rate) / M


# Published rates, USD per million tokens (anthropic.com/pricing, openai.com/api/pricing,
# ai.google.dev/gemini-api/docs/pricing, docs.x.ai/docs/models).
def test_claude_with_cache_reads_and_writes() -> None:
    r = answer("claude-sonnet-4-5", "anthropic", input_tokens=12_000, cache_read_tokens=8_000,
               cache_write_tokens=3_000, output_tokens=700)  # fmt: skip
    assert r.cost == Cost(
        input=per_m(1_000, "3"),
        cache_read=per_m(8_000, "0.30"),
        cache_write=per_m(3_000, "3.75"),
        output=per_m(700, "15"),
    )


def test_claude_one_hour_cache_writes_cost_twice_the_input_price() -> None:
    # 5-minute writes bill 1.25x input ($3.75), 1-hour writes 2x ($6)
    r = answer("claude-sonnet-4-5", "anthropic", input_tokens=12_000, cache_read_tokens=8_000,
               cache_write_tokens=3_000, cache_write_1h_tokens=2_000,
               output_tokens=700)  # fmt: skip
    assert r.cost == Cost(
        input=per_m(1_000, "3"),
        cache_read=per_m(8_000, "0.30"),
        cache_write=per_m(1_000, "3.75") + per_m(2_000, "6"),
        output=per_m(700, "15"),
    )


# Anthropic's usage as it sends it: the writes split by TTL in `cache_creation`
_CLAUDE_1H = (
    b'{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",'
    b'"content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","stop_sequence":null,'
    b'"usage":{"input_tokens":10,"cache_creation_input_tokens":3000,"cache_read_input_tokens":0,'
    b'"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000},'
    b'"output_tokens":5,"service_tier":"standard"}}'
)


def test_claude_one_hour_writes_through_the_vendors_parse() -> None:
    claude = anthropic.parse_response(_CLAUDE_1H)
    assert claude.usage.cache_write_tokens == 3_000 and claude.usage.cache_write_1h_tokens == 2_000
    claude = replace(claude, provider="anthropic")  # a dated id, priced as its family
    assert claude.cost == Cost(
        input=per_m(10, "3"),
        cache_write=per_m(1_000, "3.75") + per_m(2_000, "6"),
        output=per_m(5, "15"),
    )


def test_gemini_ids_in_their_models_spelling_are_priced() -> None:
    r = answer("models/gemini-2.5-flash", "google", input_tokens=2_000, output_tokens=100)
    assert r.cost == Cost(input=per_m(2_000, "0.30"), output=per_m(100, "2.50"))


def test_claude_long_context_tier_prices_every_token() -> None:
    # over 200k input tokens, Sonnet 4.5 bills all of them at $6 / $22.50
    r = answer("claude-sonnet-4-5", "anthropic", input_tokens=250_000, output_tokens=1_000)
    assert r.cost == Cost(input=per_m(250_000, "6"), output=per_m(1_000, "22.50"))


def test_gpt_with_cached_input_and_reasoning() -> None:
    r = answer("gpt-5", "openai", input_tokens=5_000, cache_read_tokens=4_096,
               output_tokens=1_200, reasoning_tokens=1_000)  # fmt: skip
    cost = r.cost
    assert cost == Cost(
        input=per_m(904, "1.25"),
        cache_read=per_m(4_096, "0.125"),
        output=per_m(200, "10"),
        reasoning=per_m(1_000, "10"),  # reasoning is billed as output
    )
    assert cost is not None and cost.total == per_m(904, "1.25") + per_m(4_096, "0.125") + per_m(
        1_200, "10"
    )


def test_chat_completions_endpoint_is_priced_as_openai() -> None:
    assert answer("gpt-4.1", "openai-chat", input_tokens=1_000, output_tokens=10).cost == Cost(
        input=per_m(1_000, "2"), output=per_m(10, "8")
    )


def test_gemini_on_vertex_is_priced_as_google() -> None:
    r = answer("gemini-2.5-flash", "vertex", input_tokens=2_000, output_tokens=100)
    assert r.cost == Cost(input=per_m(2_000, "0.30"), output=per_m(100, "2.50"))


def test_claude_through_a_cloud_route_is_not_priced_by_guess() -> None:
    # the answers name the Anthropic model only; the price depends on the
    # Bedrock profile or the Vertex location, which they do not carry
    for route in ("bedrock", "vertex-anthropic", "bedrock-mantle", "anthropic-aws"):
        assert answer("claude-haiku-4-5-20251001", route, input_tokens=1_000).cost is None
    r = answer("claude-haiku-4-5-20251001", "bedrock", input_tokens=1_000, output_tokens=10)
    assert pricing.cost_of(r, provider="aws") == Cost(  # Bedrock's in-region rate
        input=per_m(1_000, "1.1"), output=per_m(10, "5.5")
    )


def test_gemini_thinking_is_billed_as_output() -> None:
    r = answer("gemini-2.5-flash", "google", input_tokens=2_000, output_tokens=600,
               reasoning_tokens=500)  # fmt: skip
    assert r.cost == Cost(
        input=per_m(2_000, "0.30"), output=per_m(100, "2.50"), reasoning=per_m(500, "2.50")
    )


def test_grok_with_cache_and_reasoning() -> None:
    r = answer("grok-4", "xai", input_tokens=3_000, cache_read_tokens=1_000, output_tokens=400,
               reasoning_tokens=300)  # fmt: skip
    assert r.cost == Cost(
        input=per_m(2_000, "3"),
        cache_read=per_m(1_000, "0.75"),
        output=per_m(100, "15"),
        reasoning=per_m(300, "15"),
    )


def test_vendor_counts_are_not_double_counted() -> None:
    """Through each vendor's own parse: Anthropic reports input without the
    cache (14 + 2048 read), Gemini output without thoughts (15 + 96)."""
    claude = anthropic.parse_response((FIX / "anthropic/text.json").read_bytes())
    claude = replace(claude, provider="anthropic", model="claude-sonnet-4-5")
    assert claude.cost == Cost(
        input=per_m(14, "3"), cache_read=per_m(2_048, "0.30"), output=per_m(31, "15")
    )
    gemini = google.parse_response((FIX / "google/thinking.json").read_bytes())
    gemini = replace(gemini, provider="google", model="gemini-2.5-flash")
    assert gemini.usage.output_tokens == 111 and gemini.usage.reasoning_tokens == 96
    assert gemini.cost == Cost(
        input=per_m(16, "0.30"),
        cache_read=per_m(1_024, "0.03"),
        output=per_m(15, "2.50"),
        reasoning=per_m(96, "2.50"),
    )
    gpt = responses.parse_response((FIX / "openai-responses/text.json").read_bytes())
    gpt = replace(gpt, provider="openai")  # gpt-4.1-2025-04-14, a dated id
    assert gpt.cost == Cost(input=per_m(18, "2"), output=per_m(10, "8"))


def test_unknown_prices_are_none_never_a_guess(monkeypatch: pytest.MonkeyPatch) -> None:
    assert answer("gpt-nonexistent-9", "openai", input_tokens=5).cost is None
    assert answer("llama3.2", "ollama", input_tokens=5).cost is None  # an endpoint of one's own
    assert answer("", "openai", input_tokens=5).cost is None
    assert pricing.cost_of(answer("gpt-4.1", "my-gateway", input_tokens=1_000), provider="openai")
    # counts that contradict each other are no basis for a price
    assert answer("gpt-4.1", "openai", input_tokens=5, cache_read_tokens=9).cost is None
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # the extra is not installed
    assert answer("gpt-4.1", "openai", input_tokens=1_000).cost is None


MODELS = [("claude-sonnet-4-5", "anthropic"), ("claude-opus-4-1", "anthropic"),
          ("gpt-5", "openai"), ("gpt-4.1", "openai"), ("gemini-2.5-pro", "google"),
          ("gemini-2.5-flash", "google"), ("grok-4", "xai")]  # fmt: skip


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    read, write, fresh = (draw(st.integers(0, 400_000)) for _ in range(3))
    reasoning, visible = draw(st.integers(0, 50_000)), draw(st.integers(0, 50_000))
    hour = draw(st.integers(0, write))
    return Usage(input_tokens=read + write + fresh, cache_read_tokens=read,
                 cache_write_tokens=write, output_tokens=reasoning + visible,
                 reasoning_tokens=reasoning, cache_write_1h_tokens=hour)  # fmt: skip


@given(st.sampled_from(MODELS), usages())
def test_the_split_adds_up_to_the_databases_total(model: tuple[str, str], u: Usage) -> None:
    """Fails if the counts were mapped with another meaning (input without
    the cache, output without reasoning): the parts would not add up."""
    import genai_prices

    r = replace(answer(*model), usage=u)
    cost = r.cost
    assert cost is not None
    usage = pricing._usage(u)
    total = genai_prices.calc_price(usage, model[0], provider_id=pricing.PROVIDER_IDS[model[1]])
    assert cost.total == total.total_price
    assert min(cost.input, cost.cache_read, cost.cache_write, cost.output, cost.reasoning) >= 0


def test_a_run_costs_the_sum_of_its_steps() -> None:
    a = answer("claude-sonnet-4-5", "anthropic", input_tokens=1_000, output_tokens=100)
    b = answer("gpt-4.1", "openai", input_tokens=2_000, output_tokens=50)
    run = RunResult(response=b, messages=[], steps=2, responses=[a, b])
    assert a.cost is not None and b.cost is not None
    assert run.cost == a.cost + b.cost
    unknown = answer("llama3.2", "ollama", input_tokens=5)
    assert replace(run, responses=[a, unknown]).cost is None


def test_import_llmkit_does_not_load_the_price_database() -> None:
    code = "import sys, llmkit; print('genai_prices' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_claude_one_hour_writes_survive_the_stream_fold() -> None:
    """`message_start` carries `cache_creation`; `message_delta`'s usage does
    not, and must not wipe it."""
    body = (FIX / "anthropic/text.sse").read_bytes()
    body = body.replace(
        b'"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"cache_creation":'
        b'{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}',
        b'"cache_creation_input_tokens":3000,"cache_read_input_tokens":2048,"cache_creation":'
        b'{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000}',
    ).replace(b'"cache_creation_input_tokens":0,', b'"cache_creation_input_tokens":3000,')
    req = ChatRequest(
        model="claude-sonnet-4-5", messages=[Message(role="user", content=[Text(text="hi")])]
    )
    resp = done(drive_stream(anthropic, req, body))
    assert (resp.usage.cache_write_tokens, resp.usage.cache_write_1h_tokens) == (3_000, 2_000)


def _xai_billed() -> list[tuple[str, Decimal]]:
    """Recorded xAI Chat Completions answers with the price xAI billed for
    each (`usage.cost_in_usd_ticks`, in 1e-10 USD)."""
    out = []
    for row in corpus_rows("xai"):
        body = (CORPUS / row["file"]).read_bytes()
        ticks = re.search(rb'"cost_in_usd_ticks":\s*(\d+)', body)
        if row["kind"] == "json" and ticks is not None:
            out.append((row["file"], Decimal(ticks.group(1).decode()) / 10**10))
    return out


@pytest.mark.skipif(not _xai_billed(), reason="the shared corpus is absent")
@pytest.mark.parametrize(("name", "billed"), _xai_billed())
def test_grok_costs_what_xai_billed(name: str, billed: Decimal) -> None:
    """Ground truth from the vendor: reasoning outside `completion_tokens`,
    cached tokens inside `prompt_tokens`, priced to the tick."""
    r = xai.parse_response((CORPUS / name).read_bytes())
    if r.model == "grok-3-mini-high":  # an alias the price database does not list
        assert r.cost is None
        return
    cost = r.cost
    assert cost is not None and cost.total == billed


def test_a_release_without_ttl_prices_leaves_1h_writes_unpriced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """genai-prices before its TTL units takes no `cache_write_1h_tokens`: a
    1h write is then an unknown price, and an answer without one is priced."""
    import dataclasses

    import genai_prices

    @dataclasses.dataclass
    class OldUsage:  # the fields of the releases before TTL units
        input_tokens: int | None = None
        cache_write_tokens: int | None = None
        cache_read_tokens: int | None = None
        output_tokens: int | None = None
        output_reasoning_tokens: int | None = None

    monkeypatch.setattr(genai_prices, "Usage", OldUsage)
    hour = answer("claude-sonnet-4-5", "anthropic", input_tokens=3_000, cache_write_tokens=3_000,
                  cache_write_1h_tokens=2_000)  # fmt: skip
    assert hour.cost is None
    plain = answer("claude-sonnet-4-5", "anthropic", input_tokens=1_000, output_tokens=10)
    assert plain.cost == Cost(input=per_m(1_000, "3"), output=per_m(10, "15"))
