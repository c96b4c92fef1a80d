"""OpenAI on Azure, v1 API: exact URLs and headers for Responses (`azure:`)
and Chat Completions (`azure-chat:`), an api-key or an Entra ID token
callable, deployment names as model ids, every corpus recording in
azure-openai/ through llmkit, a filtered answer finishing as content_filter."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import llmkit
from llmkit import registry
from llmkit.errors import MissingApiKey, MissingConfig
from llmkit.routes import azure
from tests import replay
from tests.routes import helpers as h

KEY = "azure-key-0123456789abcdef"
RESP = h.CORPUS / "azure-openai" / "fan_resp_gpt5mini_simple.json"
CHAT = h.CORPUS / "azure-openai" / "fan_chat_gpt5mini_simple.json"


@pytest.mark.parametrize(
    ("env", "url"),
    [
        (
            {"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com/"},
            "https://r.openai.azure.com/openai/v1",
        ),
        (
            {"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com/openai/v1/"},
            "https://r.openai.azure.com/openai/v1",
        ),
        ({"AZURE_OPENAI_RESOURCE": "r"}, "https://r.openai.azure.com/openai/v1"),
    ],
)
def test_base_urls(env: dict[str, str], url: str) -> None:
    assert azure.base_url(env, True) == url


def test_no_endpoint_names_the_env_vars() -> None:
    with pytest.raises(MissingConfig, match="AZURE_OPENAI_ENDPOINT"):
        azure.base_url({}, True)


def _corpus() -> None:
    if not h.CORPUS.exists():
        pytest.skip("no corpus")


def test_responses_with_an_api_key() -> None:
    _corpus()
    seen: list[httpx.Request] = []
    r = h.chat("azure:my-gpt5-mini", RESP.read_bytes(), seen=seen, api_key=KEY)
    sent = seen[0]
    assert str(sent.url) == "https://my-res.openai.azure.com/openai/v1/responses"
    assert sent.headers["api-key"] == KEY and "authorization" not in sent.headers
    assert json.loads(sent.content)["model"] == "my-gpt5-mini"
    assert r.provider == "azure" and r.text


def test_chat_completions_with_an_entra_token_callable() -> None:
    _corpus()
    seen: list[httpx.Request] = []

    def entra() -> tuple[str, int]:  # azure.identity's AccessToken is this tuple
        return "eyJ0eXAiOiJKV1Qi.entra-token-0123456789", 2**40

    r = h.chat("azure-chat:my-deployment", CHAT.read_bytes(), seen=seen, api_key=entra)
    sent = seen[0]
    assert str(sent.url) == "https://my-res.openai.azure.com/openai/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer eyJ0eXAiOiJKV1Qi.entra-token-0123456789"
    assert "api-key" not in sent.headers
    assert json.loads(sent.content)["model"] == "my-deployment"
    assert r.provider == "azure-chat" and r.text


def test_the_key_comes_from_the_env(monkeypatch: pytest.MonkeyPatch) -> None:
    _corpus()
    with pytest.raises(MissingApiKey, match="AZURE_OPENAI_API_KEY"):
        h.chat("azure:d", RESP.read_bytes(), api_key=None)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    seen: list[httpx.Request] = []
    h.chat("azure:d", RESP.read_bytes(), seen=seen, api_key=None)
    assert seen[0].headers["api-key"] == KEY
    assert "azure" in registry.available()


def test_a_filtered_chat_answer_finishes_as_content_filter() -> None:
    body = (replay.FIXTURES / "azure-openai" / "chat_content_filter.json").read_bytes()
    r = h.chat("azure-chat:d", body, api_key=KEY)
    assert r.finish.reason == "content_filter" and r.finish.raw == "content_filter"
    assert r.text == "Here is how the scene"


def test_a_filtered_responses_answer_finishes_as_content_filter() -> None:
    _corpus()
    body = json.loads(RESP.read_bytes())
    body.update(status="incomplete", incomplete_details={"reason": "content_filter"})
    r = h.chat("azure:d", json.dumps(body).encode(), api_key=KEY)
    assert r.finish.reason == "content_filter"


# ---- the corpus ----------------------------------------------------------------------


def _model(row: dict[str, str]) -> str:
    chat = "_chat_" in row["file"]
    return f"{'azure-chat' if chat else 'azure'}:{row['model']}"


CASES = h.corpus_table("azure-openai", _model)
STREAMS = [pytest.param(f, m, id=f) for f, k, m in CASES if k == "stream"]
BODIES = [pytest.param(f, m, id=f) for f, k, m in CASES if k == "json"]


def test_every_azure_recording_is_in_the_table() -> None:
    _corpus()
    assert len(CASES) == 33 and len(STREAMS) + len(BODIES) == 33


@pytest.mark.parametrize(("file", "model"), STREAMS)
def test_streams_fold_like_the_plain_call(file: str, model: str) -> None:
    body = h.read(file)
    streamed = replay.done(h.stream(model, body, api_key=KEY))
    plain = h.chat(model, body, api_key=KEY)
    assert (streamed.message.content, streamed.finish, streamed.usage) == (
        plain.message.content,
        plain.finish,
        plain.usage,
    )
    assert streamed.finish.reason in ("stop", "tool_calls")


@pytest.mark.parametrize(("file", "model"), BODIES)
def test_bodies_parse(file: str, model: str) -> None:
    r = h.chat(model, h.read(file), api_key=KEY)
    assert r.message.content and r.finish.reason in ("stop", "tool_calls")


@settings(max_examples=20)
@given(data=st.data())
def test_chunk_boundaries_change_nothing(data: Any) -> None:
    if not STREAMS:
        return
    file, model = data.draw(st.sampled_from([p.values for p in STREAMS]))
    body = h.read(file)
    cuts = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=10))
    assert h.stream(model, body, cuts, api_key=KEY) == h.stream(model, body, api_key=KEY)


def test_an_azure_model_answers_the_same_through_llmkit_chat() -> None:
    _corpus()
    r = llmkit.resolve("azure-chat:gpt-4o")
    assert r.endpoint.name == "azure-chat" and r.model == "gpt-4o"


def test_the_recorded_chat_request_body() -> None:
    _corpus()
    seen: list[httpx.Request] = []
    answer = h.read("azure-openai/fan_chat_gpt5mini_simple.json")
    with httpx.Client(transport=replay.transport(answer, seen=seen)) as client:
        convo = [llmkit.system("You are a helpful assistant"), llmkit.user("Say hi in Portuguese")]
        llmkit.chat_sync(
            "azure-chat:gpt-5-mini", convo, api_key=KEY, http_client=client, max_tokens=4000
        )
    recorded = json.loads(h.read("azure-openai/fan_chat_gpt5mini_simple.request.json"))
    assert json.loads(seen[0].content) == recorded


# ---- content filter results, kept on Response.extra ----------------------------------


def test_responses_content_filters_are_kept() -> None:
    _corpus()
    r = h.chat(
        "azure:gpt-54", h.read("azure-openai/pai_resp_gpt54_content_filters.json"), api_key=KEY
    )
    filters = r.extra["content_filters"]
    assert [f["source_type"] for f in filters] == ["prompt", "completion"]
    assert filters[0]["content_filter_results"]["jailbreak"] == {
        "detected": False,
        "filtered": False,
    }


def test_streamed_responses_keep_the_final_content_filters() -> None:
    _corpus()
    body = h.read("azure-openai/fan_resp_gpt5mini_simple_stream.sse")
    completed = [
        json.loads(line[6:])
        for line in body.decode().splitlines()
        if line.startswith("data: ") and '"response.completed"' in line
    ]
    want = completed[-1]["response"].get("content_filters")
    r = replay.done(h.stream("azure:gpt-5-mini", body, api_key=KEY))
    assert r.extra == ({"content_filters": want} if want else {})


def test_chat_filter_results_are_kept() -> None:
    body = (replay.FIXTURES / "azure-openai" / "chat_content_filter.json").read_bytes()
    r = h.chat("azure-chat:d", body, api_key=KEY)
    assert r.extra["content_filter_results"]["violence"] == {"filtered": True, "severity": "high"}
    assert r.extra["prompt_filter_results"][0]["prompt_index"] == 0


def test_a_chat_stream_opening_without_an_id_keeps_the_real_one() -> None:
    _corpus()
    body = h.read("azure-openai/fan_chat_gpt5mini_simple_stream.sse")
    r = replay.done(h.stream("azure-chat:gpt-5-mini", body, api_key=KEY))
    assert r.id is not None and r.id.startswith("chatcmpl-")
    assert r.model == "gpt-5-mini-2025-08-07"
    assert (
        r.extra["prompt_filter_results"][0]["content_filter_results"]["jailbreak"]["filtered"]
        is False
    )
    assert "content_filter_results" in r.extra


def test_openai_answers_carry_no_extra() -> None:
    _corpus()
    r = h.chat(
        "openai-chat:gpt-4o",
        h.read(
            "openai/"
            + next(
                f.name
                for f in (h.CORPUS / "openai").iterdir()
                if f.suffix == ".json"
                and not f.name.endswith(".request.json")
                and "error" not in f.name
            )
        ),
        api_key=KEY,
    )
    assert r.extra == {}
