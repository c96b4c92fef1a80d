"""The clients the benchmark runs, each pointed at the fake vendor.

A client is made by `make(vendor, base_url)` (once, outside the timed part, as
an application would) and is `fn(model) -> text`, or the same as a coroutine;
it returns the text it accumulated (the tool call's argument text
for `-tool-` streams) so the benchmark can check it did the work.

Peers (`anthropic`, `openai`, `google-genai`, `litellm`) come from the optional
`bench` dependency group; a missing one is reported, not fatal.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import httpx_sse
import msgspec

import llmkit

SyncFn = Callable[[str], str]  # model -> text
AsyncFn = Callable[[str], Awaitable[str]]

# vendor -> (path of its streaming endpoint for a model, of its whole-answer one)
PATHS: dict[str, tuple[str, str]] = {
    "anthropic": ("/v1/messages", "/v1/messages"),
    "openai": ("/chat/completions", "/chat/completions"),
    "responses": ("/responses", "/responses"),
    "google": (
        "/v1beta/models/{model}:streamGenerateContent?alt=sse",
        "/v1beta/models/{model}:generateContent",
    ),
}


def _get(d: Any, *keys: Any) -> Any:
    for k in keys:
        try:
            d = d[k]
        except (KeyError, IndexError, TypeError):
            return None
    return d


# How the floor takes the text out of one decoded event, by (vendor, kind).
PICK: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("anthropic", "text"): lambda d: _get(d, "delta", "text"),
    ("anthropic", "tool"): lambda d: _get(d, "delta", "partial_json"),
    ("openai", "text"): lambda d: _get(d, "choices", 0, "delta", "content"),
    ("openai", "tool"): lambda d: _get(d, "choices", 0, "delta", "tool_calls", 0, "function",
                                       "arguments"),
    # Responses: every event is decoded; the deltas of the part being streamed are kept
    ("responses", "text"): lambda d: d["delta"] if d["type"] == "response.output_text.delta"
    else None,
    ("responses", "tool"): lambda d: d["delta"]
    if d["type"] == "response.function_call_arguments.delta" else None,
    ("google", "text"): lambda d: "".join(
        p.get("text", "") for p in _get(d, "candidates", 0, "content", "parts") or ()
    ),
    # Gemini's calls come whole: the argument text is the args object, encoded
    ("google", "tool"): lambda d: "".join(
        msgspec.json.encode(p["functionCall"]["args"]).decode()
        for p in _get(d, "candidates", 0, "content", "parts") or () if "functionCall" in p
    ),
}  # fmt: skip


# What a request to each vendor must carry: the floor sends it too.
HEADERS: dict[str, dict[str, str]] = {
    "anthropic": {"x-api-key": "bench", "anthropic-version": "2023-06-01",
                  "content-type": "application/json"},
    "openai": {"authorization": "Bearer bench", "content-type": "application/json"},
    "responses": {"authorization": "Bearer bench", "content-type": "application/json"},
    "google": {"x-goog-api-key": "bench", "content-type": "application/json"},
}  # fmt: skip


def kind_of(model: str) -> str:
    return "tool" if "-tool-" in model else "text"


def request_body(vendor: str, model: str, stream: bool) -> bytes:
    msgs = [{"role": "user", "content": "hi"}]
    if vendor == "google":
        return msgspec.json.encode({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    if vendor == "responses":
        return msgspec.json.encode({"model": model, "input": [{"role": "user", "content": "hi"}],
                                    "store": False, "stream": stream})  # fmt: skip
    return msgspec.json.encode({"model": model, "max_tokens": 1024, "messages": msgs,
                                "stream": stream})  # fmt: skip


# ---- the floor: httpx + httpx-sse + a msgspec decode of each event ---------------


def floor_sync(vendor: str, base: str) -> SyncFn:
    client = httpx.Client(timeout=60)
    decode = msgspec.json.Decoder().decode

    def run(model: str) -> str:
        pick = PICK[(vendor, kind_of(model))]
        url = base + PATHS[vendor][0].format(model=model)
        out = []
        body = request_body(vendor, model, True)
        headers = dict(HEADERS[vendor])
        with httpx_sse.connect_sse(client, "POST", url, content=body, headers=headers) as es:
            for ev in es.iter_sse():
                if ev.data != "[DONE]":
                    out.append(pick(decode(ev.data)) or "")
        return "".join(out)

    return run


def floor_events(vendor: str, base: str, model: str) -> Iterator[str | None]:
    """The floor's picks one by one (None for an event without text), for the
    linearity figure."""
    client = httpx.Client(timeout=120)
    decode = msgspec.json.Decoder().decode
    pick = PICK[(vendor, kind_of(model))]
    url = base + PATHS[vendor][0].format(model=model)
    body, headers = request_body(vendor, model, True), dict(HEADERS[vendor])
    with client, httpx_sse.connect_sse(client, "POST", url, content=body, headers=headers) as es:
        for ev in es.iter_sse():
            if ev.data != "[DONE]":
                yield pick(decode(ev.data))


def floor_async(vendor: str, base: str) -> AsyncFn:
    client = httpx.AsyncClient(timeout=60)
    decode = msgspec.json.Decoder().decode

    async def run(model: str) -> str:
        pick = PICK[(vendor, kind_of(model))]
        url = base + PATHS[vendor][0].format(model=model)
        out = []
        body = request_body(vendor, model, True)
        headers = dict(HEADERS[vendor])
        async with httpx_sse.aconnect_sse(client, "POST", url, content=body, headers=headers) as es:
            async for ev in es.aiter_sse():
                if ev.data != "[DONE]":
                    out.append(pick(decode(ev.data)) or "")
        return "".join(out)

    return run


def floor_chat(vendor: str, base: str) -> SyncFn:
    """One whole answer: a raw httpx request and a msgspec decode of the body."""
    client = httpx.Client(timeout=60)
    decode = msgspec.json.Decoder().decode
    text = {
        "anthropic": lambda d: d["content"][0]["text"],
        "openai": lambda d: d["choices"][0]["message"]["content"],
        "responses": lambda d: d["output"][0]["content"][0]["text"],
        "google": lambda d: d["candidates"][0]["content"]["parts"][0]["text"],
    }[vendor]

    def run(model: str) -> str:
        url = base + PATHS[vendor][1].format(model=model)
        r = client.post(url, content=request_body(vendor, model, False), headers=HEADERS[vendor])
        r.raise_for_status()
        return str(text(decode(r.content)))

    return run


# ---- llmkit ---------------------------------------------------------------------


# The consumers below dispatch on `type(ev)`: in CPython a failing `isinstance`
# against a class with a metaclass (every msgspec Struct) takes a slow path,
# ~70 ns per check; that is the application's cost, not the library's.
TextDelta, ToolCallDelta, Done = llmkit.TextDelta, llmkit.ToolCallDelta, llmkit.Done


# The endpoint llmkit names for each bench vendor: OpenAI's own endpoint is on
# Responses now, so Chat Completions is its explicit opt-in.
_ENDPOINT = {"openai": "openai-chat", "responses": "openai"}


def _llmkit_model(vendor: str, model: str) -> str:
    # an explicit provider: the fake model ids route anywhere
    return f"{_ENDPOINT.get(vendor, vendor)}:{model}"


def llmkit_sync(vendor: str, base: str) -> SyncFn:
    client = httpx.Client(timeout=60)

    def run(model: str) -> str:
        out = []
        events = llmkit.stream_sync(
            _llmkit_model(vendor, model), "hi", base_url=base, api_key="bench", http_client=client
        )
        for ev in events:
            kind = type(ev)
            if kind is TextDelta:
                out.append(ev.text)
            elif kind is ToolCallDelta:
                out.append(ev.arguments)
            elif kind is Done:
                _check_done(ev.response, "".join(out), kind_of(model))
        return "".join(out)

    return run


def llmkit_async(vendor: str, base: str) -> AsyncFn:
    client = httpx.AsyncClient(timeout=60)

    async def run(model: str) -> str:
        out = []
        events = llmkit.stream(
            _llmkit_model(vendor, model), "hi", base_url=base, api_key="bench", http_client=client
        )
        async for ev in events:
            kind = type(ev)
            if kind is TextDelta:
                out.append(ev.text)
            elif kind is ToolCallDelta:
                out.append(ev.arguments)
            elif kind is Done:
                _check_done(ev.response, "".join(out), kind_of(model))
        return "".join(out)

    return run


def _check_done(r: llmkit.Response, got: str, kind: str) -> None:
    if kind == "text":
        assert r.text == got, "Done.response.text differs from the deltas"
    else:  # one long call (Gemini: many whole ones)
        assert r.tool_calls, "no tool call"
        for call in r.tool_calls:
            assert call.ok and call.arguments, "a tool call's arguments did not parse"


def llmkit_chat(vendor: str, base: str) -> SyncFn:
    client = httpx.Client(timeout=60)

    def run(model: str) -> str:
        r = llmkit.chat_sync(
            _llmkit_model(vendor, model), "hi", base_url=base, api_key="bench", http_client=client
        )
        return r.text

    return run


# ---- peers (the `bench` dependency group) ---------------------------------------------


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def anthropic_raw(vendor: str, base: str) -> SyncFn:
    """The official SDK's raw event stream (`messages.create(stream=True)`)."""
    import anthropic

    client = anthropic.Anthropic(base_url=base, api_key="bench", max_retries=0)

    def run(model: str) -> str:
        out = []
        msgs: Any = [{"role": "user", "content": "hi"}]
        for ev in client.messages.create(model=model, max_tokens=1024, messages=msgs,
                                         stream=True):  # fmt: skip
            if ev.type == "content_block_delta":
                d = ev.delta
                if d.type == "text_delta":
                    out.append(d.text)
                elif d.type == "input_json_delta":
                    out.append(d.partial_json)
        return "".join(out)

    return run


