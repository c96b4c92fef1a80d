"""The gateway's OpenAI dialect with the official openai SDK as the client:
uvicorn on a loopback port, upstreams replayed from real recorded traffic
(Anthropic, Gemini, OpenAI Responses), each answer compared with what
llmkit's own `chat` makes of the same upstream bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("openai")

import httpx
import msgspec
import openai
import pydantic

import llmkit
from llmkit import registry as r
from llmkit.registry import Secret
from llmkit.server import ServerConfig
from tests.replay import CORPUS, ROOT, transport
from tests.server_helpers import Vendor, running

TOKEN = "gateway-token-for-tests-0123456789"
ALIASES = {"gpt-4o": "anthropic:claude-sonnet-4-5", "fast": "gemini-2.5-flash"}


def keyless() -> r.Registry:
    reg = r.current()
    return r.Registry(
        endpoints=MappingProxyType(
            {n: msgspec.structs.replace(ep, key_required=False) for n, ep in reg.endpoints.items()}
        ),
        prefixes=reg.prefixes,
    )


def answer(name: str, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    return (status, headers or {}, [(CORPUS / name).read_bytes()])


@contextmanager
def gateway(*answers: Any, **kw: Any) -> Iterator[tuple[Any, Vendor]]:
    """An OpenAI SDK client on the gateway, whose upstream plays `answers` in turn."""
    vendor = Vendor(*answers)
    cfg = ServerConfig(
        registry=keyless(),
        http_client=vendor.client,
        max_retries=0,
        token=Secret(TOKEN),
        **{"aliases": ALIASES, **kw},
    )
    with running(cfg) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0), vendor


def direct(model: str, name: str, messages: Any, **kw: Any) -> llmkit.Response:
    """llmkit's own answer from the same upstream bytes."""
    body = (CORPUS / name).read_bytes()
    with httpx.Client(transport=transport(body)) as client:
        return llmkit.chat_sync(model, messages, registry=keyless(), http_client=client, **kw)


HELLO = [{"role": "user", "content": "Say hello"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}

# (model, upstream recording, tools?) across three upstream wires.
STREAMS = [
    ("claude-sonnet-4-20250514", "anthropic/fantasy_sonnet4_simple_stream.sse", False),
    ("claude-sonnet-4-20250514", "anthropic/fantasy_sonnet4_multi_tool_stream_turn1.sse", True),
    ("gemini-2.5-flash", "google/fantasy_flash25_simple_stream.sse", False),
    ("gemini-2.5-flash", "google/fantasy_flash25_multi_tool_stream_turn1.sse", True),
    ("gpt-4o-2024-08-06", "openai-responses/fantasy_gpt4o_simple_stream.sse", False),
    ("gpt-4o-mini", "openai-responses/fantasy_gpt4omini_multi_tool_stream_turn1.sse", True),
]


def _calls(resp: llmkit.Response) -> list[tuple[str, str, dict[str, Any]]]:
    return [(c.id, c.name, c.arguments) for c in resp.tool_calls]


def _sdk_calls(message: Any) -> list[tuple[str, str, dict[str, Any]]]:
    # the vendor's id, then what it carries (see test_claude_thinking_...)
    return [
        (c.id.partition(".lk1.")[0], c.function.name, json.loads(c.function.arguments or "{}"))
        for c in message.tool_calls or []
    ]


@pytest.mark.parametrize(("model", "name", "tools"), STREAMS)
def test_stream_helper_accumulates_what_llmkit_made(model: str, name: str, tools: bool) -> None:
    own = direct(model, name, HELLO, tools=[WEATHER["function"]] if tools else None)
    extra: dict[str, Any] = {"tools": [WEATHER]} if tools else {}
    with gateway(answer(name)) as (client, _):
        with client.chat.completions.stream(
            model=model, messages=HELLO, stream_options={"include_usage": True}, **extra
        ) as stream:
            texts = [e.delta for e in stream if e.type == "content.delta"]
            final = stream.get_final_completion()
    message = final.choices[0].message
    assert (message.content or "") == own.text == "".join(texts)
    assert _sdk_calls(message) == _calls(own)
    assert final.usage is not None
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (
        own.usage.input_tokens,
        own.usage.output_tokens,
    )
    want = "tool_calls" if own.tool_calls else "stop"
    assert final.choices[0].finish_reason == want
    assert final.model == model


@pytest.mark.parametrize(("model", "name", "tools"), STREAMS)
def test_whole_answer_is_what_llmkit_made(model: str, name: str, tools: bool) -> None:
    own = direct(model, name, HELLO, tools=[WEATHER["function"]] if tools else None)
    extra: dict[str, Any] = {"tools": [WEATHER]} if tools else {}
    with gateway(answer(name)) as (client, _):
        done = client.chat.completions.create(model=model, messages=HELLO, **extra)
    message = done.choices[0].message
    assert (message.content or "") == own.text
    assert _sdk_calls(message) == _calls(own)
    assert done.usage is not None and done.usage.total_tokens == own.usage.total_tokens
    assert done.object == "chat.completion" and done.id.startswith("chatcmpl-")


def test_alias_reaches_its_target_and_raw_stream_has_the_openai_framing() -> None:
    name = "anthropic/fantasy_sonnet4_simple_stream.sse"
    with gateway(answer(name)) as (client, vendor):
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=HELLO, stream=True
        )
        body = raw.http_response.read()
    assert vendor.seen[0].url.path == "/v1/messages"  # the alias went to Anthropic
    assert json.loads(vendor.seen[0].content)["model"] == "claude-sonnet-4-5"
    frames = body.decode().split("\n\n")
    assert frames[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(f.removeprefix("data: ")) for f in frames[:-2]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert {c["id"] for c in chunks} == {chunks[0]["id"]}
    assert all(c["model"] == "gpt-4o" and "usage" not in c for c in chunks)  # no include_usage
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "stop"


def test_tool_round_trip_through_claude() -> None:
    turn1 = "anthropic/fantasy_sonnet4_tool_stream_turn1.sse"
    turn2 = "anthropic/fantasy_sonnet4_tool_stream_turn2_after_tool_result.sse"
    with gateway(answer(turn1), answer(turn2)) as (client, vendor):
        first = client.chat.completions.create(model="gpt-4o", messages=HELLO, tools=[WEATHER])
        msg = first.choices[0].message
        assert first.choices[0].finish_reason == "tool_calls" and msg.tool_calls
        call = msg.tool_calls[0]
        history = [
            *HELLO,
            msg.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "40C and sunny"},
        ]
        second = client.chat.completions.create(model="gpt-4o", messages=history, tools=[WEATHER])
    assert second.choices[0].message.content
    assert second.choices[0].finish_reason == "stop"
    sent = json.loads(vendor.seen[1].content)["messages"]
    use = next(b for b in sent[1]["content"] if b["type"] == "tool_use")
    result = sent[2]["content"][0]
    assert use["id"] == call.id == result["tool_use_id"]
    assert use["input"] == json.loads(call.function.arguments)
    assert result["content"] in ("40C and sunny", [{"type": "text", "text": "40C and sunny"}])


