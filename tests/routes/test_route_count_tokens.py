"""Token counts through the cloud routes, over the real transport
(httpx.MockTransport): exact URLs, bodies and authentication for Vertex AI's
Gemini `countTokens`, Claude's `count-tokens:rawPredict` and Bedrock's
`CountTokens` (its URL and body as botocore serializes them, signed as
botocore signs); typed errors with the vendor's message; `Unsupported`,
before any I/O, where the cloud has no counting endpoint."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, get_type_hints

import botocore.session
import httpx
import pytest
from anthropic.types import message_count_tokens_params

import llmkit
from llmkit.errors import InvalidRequest, RateLimited, Unsupported
from tests import replay
from tests.routes import helpers as h
from tests.routes.test_bedrock_transport import (  # noqa: F401  (aws_env: autouse here too)
    ACCESS,
    SECRET,
    TOKEN,
    _sigv4,
    aws_env,
)
from tests.test_count_tokens import CONVERSATION, get_weather

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "count_tokens"
CORPUS = h.CORPUS / "bedrock-anthropic"
VERTEX = "https://us-east5-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-east5"
BEDROCK = "https://bedrock-runtime.us-west-2.amazonaws.com"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"


def count(
    model: str, answer: bytes, *, status: int = 200, **kw: Any
) -> tuple[int, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    with httpx.Client(transport=replay.transport(answer, status=status, seen=seen)) as client:
        n = llmkit.count_tokens_sync(
            model, CONVERSATION, tools=[get_weather], http_client=client, **kw
        )
    return n, seen


def chat_sent(model: str, answer: bytes, **kw: Any) -> httpx.Request:
    """The request `chat` sends for the same arguments."""
    seen: list[httpx.Request] = []
    with httpx.Client(transport=replay.transport(answer, seen=seen)) as client:
        llmkit.chat_sync(
            model, CONVERSATION, tools=[get_weather], http_client=client, max_retries=0, **kw
        )
    (request,) = seen
    return request


# ---- Vertex AI: Gemini ------------------------------------------------------------


def test_vertex_gemini_counts_the_generate_request_on_count_tokens() -> None:
    n, [sent] = count("vertex:gemini-2.5-flash", (FIX / "vertex-gemini.json").read_bytes(),
                      api_key=h.token, temperature=0.2)  # fmt: skip
    assert n == 31
    assert str(sent.url) == f"{VERTEX}/publishers/google/models/gemini-2.5-flash:countTokens"
    assert sent.headers["authorization"] == f"Bearer {h.TOKEN}"
    chat = json.loads(
        chat_sent("vertex:gemini-2.5-flash", h.read("vertex-gemini/fan_flash25_simple.json"),
                  api_key=h.token, temperature=0.2).content
    )  # fmt: skip
    # the parts of the generateContent body that Vertex counts, at the top level
    # (google-genai `_CountTokensParameters_to_vertex` sends these four)
    body = json.loads(sent.content)
    assert body == {k: chat[k] for k in ("contents", "systemInstruction", "tools",
                                         "generationConfig")}  # fmt: skip
    assert body["generationConfig"]["temperature"] == 0.2


def test_vertex_express_mode_counts_on_the_global_host_with_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_API_KEY", "AQ.express-key-0123456789")
    _, [sent] = count("vertex:gemini-2.5-flash", (FIX / "vertex-gemini.json").read_bytes())
    assert str(sent.url) == (
        "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash:countTokens"
    )
    assert sent.headers["x-goog-api-key"] == "AQ.express-key-0123456789"


# ---- Vertex AI: Claude --------------------------------------------------------------


def test_vertex_claude_counts_on_the_shared_count_tokens_model() -> None:
    model = "claude-sonnet-4-5@20250929"
    opts = {"reasoning": {"budget": 2048}, "max_tokens": 4096}
    n, [sent] = count(f"vertex:{model}", (FIX / "anthropic.json").read_bytes(),
                      api_key=h.token, **opts)  # fmt: skip
    assert n == 2095
    assert str(sent.url) == f"{VERTEX}/publishers/anthropic/models/count-tokens:rawPredict"
    assert sent.headers["authorization"] == f"Bearer {h.TOKEN}"
    assert "anthropic-version" not in sent.headers  # it is the body's on Vertex
    body = json.loads(sent.content)
    allowed = set(get_type_hints(message_count_tokens_params.MessageCountTokensParams))
    assert set(body) <= allowed | {"anthropic_version"}
    assert body["anthropic_version"] == "vertex-2023-10-16" and body["model"] == model
    chat = json.loads(
        chat_sent(f"vertex:{model}", h.read("vertex-anthropic/fan_sonnet37_simple.json"),
                  api_key=h.token, **opts).content
    )  # fmt: skip
    assert {k: v for k, v in body.items() if k != "model"} == {
        k: v for k, v in chat.items() if k in allowed | {"anthropic_version"}
    }
    assert body["system"] and body["tools"] and body["thinking"]["budget_tokens"] == 2048


def test_vertex_front_end_errors_are_typed() -> None:
    quota = json.dumps({"error": {"code": 429, "message": "Quota exceeded for aiplatform",
                                  "status": "RESOURCE_EXHAUSTED"}}).encode()  # fmt: skip
    with pytest.raises(RateLimited, match="Quota exceeded"):
        count("vertex:claude-opus-4-6", quota, status=429, api_key=h.token, max_retries=0)


# ---- Bedrock --------------------------------------------------------------------------


def _botocore_count_tokens(model: str, body: bytes) -> Any:
    """The CountTokens request botocore's own client serializes (captured
    before it is sent)."""

    class Sent(Exception):
        pass

    seen: list[Any] = []

    def capture(request: Any, **_: Any) -> None:
        seen.append(request)
        raise Sent

    client = botocore.session.Session().create_client(
        "bedrock-runtime", region_name="us-west-2", aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET, aws_session_token=TOKEN,
    )  # fmt: skip
    client.meta.events.register("before-send.bedrock-runtime.CountTokens", capture)
    with pytest.raises(Sent):
        client.count_tokens(modelId=model, input={"invokeModel": {"body": body}})
    return seen[0]


@pytest.mark.parametrize(
    "model",
    [
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        # CountTokens takes a foundation model: a profile is counted as its model
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    ],
)
def test_bedrock_counts_the_invoke_body_as_botocore_sends_it(model: str) -> None:
    answer = (CORPUS / "pai_count_tokens.json").read_bytes()
    n, [sent] = count(f"bedrock:{model}", answer, temperature=0.5)
    assert n == 18
    invoke = chat_sent(f"bedrock:{model}", h.read("bedrock-anthropic/fan_haiku45_simple.json"),
                       temperature=0.5)  # fmt: skip
    body = json.loads(sent.content)
    # the body the invoke call sends, byte for byte, base64-encoded as botocore's blob
    assert base64.b64decode(body["input"]["invokeModel"]["body"]) == invoke.content
    ref = _botocore_count_tokens(HAIKU, invoke.content)
    assert str(sent.url) == ref.url
    assert str(sent.url) == f"{BEDROCK}/model/{HAIKU.replace(':', '%3A')}/count-tokens"
    assert body == json.loads(ref.body)
    assert sent.headers["content-type"] == sent.headers["accept"] == "application/json"
    assert sent.headers["authorization"] == _sigv4(sent, "bedrock")
    assert sent.headers["x-amz-security-token"] == TOKEN


def test_bedrock_count_request_has_the_recorded_shape() -> None:
    """The shape of pydantic-ai's recorded CountTokens request: the invoke
    body (with its version field) under input.invokeModel.body."""
    recorded = json.loads((CORPUS / "pai_count_tokens.request.json").read_bytes())
    _, [sent] = count("bedrock:anthropic.claude-sonnet-4-20250514-v1:0",
                      (CORPUS / "pai_count_tokens.json").read_bytes())  # fmt: skip
    ours = json.loads(sent.content)
    assert ours.keys() == recorded.keys() == {"input"}
    assert ours["input"].keys() == recorded["input"].keys() == {"invokeModel"}
    theirs = json.loads(base64.b64decode(recorded["input"]["invokeModel"]["body"]))
    mine = json.loads(base64.b64decode(ours["input"]["invokeModel"]["body"]))
    assert mine["anthropic_version"] == theirs["anthropic_version"] == "bedrock-2023-05-31"
    assert {"max_tokens", "messages", "system"} <= mine.keys() & theirs.keys()


def test_bedrock_refusal_is_typed_with_the_vendors_message() -> None:
    refused = (CORPUS / "pai_count_tokens_error_400_unsupported_model.json").read_bytes()
    with pytest.raises(InvalidRequest) as e:
        count("bedrock:anthropic.claude-3-haiku-20240307-v1:0", refused, status=400)
    assert e.value.status == 400 and e.value.provider == "bedrock"
    assert "The provided model doesn't support counting tokens." in str(e.value)


def test_bedrock_api_key_is_sent_as_a_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKexample-not-real-0123")
    _, [sent] = count("bedrock:anthropic.claude-haiku-4-5-20251001-v1:0",
                      (CORPUS / "pai_count_tokens.json").read_bytes())  # fmt: skip
    assert sent.headers["authorization"] == "Bearer ABSKexample-not-real-0123"
    assert "x-amz-date" not in sent.headers


# ---- no counting endpoint ------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "why"),
    [
        ("azure:my-deployment", "no responses/input_tokens"),
        ("azure-chat:my-deployment", "no token-counting endpoint"),
        ("bedrock-mantle:claude-haiku-4-5", "no token-counting endpoint"),
        ("anthropic-aws:claude-haiku-4-5", "no token-counting endpoint"),
    ],
)
def test_routes_without_counting_are_unsupported_before_any_io(
    model: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_AWS_WORKSPACE_ID", "wrkspc_test")
    seen: list[httpx.Request] = []
    with httpx.Client(transport=replay.transport(b"{}", seen=seen)) as client:
        with pytest.raises(Unsupported, match=why):
            llmkit.count_tokens_sync(model, "hi", api_key="k-0123456789", http_client=client)
    assert seen == []


@pytest.mark.anyio
async def test_async_twin() -> None:
    seen: list[httpx.Request] = []
    t = replay.transport((CORPUS / "pai_count_tokens.json").read_bytes(), seen=seen)
    async with httpx.AsyncClient(transport=t) as client:
        n = await llmkit.count_tokens(
            "bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0", "hi", http_client=client
        )
    assert n == 18 and seen[0].url.path.endswith("/count-tokens")
    assert seen[0].headers["authorization"] == _sigv4(seen[0], "bedrock")