def anthropic_helper(vendor: str, base: str) -> SyncFn:
    """The official SDK's accumulating helper (`messages.stream()`)."""
    import anthropic

    client = anthropic.Anthropic(base_url=base, api_key="bench", max_retries=0)

    def run(model: str) -> str:
        out = []
        msgs: Any = [{"role": "user", "content": "hi"}]
        with client.messages.stream(model=model, max_tokens=1024, messages=msgs) as s:
            for ev in s:
                if ev.type == "text":
                    out.append(ev.text)
                elif ev.type == "input_json":
                    out.append(ev.partial_json)
            s.get_final_message()
        return "".join(out)

    return run


def anthropic_async(vendor: str, base: str) -> AsyncFn:
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=base, api_key="bench", max_retries=0)

    async def run(model: str) -> str:
        out = []
        msgs: Any = [{"role": "user", "content": "hi"}]
        stream = await client.messages.create(model=model, max_tokens=1024, messages=msgs,
                                              stream=True)  # fmt: skip
        async for ev in stream:
            if ev.type == "content_block_delta":
                d = ev.delta
                if d.type == "text_delta":
                    out.append(d.text)
                elif d.type == "input_json_delta":
                    out.append(d.partial_json)
        return "".join(out)

    return run


def _openai_text(chunk: Any) -> str:
    if not chunk.choices:
        return ""
    d = chunk.choices[0].delta
    if d.tool_calls:
        return d.tool_calls[0].function.arguments or ""
    return d.content or ""


