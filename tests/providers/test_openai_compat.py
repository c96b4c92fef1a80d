"""OpenAI-compatible endpoints: a registered name and base URL, no code."""

from __future__ import annotations

import json

import httpx
import pytest

import llmkit
from llmkit.errors import MissingApiKey
from llmkit.providers import openai
from llmkit.registry import DEFAULT, with_endpoint
from llmkit.types import ChatRequest, Message, Options, Text, TextDelta
from tests.replay import FIXTURES, TEST_KEY, transport

TEXT = (FIXTURES / "openai" / "text.json").read_bytes()
STREAM = (FIXTURES / "openai" / "text.sse").read_bytes()
HI = [Message(role="user", content=[Text(text="hi")])]


def test_a_keyless_local_server_works_end_to_end() -> None:
    reg = with_endpoint(DEFAULT, "ollama", base_url="http://localhost:11434/v1/")
    seen: list[httpx.Request] = []
    with httpx.Client(transport=transport(TEXT, seen=seen)) as client:
        r = llmkit.chat_sync(
            "ollama:llama3.2", "hi", registry=reg, http_client=client, max_tokens=64
        )
    assert r.text == "The capital of France is Paris." and r.provider == "ollama"
    (sent,) = seen
    assert str(sent.url) == "http://localhost:11434/v1/chat/completions"
    assert "authorization" not in sent.headers  # no key env var: no auth header at all
    # a compatible server gets `max_tokens`, the key they all know
    assert json.loads(sent.content) == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 64,
    }


def test_a_keyed_gateway_sends_its_own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", TEST_KEY)
    reg = with_endpoint(
        DEFAULT, "groq", base_url="https://api.groq.com/openai/v1", key_env="GROQ_API_KEY"
    )
    seen: list[httpx.Request] = []
    with httpx.Client(transport=transport(STREAM, seen=seen)) as client:
        events = list(
            llmkit.stream_sync(
                "groq:llama-3.3-70b-versatile", "hi", registry=reg, http_client=client
            )
        )
    assert seen[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert str(seen[0].url) == "https://api.groq.com/openai/v1/chat/completions"
    assert any(isinstance(e, TextDelta) for e in events)
    final = events[-1]
    assert isinstance(final, llmkit.Done) and final.response.provider == "groq"
    with httpx.Client(transport=transport(TEXT, seen=seen)) as client:
        r = llmkit.chat_sync("groq:llama-3.3-70b-versatile", "hi", registry=reg, http_client=client)
    assert r.provider == "groq" and seen[1].headers["authorization"] == f"Bearer {TEST_KEY}"


def test_a_keyed_endpoint_without_its_key_fails_before_io(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    reg = with_endpoint(
        DEFAULT, "deepseek", base_url="https://api.deepseek.com/v1", key_env="DEEPSEEK_API_KEY"
    )
    with pytest.raises(MissingApiKey, match="DEEPSEEK_API_KEY"):
        llmkit.chat_sync("deepseek:deepseek-chat", "hi", registry=reg)


def test_compatible_errors_are_reported_under_the_endpoint_name() -> None:
    reg = with_endpoint(DEFAULT, "vllm", base_url="http://gpu-box:8000/v1")
    body = b'{"object":"error","message":"model foo not loaded","type":"NotFoundError","code":404}'
    with httpx.Client(transport=transport(body, status=404)) as client:
        with pytest.raises(llmkit.NotFound) as info:
            llmkit.chat_sync("vllm:foo", "hi", registry=reg, http_client=client, max_retries=0)
    assert info.value.provider == "vllm" and info.value.status == 404


def test_live_listing_of_a_compatible_endpoint() -> None:
    reg = with_endpoint(DEFAULT, "lmstudio", base_url="http://127.0.0.1:1234/v1")
    listing = b'{"object":"list","data":[{"id":"qwen3-8b","object":"model","owned_by":"me"}]}'
    only = llmkit.Registry(endpoints={"lmstudio": reg.endpoints["lmstudio"]}, prefixes={})
    with httpx.Client(transport=transport(listing)) as client:
        models = llmkit.list_models_sync(live=True, registry=only, http_client=client)
    assert [(m.id, m.provider, m.available) for m in models] == [("qwen3-8b", "lmstudio", True)]


@pytest.mark.parametrize(
    ("base_url", "model", "key"),
    [
        ("https://api.openai.com/v1", "gpt-4o", "max_completion_tokens"),
        ("http://localhost:11434/v1", "llama3.2", "max_tokens"),
        ("https://openrouter.ai/api/v1", "meta-llama/llama-3.3-70b", "max_tokens"),
        # an OpenAI reasoning model behind a gateway still needs the new key
        ("https://gateway.internal/v1", "o4-mini", "max_completion_tokens"),
    ],
)
def test_max_tokens_key_per_host_and_model(base_url: str, model: str, key: str) -> None:
    req = ChatRequest(model=model, messages=HI, options=Options(max_tokens=10))
    hr = openai.build_request(req, base_url)
    assert hr.body is not None and json.loads(hr.body)[key] == 10


def test_openai_only_checks_are_not_applied_to_other_hosts() -> None:
    # "o3-like" ids on another server are that server's business
    req = ChatRequest(model="o3-distill", messages=HI, options=Options(temperature=0.6))
    hr = openai.build_request(req, "http://localhost:8000/v1")
    assert hr.body is not None and json.loads(hr.body)["temperature"] == 0.6


def test_reasoning_content_from_compatible_servers_is_thinking() -> None:
    body = (
        b'{"id":"r1","model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant",'
        b'"content":"4","reasoning_content":"2+2 is 4."},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":9,"completion_tokens":12,'
        b'"completion_tokens_details":{"reasoning_tokens":8}}}'
    )
    r = openai.parse_response(body)
    assert (r.thinking, r.text) == ("2+2 is 4.", "4")
    assert r.usage.output_tokens == 12  # OpenAI semantics: reasoning is inside completion