def test_claude_thinking_goes_back_with_its_tool_calls() -> None:
    """Claude with thinking on refuses a tool loop whose last assistant turn lacks
    its signed thinking; Chat Completions has no field for it, so it rides in the
    tool call's id, which the client echoes."""
    turn1 = "anthropic/fantasy_sonnet4_thinking_turn1.json"
    turn2 = "anthropic/fantasy_sonnet4_thinking_stream_turn2_after_tool_result.sse"
    recorded = json.loads((CORPUS / turn1).read_bytes())["content"]
    with gateway(answer(turn1), answer(turn2)) as (client, vendor):
        kw: dict[str, Any] = {"tools": [WEATHER], "reasoning_effort": "low"}
        first = client.chat.completions.create(model="gpt-4o", messages=HELLO, **kw)
        msg = first.choices[0].message
        (call,) = msg.tool_calls or []
        assert call.id.startswith(recorded[1]["id"] + ".lk1.")
        history = [
            *HELLO,
            msg.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "40C and sunny"},
        ]
        with client.chat.completions.stream(model="gpt-4o", messages=history, **kw) as s:
            assert s.get_final_completion().choices[0].message.content
    assert json.loads(vendor.seen[0].content)["thinking"]["type"] in ("enabled", "adaptive")
    sent = json.loads(vendor.seen[1].content)["messages"]
    thinking, use = sent[1]["content"]
    assert thinking == {k: recorded[0][k] for k in ("type", "thinking", "signature")}
    assert use["type"] == "tool_use" and use["id"] == recorded[1]["id"]
    assert sent[2]["content"][0]["tool_use_id"] == recorded[1]["id"]


