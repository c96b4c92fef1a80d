"""Gemini and Claude on Vertex AI: exact URLs, headers and bodies; express
mode; every corpus recording (vertex-gemini/, vertex-anthropic/) through
llmkit (parses; streamed equals the same body read as a plain call; chunk
boundaries change nothing); errors typed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import llmkit
from llmkit import registry
from llmkit.errors import ApiError, MissingConfig, RateLimited
from llmkit.providers import anthropic, google
from llmkit.routes import _gcp
from llmkit.types import ChatRequest, Message, Text
from tests import replay
from tests.routes import helpers as h


@pytest.mark.parametrize(
    ("location", "url"),
    [
        ("global", "https://aiplatform.googleapis.com/v1/projects/p/locations/global"),
        ("us", "https://aiplatform.us.rep.googleapis.com/v1/projects/p/locations/us"),
        ("eu", "https://aiplatform.eu.rep.googleapis.com/v1/projects/p/locations/eu"),
        (
            "europe-west4",
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4",
        ),
        ("", "https://aiplatform.googleapis.com/v1/projects/p/locations/global"),
    ],
)
def test_hosts_by_location(location: str, url: str) -> None:
    env = {"GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": location}
    assert _gcp.project_url(env, "vertex") == url


def test_no_project_names_the_env_vars() -> None:
    with pytest.raises(MissingConfig, match="GOOGLE_CLOUD_PROJECT"):
        _gcp.project_url({}, "vertex")


GEMINI_JSON = replay.FIXTURES / "google" / "text.json"


def test_gemini_request_exactly() -> None:
    seen: list[httpx.Request] = []
    r = h.chat("vertex:gemini-2.5-flash", GEMINI_JSON.read_bytes(), seen=seen)
    sent = seen[0]
    assert str(sent.url) == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-east5"
        "/publishers/google/models/gemini-2.5-flash:generateContent"
    )
    assert sent.headers["authorization"] == f"Bearer {h.TOKEN}"
    assert "x-goog-api-key" not in sent.headers
    req = ChatRequest(
        model="gemini-2.5-flash", messages=[Message(role="user", content=[Text(text="hi")])]
    )
    assert json.loads(sent.content) == json.loads(
        google.build_request(req, "https://x").body or b""
    )
    assert r.provider == "vertex" and r.text


def test_gemini_stream_url() -> None:
    seen: list[httpx.Request] = []
    h.stream(
        "vertex:gemini-2.5-flash", (replay.FIXTURES / "google" / "text.sse").read_bytes(), seen=seen
    )
    assert str(seen[0].url).endswith(
        "/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )


def test_express_mode_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_API_KEY", "AQ.express-key-0123456789")
    seen: list[httpx.Request] = []
    h.chat("vertex:gemini-2.5-flash", GEMINI_JSON.read_bytes(), seen=seen, api_key=None)
    assert str(seen[0].url) == (
        "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash:generateContent"
    )
    assert seen[0].headers["x-goog-api-key"] == "AQ.express-key-0123456789"
    assert "authorization" not in seen[0].headers


CLAUDE_JSON = replay.FIXTURES / "anthropic" / "text.json"


@pytest.mark.parametrize(
    "model", ["vertex:claude-sonnet-4-5@20250929", "vertex-anthropic:claude-sonnet-4-5@20250929"]
)
def test_claude_request_exactly(model: str) -> None:
    seen: list[httpx.Request] = []
    r = h.chat(model, CLAUDE_JSON.read_bytes(), seen=seen, max_tokens=100)
    sent = seen[0]
    assert str(sent.url) == (
        "https://us-east5-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-east5"
        "/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict"
    )
    assert sent.headers["authorization"] == f"Bearer {h.TOKEN}"
    assert "x-api-key" not in sent.headers and "anthropic-version" not in sent.headers
    body = json.loads(sent.content)
    req = ChatRequest(
        model="claude-sonnet-4-5@20250929",
        messages=[Message(role="user", content=[Text(text="hi")])],
        options=llmkit.Options(max_tokens=100),
    )
    want = json.loads(anthropic.build_request(req, "https://x").body or b"")
    del want["model"]
    assert body == {**want, "anthropic_version": "vertex-2023-10-16"}
    assert r.provider == "vertex-anthropic"


def test_claude_stream_keeps_stream_in_the_body() -> None:
    seen: list[httpx.Request] = []
    h.stream(
        "vertex:claude-sonnet-4-6",
        (replay.FIXTURES / "anthropic" / "text.sse").read_bytes(),
        seen=seen,
    )
    assert str(seen[0].url).endswith(
        "/publishers/anthropic/models/claude-sonnet-4-6:streamRawPredict"
    )
    assert json.loads(seen[0].content)["stream"] is True


def test_a_google_shaped_quota_error_in_front_of_claude_is_typed() -> None:
    body = json.dumps(
        {
            "error": {
                "code": 429,
                "message": "Quota exceeded for aiplatform.googleapis.com",
                "status": "RESOURCE_EXHAUSTED",
            }
        }
    ).encode()
    with pytest.raises(RateLimited, match="Quota exceeded") as info:
        h.chat("vertex:claude-sonnet-4-6", body, status=429)
    assert info.value.provider == "vertex-anthropic" and info.value.status == 429


# ---- the corpus: every recording through llmkit --------------------------------


def _model(row: dict[str, str]) -> str:
    prefix = "vertex-anthropic" if row["vendor"] == "vertex-anthropic" else "vertex"
    return f"{prefix}:{row['model'] or 'gemini-2.5-flash'}"


CASES = h.corpus_table("vertex-gemini", _model) + h.corpus_table("vertex-anthropic", _model)
STREAMS = [pytest.param(f, m, id=f) for f, k, m in CASES if k == "stream"]
BODIES = [pytest.param(f, m, id=f) for f, k, m in CASES if k == "json"]
ERRORS = [pytest.param(f, m, id=f) for f, k, m in CASES if k == "error"]


def test_the_corpus_has_every_vertex_recording() -> None:
    if not h.CORPUS.exists():
        pytest.skip("no corpus")
    assert len(CASES) == 29 - 0 + 6 - 0 and len(STREAMS) + len(BODIES) + len(ERRORS) == len(CASES)


def _same(a: llmkit.Response, b: llmkit.Response) -> None:
    assert (a.message.content, a.finish, a.usage, a.model, a.id) == (
        b.message.content,
        b.finish,
        b.usage,
        b.model,
        b.id,
    )


@pytest.mark.parametrize(("file", "model"), STREAMS)
def test_streams_fold_like_the_plain_call(file: str, model: str) -> None:
    body = h.read(file)
    events = h.stream(model, body)
    streamed = replay.done(events)
    _same(streamed, h.chat(model, body))  # the same bytes answering a plain call
    assert streamed.finish.reason in ("stop", "tool_calls", "length")


@pytest.mark.parametrize(("file", "model"), BODIES)
def test_bodies_parse(file: str, model: str) -> None:
    r = h.chat(model, h.read(file))
    assert r.message.content or r.finish.reason == "content_filter"


@pytest.mark.parametrize(("file", "model"), ERRORS)
def test_errors_are_typed(file: str, model: str) -> None:
    with pytest.raises(ApiError) as info:
        h.chat(model, h.read(file), status=400)
    assert info.value.status == 400 and info.value.message


def test_model_armor_block_finishes_as_content_filter() -> None:
    r = h.chat(
        "vertex:gemini-2.5-flash", h.read("vertex-gemini/pai_model_armor_prompt_blocked.json")
    )
    assert r.finish.reason == "content_filter" and r.finish.raw == "MODEL_ARMOR"


@settings(max_examples=20)
@given(data=st.data())
def test_chunk_boundaries_change_nothing(data: Any) -> None:
    if not STREAMS:
        return
    file, model = data.draw(st.sampled_from([p.values for p in STREAMS]))
    body = h.read(file)
    cuts = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=10))
    assert h.stream(model, body, cuts) == h.stream(model, body)


def test_catalog_lists_vertex_models_only_with_credentials(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    assert "vertex" not in registry.available()
    (tmp_path / "application_default_credentials.json").write_text("{}")
    assert {"vertex", "vertex-anthropic"} <= set(registry.available())
    claude = [m for m in llmkit.list_models_sync() if m.provider == "vertex-anthropic"]
    assert claude and all(m.available and m.id.startswith("claude-") for m in claude)
    vertex = [m for m in llmkit.list_models_sync() if m.provider == "vertex"]
    assert (
        vertex
        and all(m.available for m in vertex)
        and all(m.id.startswith("gemini") or m.id.startswith("gemma") for m in vertex)
    )


# ---- recorded requests: what llmkit sends for the same conversation ---------------

SIMPLE = [llmkit.system("You are a helpful assistant"), llmkit.user("Say hi in Portuguese")]


@pytest.mark.parametrize(
    ("request_file", "model", "stream"),
    [
        (
            "vertex-anthropic/fan_sonnet37_simple.request.json",
            "vertex:claude-3-7-sonnet@20250219",
            False,
        ),
        (
            "vertex-anthropic/fan_sonnet37_simple_stream.request.json",
            "vertex:claude-3-7-sonnet@20250219",
            True,
        ),
        ("vertex-gemini/fan_flash25_simple.request.json", "vertex:gemini-2.5-flash", False),
    ],
)
def test_recorded_request_bodies(request_file: str, model: str, stream: bool) -> None:
    if not (h.CORPUS / request_file).exists():
        pytest.skip("no corpus")
    recorded = json.loads(h.read(request_file))
    recorded.get("systemInstruction", {}).pop("role", None)  # Gemini ignores it; llmkit omits it
    seen: list[httpx.Request] = []
    answer = replay.FIXTURES / ("anthropic" if "claude" in model else "google") / "text.sse"
    with httpx.Client(transport=replay.transport(answer.read_bytes(), seen=seen)) as client:
        call = llmkit.stream_sync if stream else llmkit.chat_sync
        out = call(model, SIMPLE, api_key=h.token, http_client=client, max_tokens=4000)
        list(out) if stream else None
    assert json.loads(seen[0].content) == recorded


def test_a_moved_vertex_route_keeps_its_shape_and_tokens() -> None:
    base = "https://psc.example/v1/projects/p/locations/europe-west4"
    reg = llmkit.with_endpoint(registry.current(), "vertex", base_url=base)
    seen: list[httpx.Request] = []
    with httpx.Client(transport=replay.transport(GEMINI_JSON.read_bytes(), seen=seen)) as client:
        llmkit.chat_sync(
            "vertex:gemini-2.5-flash", "hi", api_key=h.token, http_client=client, registry=reg
        )
    assert str(seen[0].url) == f"{base}/publishers/google/models/gemini-2.5-flash:generateContent"
    assert seen[0].headers["authorization"] == f"Bearer {h.TOKEN}"
