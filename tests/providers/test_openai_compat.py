"""OpenAI-compatible endpoints: a registered name and base URL, no code."""

from __future__ import annotations

import json

import httpx
import msgspec
import pytest

import llmkit
from llmkit.errors import MissingApiKey, Unsupported
from llmkit.providers import openai
from llmkit.registry import DEFAULT, with_endpoint
from llmkit.types import ChatRequest, Message, Options, Text, TextDelta
from tests.replay import FIXTURES, ROOT, TEST_KEY, transport

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
    ("dialect", "model", "key"),
    [
        ("openai", "gpt-4o", "max_completion_tokens"),
        ("", "gpt-4o", "max_completion_tokens"),  # the wire's own vendor: OpenAI
        ("compatible", "llama3.2", "max_tokens"),
        ("compatible", "meta-llama/llama-3.3-70b", "max_tokens"),
        # an OpenAI reasoning model behind a gateway still needs the new key
        ("compatible", "o4-mini", "max_completion_tokens"),
    ],
)
def test_max_tokens_key_per_dialect_and_model(dialect: str, model: str, key: str) -> None:
    req = ChatRequest(model=model, messages=HI, options=Options(max_tokens=10), dialect=dialect)
    # the base URL plays no part: the endpoint's dialect decides
    for base_url in ("https://api.openai.com/v1", "http://localhost:11434/v1"):
        hr = openai.build_request(req, base_url)
        assert hr.body is not None and json.loads(hr.body)[key] == 10


def test_openai_only_checks_are_not_applied_to_compatible_servers() -> None:
    # "o3-like" ids on another server are that server's business
    req = ChatRequest(model="o3-distill", messages=HI, options=Options(temperature=0.6))
    compatible = msgspec.structs.replace(req, dialect="compatible")
    hr = openai.build_request(compatible, "https://api.openai.com/v1")
    assert hr.body is not None and json.loads(hr.body)["temperature"] == 0.6
    with pytest.raises(Unsupported, match="temperature"):  # OpenAI's rules, on any host
        openai.build_request(req, "http://localhost:8000/v1")


def test_an_unknown_dialect_is_unsupported_before_io() -> None:
    req = ChatRequest(model="gpt-4o", messages=HI, dialect="martian", endpoint="mine")
    with pytest.raises(Unsupported, match="martian") as info:
        openai.build_request(req, "http://localhost:8000/v1")
    assert info.value.provider == "mine"


def test_endpoints_carry_their_dialect() -> None:
    assert DEFAULT.endpoints["openai-chat"].dialect == "openai"
    new = with_endpoint(DEFAULT, "ollama", base_url="http://localhost:11434/v1")
    assert new.endpoints["ollama"].dialect == "compatible"  # new on Chat Completions
    azure = with_endpoint(DEFAULT, "azure", base_url="https://x.invalid/v1", wire="responses")
    assert azure.endpoints["azure"].dialect == ""  # another wire: its own vendor
    moved = with_endpoint(DEFAULT, "openai-chat", base_url="https://proxy.corp/v1")
    assert moved.endpoints["openai-chat"].dialect == "openai"  # a proxy is still OpenAI
    told = with_endpoint(DEFAULT, "openai-chat", base_url="http://x:1/v1", dialect="compatible")
    assert told.endpoints["openai-chat"].dialect == "compatible"
    # a vendor's endpoint on another wire is still that vendor; a dialect-less one is not
    chat = with_endpoint(DEFAULT, "openai", base_url="https://api.openai.com/v1", wire="openai")
    assert chat.endpoints["openai"].dialect == "openai"
    grok = with_endpoint(DEFAULT, "xai", base_url="https://api.x.ai/v1", wire="openai")
    assert grok.endpoints["xai"].dialect == "compatible"


@pytest.mark.parametrize(
    ("name", "dialect", "key"),
    [
        ("ollama", None, "max_tokens"),
        ("ollama", "openai", "max_completion_tokens"),  # a proxy in front of OpenAI
        ("openai-chat", None, "max_completion_tokens"),
    ],
)
def test_the_endpoint_dialect_reaches_the_wire(name: str, dialect: str | None, key: str) -> None:
    reg = with_endpoint(DEFAULT, name, base_url="http://localhost:11434/v1", dialect=dialect)
    seen: list[httpx.Request] = []
    with httpx.Client(transport=transport(TEXT, seen=seen)) as client:
        llmkit.chat_sync(
            f"{name}:gpt-4o", "hi", registry=reg, http_client=client, max_tokens=9, api_key="k"
        )
    assert json.loads(seen[0].content)[key] == 9


def test_no_provider_reads_a_hostname() -> None:
    for path in (ROOT / "llmkit" / "providers").rglob("*.py"):
        text = path.read_text()
        assert "urlsplit" not in text and "urlparse" not in text and ".hostname" not in text, path


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