def openai_sync(vendor: str, base: str) -> SyncFn:
    import openai

    client = openai.OpenAI(base_url=base, api_key="bench", max_retries=0)

    def run(model: str) -> str:
        msgs: Any = [{"role": "user", "content": "hi"}]
        stream = client.chat.completions.create(model=model, messages=msgs, stream=True)
        return "".join(_openai_text(c) for c in stream)

    return run


def openai_async(vendor: str, base: str) -> AsyncFn:
    import openai

    client = openai.AsyncOpenAI(base_url=base, api_key="bench", max_retries=0)

    async def run(model: str) -> str:
        msgs: Any = [{"role": "user", "content": "hi"}]
        stream = await client.chat.completions.create(model=model, messages=msgs, stream=True)
        return "".join([_openai_text(c) async for c in stream])

    return run


def genai_sync(vendor: str, base: str) -> SyncFn:
    from google import genai
    from google.genai import types

    client = genai.Client(api_key="bench", http_options=types.HttpOptions(base_url=base))

    def run(model: str) -> str:
        out = []
        for chunk in client.models.generate_content_stream(model=model, contents="hi"):
            for p in chunk.candidates[0].content.parts:  # .text would warn on non-text
                out.append(p.text or "")
        return "".join(out)

    return run


def litellm_sync(vendor: str, base: str) -> SyncFn:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
    import litellm

    litellm.suppress_debug_info = True
    # A model litellm knows (an unknown one costs it a failed lookup per chunk);
    # the header tells the fake vendor which stream to send.
    real = {"anthropic": "anthropic/claude-sonnet-4-20250514", "openai": "openai/gpt-4o",
            "google": "gemini/gemini-2.5-flash"}[vendor]  # fmt: skip

    def run(model: str) -> str:
        out = []
        stream = litellm.completion(
            model=real, messages=[{"role": "user", "content": "hi"}], stream=True,
            api_base=base, api_key="bench", max_tokens=1024,
            extra_headers={"x-bench-model": model},
        )  # fmt: skip
        for chunk in stream:
            d = chunk.choices[0].delta if chunk.choices else None
            if d is None:
                continue
            if d.tool_calls:
                out.append(d.tool_calls[0].function.arguments or "")
            elif d.content:
                out.append(d.content)
        return "".join(out)

    return run


# name -> (module it needs, vendors it speaks, sync maker, async maker)
PEERS: dict[str, tuple[str, tuple[str, ...], Any, Any]] = {
    "anthropic raw": ("anthropic", ("anthropic",), anthropic_raw, anthropic_async),
    "anthropic .stream()": ("anthropic", ("anthropic",), anthropic_helper, None),
    "openai": ("openai", ("openai",), openai_sync, openai_async),
    "google-genai": ("google.genai", ("google",), genai_sync, None),
    "litellm": ("litellm", ("anthropic", "openai", "google"), litellm_sync, None),
}
