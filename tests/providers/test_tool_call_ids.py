"""Tool-call ids: every id in a built body obeys its vendor's rule, a call and
its result keep the same id, and different ids stay different (the vendors'
id patterns: `llmkit.providers._ids`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.providers import anthropic, openai, xai
from llmkit.providers._ids import ANTHROPIC, CHAT_COMPLETIONS, IdRule, fit_id, obeys
from llmkit.types import ChatRequest, Message, Raw, Text, ToolCall, ToolResult
from tests.replay import base_url_of

ANY_CHARS = st.characters(codec=None, categories=None)  # unicode, surrogates included
IDS = st.one_of(
    st.text(ANY_CHARS, max_size=60),  # "" too
    st.text(st.characters(categories=["Cs", "Lo", "Zs"]), max_size=4),  # lone surrogates
    st.text(st.sampled_from("ab:._ |-é"), max_size=6),  # ids that collide once sanitized
    st.text(st.sampled_from("a_-"), min_size=36, max_size=48),  # around OpenAI's 40
    st.sampled_from(["functions.get_forecast:0", "call_x|fc_y", "Bash:12", "toolu_01A"]),
)
RULES = [ANTHROPIC, CHAT_COMPLETIONS]


@pytest.mark.parametrize(
    ("id", "rule", "sent"),
    [
        ("toolu_01A-b", ANTHROPIC, "toolu_01A-b"),  # valid ids are not touched
        ("functions.get_forecast:0", CHAT_COMPLETIONS, "functions.get_forecast:0"),
        ("call_" + "x" * 35, CHAT_COMPLETIONS, "call_" + "x" * 35),  # exactly 40
        ("functions.get_forecast:0", ANTHROPIC, "functions_get_forecast_0_2ffe9c448157b743"),
        ("functions_get_forecast_0", ANTHROPIC, "functions_get_forecast_0"),  # no clash
        ("", ANTHROPIC, "e3b0c44298fc1c14"),
        ("call_" + "x" * 36, CHAT_COMPLETIONS, "call_xxxxxxxxxxxxxxxxxx_381b280fa63ab59c"),
    ],
)
def test_fit_id_table(id: str, rule: IdRule, sent: str) -> None:
    # Pinned: stand-ins are part of the prompt; if they changed between llmkit
    # versions, histories in flight would miss the vendor's prompt cache.
    assert fit_id(id, rule) == sent and obeys(sent, rule)


@given(IDS, st.sampled_from(RULES))
def test_every_fitted_id_obeys_its_rule_and_is_deterministic(id: str, rule: IdRule) -> None:
    got = fit_id(id, rule)
    assert obeys(got, rule) and fit_id(id, rule) == got
    assert re.fullmatch(r"[a-zA-Z0-9_-]+", got) or got == id  # stand-ins are plain ASCII
    assert fit_id(got, rule) == got  # a stand-in is itself accepted


@given(st.lists(IDS, unique=True, min_size=2, max_size=8), st.sampled_from(RULES))
def test_fit_id_is_injective_over_a_history(ids: list[str], rule: IdRule) -> None:
    assert len({fit_id(i, rule) for i in ids}) == len(ids)


# ---- in built bodies: calls and results, every vendor with an id rule ----------


def _anthropic(req: ChatRequest) -> tuple[list[str], list[str], IdRule]:
    hr = anthropic.build_request(req, base_url_of(anthropic))
    blocks = [b for m in json.loads(hr.body or b"")["messages"] for b in m["content"]]
    calls = [b["id"] for b in blocks if b["type"] == "tool_use"]
    results = [b["tool_use_id"] for b in blocks if b["type"] == "tool_result"]
    return calls, results, ANTHROPIC


def _chat(
    build: Callable[[ChatRequest], Any],
) -> Callable[..., tuple[list[str], list[str], IdRule]]:
    def run(req: ChatRequest) -> tuple[list[str], list[str], IdRule]:
        messages = json.loads(build(req).body or b"")["messages"]
        calls = [c["id"] for m in messages for c in m.get("tool_calls", [])]
        results = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
        return calls, results, CHAT_COMPLETIONS

    return run


BUILDERS = {
    "anthropic": (_anthropic, "claude-sonnet-4-5"),
    "openai": (_chat(lambda r: openai.build_request(r, base_url_of(openai))), "gpt-4.1"),
    "compatible": (_chat(lambda r: openai.build_request(r, "http://localhost:11434/v1")), "qwen3"),
    "xai": (_chat(lambda r: xai.build_request(r, base_url_of(xai))), "grok-4.20-non-reasoning"),
}
BODY_IDS = IDS.filter(lambda i: not any(0xD800 <= ord(c) <= 0xDFFF for c in i))  # JSON-encodable


@pytest.mark.parametrize("vendor", sorted(BUILDERS))
@given(data=st.data())
def test_calls_and_results_keep_their_pairing_in_the_body(vendor: str, data: Any) -> None:
    ids = data.draw(st.lists(BODY_IDS, unique=True, min_size=1, max_size=5))
    order = data.draw(st.permutations(range(len(ids))))  # results in any order
    calls = [ToolCall(id=i, name="f", arguments={"n": k}) for k, i in enumerate(ids)]
    messages = [
        Message(role="user", content=[Text(text="q")]),
        Message(role="assistant", content=list(calls)),
        Message(
            role="tool", content=[ToolResult(tool_call_id=ids[k], content=str(k)) for k in order]
        ),
        Message(role="assistant", content=[Text(text="done")]),
        Message(role="user", content=[Text(text="again")]),
    ]
    build, model = BUILDERS[vendor]
    sent_calls, sent_results, rule = build(ChatRequest(model=model, messages=messages))
    assert all(obeys(i, rule) for i in sent_calls + sent_results)
    assert len(set(sent_calls)) == len(ids)  # injective
    assert sent_results == [sent_calls[k] for k in order]  # each result names its own call


def test_exact_anthropic_body_for_a_compatible_servers_id() -> None:
    # 400 "messages.1.content.0.tool_use.id: String should match pattern
    # '^[a-zA-Z0-9_-]+$'" for ids such as functions.get_forecast:0
    bad = "functions.get_forecast:0"
    req = ChatRequest(
        model="claude-sonnet-4-5",
        messages=[
            Message(role="user", content=[Text(text="Weather?")]),
            Message(role="assistant", content=[ToolCall(id=bad, name="get_forecast")]),
            Message(role="tool", content=[ToolResult(tool_call_id=bad, content="sunny")]),
        ],
    )
    hr = anthropic.build_request(req, base_url_of(anthropic))
    stand_in = fit_id(bad, ANTHROPIC)
    assert json.loads(hr.body or b"")["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": stand_in, "name": "get_forecast", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": stand_in, "content": "sunny"}],
        },
    ]
    assert stand_in.startswith("functions_get_forecast_0_") and len(stand_in) == 41


def test_a_raw_tool_result_pairs_with_its_fitted_call() -> None:
    # A tool_result llmkit keeps whole (here: a key it does not model) is fitted too.
    bad = "functions.get_forecast:0"
    raw = Raw(provider="anthropic", data={"type": "tool_result", "tool_use_id": bad, "x": 1})
    req = ChatRequest(
        model="claude-sonnet-4-5",
        messages=[
            Message(role="user", content=[Text(text="Weather?")]),
            Message(role="assistant", content=[ToolCall(id=bad, name="get_forecast")]),
            Message(role="user", content=[raw]),
        ],
    )
    calls, results, _ = _anthropic(req)
    assert calls == results == [fit_id(bad, ANTHROPIC)]
    assert raw.data["tool_use_id"] == bad  # the caller's part is left alone