def test_an_altered_carrier_id_is_a_400() -> None:
    turn1 = "anthropic/fantasy_sonnet4_thinking_turn1.json"
    with gateway(answer(turn1)) as (client, vendor):
        msg = client.chat.completions.create(model="gpt-4o", messages=HELLO, tools=[WEATHER])
        dumped = msg.choices[0].message.model_dump(exclude_none=True)
        dumped["tool_calls"][0]["id"] += "garbage!"
        history = [*HELLO, dumped, {"role": "tool", "tool_call_id": "x", "content": "ok"}]
        with pytest.raises(openai.BadRequestError) as e:
            client.chat.completions.create(model="gpt-4o", messages=history, tools=[WEATHER])
    assert e.value.param == "messages" and len(vendor.seen) == 1


def test_streamed_tool_round_trip_through_gemini_3() -> None:
    """The SDK's stream helper, then the tool result sent back: the call goes back
    to Gemini 3 with its thought signature (an unsigned call would be a 400),
    carried in the call's id."""
    turn1 = "google/fantasy_gemini3pro_tool_stream_turn1.sse"
    turn2 = "google/fantasy_gemini3pro_tool_stream_turn2_after_function_response.sse"
    model = "gemini-3.1-pro-preview"
    with gateway(answer(turn1), answer(turn2)) as (client, vendor):
        with client.chat.completions.stream(model=model, messages=HELLO, tools=[WEATHER]) as s:
            first = s.get_final_completion()
        msg = first.choices[0].message
        assert first.choices[0].finish_reason == "tool_calls" and msg.tool_calls
        call = msg.tool_calls[0]
        assert json.loads(call.function.arguments) == {"location": "Florence, Italy"}
        history = [
            *HELLO,
            msg.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "40C and sunny"},
        ]
        with client.chat.completions.stream(model=model, messages=history, tools=[WEATHER]) as s:
            second = s.get_final_completion()
    assert "40°C" in (second.choices[0].message.content or "")
    contents = json.loads(vendor.seen[1].content)["contents"]
    replayed = contents[1]["parts"][0]
    recorded = json.loads((CORPUS / turn1).read_text().split("\n")[0].removeprefix("data: "))
    signature = recorded["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    assert replayed["functionCall"]["name"] == "weather"
    assert replayed["thoughtSignature"] == signature
    answer_part = contents[2]["parts"][0]["functionResponse"]
    assert answer_part["name"] == "weather"


class Person(pydantic.BaseModel):
    name: str
    age: int
    city: str


def test_structured_output_with_the_sdk_parse_helper() -> None:
    name = "google/fantasy_gemini3pro_object_simple.json"
    with gateway(answer(name)) as (client, vendor):
        done = client.chat.completions.parse(
            model="gemini-3.1-pro-preview", messages=HELLO, response_format=Person
        )
    assert done.choices[0].message.parsed == Person(name="Alice", age=30, city="Paris")
    # Streamed: the JSON in two text pieces, in streamGenerateContent's shape.
    usage = {"promptTokenCount": 20, "candidatesTokenCount": 12, "totalTokenCount": 32}
    pieces = ['{"name":"Alice",', '"age":30,"city":"Paris"}']
    frames = [
        {"candidates": [{"content": {"parts": [{"text": t}], "role": "model"}, "index": 0,
                         **({"finishReason": "STOP"} if i else {})}],
         "usageMetadata": usage, "modelVersion": "gemini-2.5-flash"}
        for i, t in enumerate(pieces)
    ]  # fmt: skip
    sse = b"".join(b"data: " + json.dumps(f).encode() + b"\r\n\r\n" for f in frames)
    with gateway((200, {}, [sse])) as (client, _):
        with client.chat.completions.stream(
            model="gemini-2.5-flash", messages=HELLO, response_format=Person
        ) as stream:
            streamed = stream.get_final_completion()
    assert streamed.choices[0].message.parsed == Person(name="Alice", age=30, city="Paris")
    config = json.loads(vendor.seen[0].content)["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    assert set(schema["properties"]) == {"name", "age", "city"}


def test_images_and_options_reach_the_upstream() -> None:
    name = "anthropic/fantasy_sonnet4_simple_stream.sse"
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAAB"
    pixel += "JRU5ErkJggg=="
    messages = [
        {"role": "developer", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{pixel}"}},
            ],
        },
    ]
    with gateway(answer(name)) as (client, vendor):
        client.chat.completions.create(
            model="claude-sonnet-4-5",
            messages=messages,
            max_completion_tokens=77,
            temperature=0.5,
            stop=["END"],
            tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "weather"}},
            parallel_tool_calls=False,
            user="someone",  # ignored: it changes nothing about the answer
        )
    sent = json.loads(vendor.seen[0].content)
    assert sent["max_tokens"] == 77 and sent["temperature"] == 0.5
    assert sent["stop_sequences"] == ["END"]
    assert sent["system"][0]["text"] == "Be brief." if isinstance(sent["system"], list) else True
    image = sent["messages"][0]["content"][1]
    assert image["type"] == "image" and image["source"]["data"] == pixel
    choice = sent["tool_choice"]
    assert choice["type"] == "tool" and choice["name"] == "weather"
    assert choice["disable_parallel_tool_use"] is True


# ---- errors -------------------------------------------------------------------------


def test_unknown_model_is_a_404_not_found() -> None:
    with gateway(answer("anthropic/fantasy_sonnet4_simple.json")) as (client, vendor):
        with pytest.raises(openai.NotFoundError) as e:
            client.chat.completions.create(model="nobody-knows-me", messages=HELLO)
    assert "nobody-knows-me" in e.value.message
    assert e.value.code == "model_not_found" and not vendor.seen


def test_wrong_token_is_a_401_and_x_api_key_is_accepted() -> None:
    with gateway(answer("anthropic/fantasy_sonnet4_simple.json")) as (client, _):
        wrong = client.with_options(api_key="not-the-token")
        with pytest.raises(openai.AuthenticationError) as e:
            wrong.chat.completions.create(model="gpt-4o", messages=HELLO)
        assert e.value.type == "authentication_error"
        url = f"{client.base_url}chat/completions"
        body = {"model": "gpt-4o", "messages": HELLO}
        ok = httpx.post(url, json=body, headers={"x-api-key": TOKEN})
        assert ok.status_code == 200, ok.text


def test_body_limit_and_host_check_hold_on_v1() -> None:
    with gateway(answer("anthropic/fantasy_sonnet4_simple.json"), max_body_bytes=200) as (
        client,
        vendor,
    ):
        with pytest.raises(openai.APIStatusError) as e:
            client.chat.completions.create(model="gpt-4o", messages=[*HELLO] * 20)
        assert e.value.status_code == 413 and "over 200 bytes" in e.value.message
        evil = client.with_options(default_headers={"host": "evil.example"})
        with pytest.raises(openai.BadRequestError) as bad:
            evil.models.list()
        assert "evil.example" in bad.value.message and not vendor.seen


@pytest.mark.parametrize(
    ("field", "value"),
    [("n", 2), ("logprobs", True), ("frequency_penalty", 0.5), ("tool_choice", "sometimes")],
)
def test_what_llmkit_cannot_honour_is_a_400_naming_the_param(field: str, value: Any) -> None:
    with gateway(answer("anthropic/fantasy_sonnet4_simple.json")) as (client, vendor):
        with pytest.raises(openai.BadRequestError) as e:
            client.chat.completions.create(
                model="gpt-4o", messages=HELLO, tools=[WEATHER], extra_body={field: value}
            )
    assert e.value.param == field and field in e.value.message
    assert not vendor.seen


@pytest.mark.parametrize(
    ("status", "error", "headers"),
    [
        (429, openai.RateLimitError, {"retry-after": "7"}),
        (500, openai.InternalServerError, {}),
        (529, openai.InternalServerError, {}),
    ],
)
def test_upstream_errors_keep_their_status_and_message(
    status: int, error: type[Exception], headers: dict[str, str]
) -> None:
    kind = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}[status]
    body = json.dumps({"type": "error", "error": {"type": kind, "message": "Slow down, friend"}})
    with gateway((status, headers, [body.encode()])) as (client, _):
        for stream in (False, True):
            with pytest.raises(error) as e:
                out = client.chat.completions.create(model="gpt-4o", messages=HELLO, stream=stream)
                list(out)  # type: ignore[call-overload]
            assert e.value.status_code == status  # type: ignore[attr-defined]
            assert "Slow down, friend" in e.value.message  # type: ignore[attr-defined]
            assert e.value.code == kind  # type: ignore[attr-defined]
            if headers:
                assert e.value.response.headers["retry-after"] == "7"  # type: ignore[attr-defined]


def test_an_upstream_failure_mid_stream_raises_in_the_sdk() -> None:
    whole = (CORPUS / "anthropic/fantasy_sonnet4_simple_stream.sse").read_bytes()
    cut = whole[: whole.index(b"event: content_block_stop")]  # ends without message_stop
    with gateway((200, {}, [cut])) as (client, _):
        got = []
        with pytest.raises(openai.APIError) as e:
            for chunk in client.chat.completions.create(
                model="gpt-4o", messages=HELLO, stream=True
            ):
                got += [c.delta.content for c in chunk.choices if c.delta.content]
    assert got  # the text before the cut arrived, then the error
    assert e.value.message


def test_models_lists_available_models_and_aliases() -> None:
    with gateway(answer("anthropic/fantasy_sonnet4_simple.json")) as (client, _):
        models = {m.id: m for m in client.models.list()}
    assert models["gpt-4o"].owned_by == "anthropic"
    assert models["fast"].owned_by == "llmkit"
    assert any(m.owned_by == "google" for m in models.values())
    assert all(m.object == "model" and isinstance(m.created, int) for m in models.values())
    with gateway(answer("anthropic/fantasy_sonnet4_simple.json")) as (client, _):
        assert client.models.retrieve("gpt-4o").owned_by == "anthropic"
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("nobody-knows-me")


# ---- serving: safe by default, workers ---------------------------------------------------


@pytest.fixture
def no_server_env(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """No token or escape hatch in the environment; uvicorn.run only records its call."""
    import uvicorn

    for name in ("LLMKIT_SERVER_TOKEN", "LLMKIT_ALLOW_NO_TOKEN", "LLMKIT_SERVER_ALIASES"):
        monkeypatch.delenv(name, raising=False)
    for name in ("LLMKIT_SERVER_REPLAY", "LLMKIT_SERVER_ALLOWED_HOSTS"):
        monkeypatch.setenv(name, "")  # main and serve set these; monkeypatch restores them
    runs: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append((app, kw)))
    return runs


def test_serving_beyond_loopback_without_a_token_is_refused(
    no_server_env: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from llmkit import cli

    assert cli.main(["serve", "--host", "0.0.0.0"]) == 1
    assert "LLMKIT_SERVER_TOKEN" in capsys.readouterr().err and not no_server_env
    assert cli.main(["serve", "--host", "127.0.0.1"]) == 0  # loopback needs no token
    assert cli.main(["serve", "--host", "0.0.0.0", "--allow-no-token"]) == 0
    assert len(no_server_env) == 2


def test_workers_run_a_factory_configured_from_the_environment(
    no_server_env: list[tuple[Any, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    from llmkit import cli
    from llmkit.server import _app

    monkeypatch.setenv("LLMKIT_SERVER_TOKEN", TOKEN)
    argv = ["serve", "--host", "10.0.0.7", "--workers", "3", "--alias", "gpt-4o=gemini-2.5-flash"]
    assert cli.main(argv) == 0
    ((app, kw),) = no_server_env
    assert (app, kw["factory"], kw["workers"]) == ("llmkit.server._app:app_from_env", True, 3)
    pickle.dumps(kw)  # what uvicorn hands each spawned worker
    cfg = _app._env_config()  # what each worker builds
    assert cfg.aliases == {"gpt-4o": "gemini-2.5-flash"}
    assert "10.0.0.7" in cfg.allowed_hosts and cfg.token is not None


def test_two_worker_processes_serve_the_gateway(tmp_path: Any) -> None:
    """`llmkit serve --workers 2` for real: spawned workers answer the OpenAI SDK
    with the token, alias and replay folder given to the parent."""
    import os
    import socket
    import subprocess
    import sys
    import time

    demo = ROOT / "fixtures" / "demo"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "LLMKIT_SERVER_TOKEN": TOKEN}
    argv = ["serve", "--port", str(port), "--workers", "2", "--replay", str(demo),
            "--alias", "gpt-4o=claude-sonnet-4-20250514"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmkit.cli", *argv], env=env, stderr=subprocess.PIPE
    )
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=TOKEN)
        deadline = time.monotonic() + 30
        while True:
            try:
                models = [m.id for m in client.with_options(max_retries=0).models.list()]
                break
            except openai.APIConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.1)
        assert "gpt-4o" in models
        done = client.chat.completions.create(model="gpt-4o", messages=HELLO)
        assert done.choices[0].message.content or done.choices[0].message.tool_calls
    finally:
        proc.terminate()
        proc.wait(15)


def test_an_alias_may_name_a_fallback_chain() -> None:
    """`safe=claude|gemini`: Claude overloaded (529, no retries), Gemini answers."""
    overloaded = (
        529,
        {"content-type": "application/json"},
        [b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'],
    )
    gemini = "google/fantasy_flash25_simple.json"
    chain = {"safe": "anthropic:claude-sonnet-4-5|gemini-2.5-flash"}
    with gateway(overloaded, answer(gemini), aliases=chain) as (client, vendor):
        done = client.chat.completions.create(model="safe", messages=HELLO)
    assert vendor.seen[0].url.host == "api.anthropic.com"
    assert vendor.seen[-1].url.host == "generativelanguage.googleapis.com"
    assert done.model == "safe" and done.choices[0].message.content
