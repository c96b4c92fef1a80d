"""Model switching as a property: conversations hop between vendors at random,
every answer replayed through the real transport in the vendor's own shape,
and after every hop the request each vendor received must be one it accepts,
carry nothing signed by another vendor, and lose nothing the user can see."""

from __future__ import annotations

import base64
import itertools
import json
import re
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import llmkit
from llmkit.types import Image, Message, Text, ToolResult
from tests import vendor_bodies as vb
from tests.replay import base_url_of

# every vendor tests/vendor_bodies.py answers as
VENDORS = list(vb.MODELS)
HOSTS = {
    httpx.URL(ep.base_url).host: name
    for name, ep in llmkit.registry.DEFAULT.endpoints.items()
    if name in VENDORS
}
# Gemini 3: the generation that rejects unsigned function calls.
MODELS = {**vb.MODELS, "google": "gemini-3.8-flash"}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-tiny-image").decode()


@llmkit.tool
def lookup(q: str) -> str:
    """Look something up."""
    return q


class Hop(msgspec.Struct, frozen=True):
    vendor: str
    image: bool
    calls: int  # tool calls in the answer
    thinking: bool
    answer: bool  # text beside the calls (always text when there are none)


hops = st.lists(
    st.builds(
        Hop,
        vendor=st.sampled_from(VENDORS),
        image=st.booleans(),
        calls=st.integers(0, 2),
        thinking=st.booleans(),
        answer=st.booleans(),
    ),
    min_size=2,
    max_size=6,
)


def _answer(k: int, hop: Hop) -> bytes:
    calls = [(f"call_{k}_{j}", "lookup", {"q": f"Q{k}{j}"}) for j in range(hop.calls)]
    text = f"A{k} answer" if hop.answer or not calls else None
    thinking = f"T{k} reasoning" if hop.thinking else None
    return vb.reply(hop.vendor, text, calls, n=k, thinking=thinking, model=MODELS[hop.vendor])


# ---- what each vendor accepts ------------------------------------------------------


def _anthropic_ok(body: dict[str, Any]) -> None:
    msgs = body["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant"] * (len(msgs) // 2) + ["user"]
    for prev, m in itertools.pairwise(msgs):
        blocks = m["content"] if isinstance(m["content"], list) else []
        calls = [b["id"] for b in prev.get("content", []) if isinstance(b, dict)
                 and b.get("type") == "tool_use"]  # fmt: skip
        results = [b["tool_use_id"] for b in blocks if b.get("type") == "tool_result"]
        assert sorted(results) == sorted(calls), "every tool_use answered in the next turn"
        assert blocks[: len(results)] == [b for b in blocks if b.get("type") == "tool_result"]
        for b in blocks:
            assert b.get("type") != "text" or b["text"], "no empty text blocks"


def _responses_ok(body: dict[str, Any]) -> None:
    """OpenAI and xAI on Responses: stateless, every call answered by a
    `function_call_output` with its `call_id` before the conversation goes on,
    reasoning items whole (id and encrypted content)."""
    assert body["store"] is False
    assert body.get("include", ["reasoning.encrypted_content"]) == ["reasoning.encrypted_content"]
    waiting: list[str] = []
    for it in body["input"]:
        kind = it.get("type", "message")
        if kind == "function_call_output":
            assert it["call_id"] in waiting, "a tool result follows its call"
            waiting.remove(it["call_id"])
            continue
        if kind == "function_call":
            json.loads(it["arguments"])
            waiting.append(it["call_id"])
            continue
        assert not waiting, "every call answered before the conversation goes on"
        if kind == "reasoning":
            assert it["id"].startswith("rs_") and it["encrypted_content"]
        else:
            assert it["role"] in ("user", "assistant")
    assert not waiting and body["input"][-1]["role"] == "user"


def _openai_ok(body: dict[str, Any]) -> None:
    msgs = body["messages"]
    waiting: list[str] = []
    for m in msgs:
        assert m["role"] in ("system", "user", "assistant", "tool")
        if m["role"] == "tool":
            assert m["tool_call_id"] in waiting, "a tool result follows its call"
            waiting.remove(m["tool_call_id"])
            continue
        assert not waiting, "every call answered before the conversation goes on"
        if m["role"] == "assistant":
            waiting = [c["id"] for c in m.get("tool_calls", [])]
            for c in m.get("tool_calls", []):
                json.loads(c["function"]["arguments"])
    assert not waiting and msgs[-1]["role"] == "user"


def _google_ok(body: dict[str, Any]) -> None:
    turns = body["contents"]
    assert [t["role"] for t in turns] == ["user", "model"] * (len(turns) // 2) + ["user"]
    for prev, t in itertools.pairwise(turns):
        calls = [p["functionCall"] for p in prev["parts"] if "functionCall" in p]
        answers = [p["functionResponse"] for p in t["parts"] if "functionResponse" in p]
        assert [a["name"] for a in answers] == [c["name"] for c in calls], "by name and order"
        assert [a.get("id") for a in answers] == [c.get("id") for c in calls]
        assert t["parts"][: len(answers)] == [p for p in t["parts"] if "functionResponse" in p]
        if calls:  # Gemini 3 validates the first call of each step
            first = next(p for p in prev["parts"] if "functionCall" in p)
            assert "thoughtSignature" in first


VALID = {"anthropic": _anthropic_ok, "openai": _responses_ok, "xai": _responses_ok,
         "google": _google_ok, "openai-chat": _openai_ok}  # fmt: skip


def _no_foreign_signatures(vendor: str, raw: str) -> None:
    for maker in re.findall(r"SIG-(\w+)-\d+", raw):
        assert maker == vendor, f"a {maker} signature was sent to {vendor}"


def _nothing_visible_lost(history: list[Message], raw: str) -> None:
    for m in history:
        for p in m.content:
            if isinstance(p, Text) and p.text:
                assert p.text in raw, f"lost {p.text!r}"
            elif isinstance(p, ToolResult):
                assert str(p.content) in raw, f"lost tool result {p.content!r}"
            elif isinstance(p, Image):
                assert PNG in raw, "lost an image"
            elif isinstance(p, llmkit.ToolCall):
                assert f"Q{p.arguments['q'][1:]}" in raw, f"lost the call {p.id}"


def _thinking_stays_home(history: list[Message], vendor: str, raw: str) -> None:
    for m in history:
        for p in m.content:
            if isinstance(p, llmkit.Thinking):
                own = p.provider == vendor and vendor != "openai-chat"
                assert (p.text in raw) == own, f"{p.provider} thinking sent to {vendor}: {own=}"


# ---- the property -------------------------------------------------------------------


def _converse(route: list[Hop]) -> None:
    sent: list[tuple[str, bytes]] = []
    answers: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((HOSTS[request.url.host], request.content))
        return httpx.Response(200, headers={"content-type": "application/json"},
                              content=answers.pop())  # fmt: skip

    history: list[Message] = [llmkit.system("Be brief.")]
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        for k, hop in enumerate(route):
            content: list[Any] = [Text(text=f"U{k} question")]
            if hop.image:
                content.append(Image(media_type="image/png", data=PNG))
            history.append(Message(role="user", content=content))
            answers.append(_answer(k, hop))
            resp = llmkit.chat_sync(MODELS[hop.vendor], history, tools=[lookup],
                                    http_client=client, api_key="test-key")  # fmt: skip
            vendor, body = sent[-1]
            assert vendor == hop.vendor
            raw = body.decode()
            VALID[vendor](json.loads(raw))
            _no_foreign_signatures(vendor, raw)
            _nothing_visible_lost(history, raw)
            _thinking_stays_home(history, vendor, raw)
            history.append(resp.message)
            if resp.tool_calls:
                results = [ToolResult(tool_call_id=c.id, name=c.name, content=f"R{k}{j}")
                           for j, c in enumerate(resp.tool_calls)]  # fmt: skip
                history.append(Message(role="tool", content=list(results)))


@given(hops)
def test_any_route_through_the_vendors(route: list[Hop]) -> None:
    _converse(route)


@pytest.mark.parametrize("first", VENDORS)
@pytest.mark.parametrize("second", VENDORS)
def test_every_pair_with_tools_images_and_thinking(first: str, second: str) -> None:
    full = {"image": True, "calls": 2, "thinking": True, "answer": True}
    _converse([Hop(vendor=first, **full), Hop(vendor=second, **full), Hop(vendor=first, **full)])


def test_gemini_signatures_stay_with_the_gemini_model_that_made_them() -> None:
    """A thought signature is bound to its model
    (https://ai.google.dev/gemini-api/docs/thought-signatures): the same
    conversation moved to another Gemini model goes without it."""
    old = vb.reply("google", None, [("c1", "lookup", {"q": "Q"})], thinking="T0 reasoning",
                   model="gemini-2.5-flash")  # fmt: skip
    said = google_parse(old).message
    history = [llmkit.user("U0"), said,
               Message(role="tool", content=[ToolResult(tool_call_id=said.content[1].id,  # type: ignore[union-attr]
                                                        name="lookup", content="R")])]  # fmt: skip
    same = _google_body(history, "gemini-2.5-flash")
    moved = _google_body(history, "gemini-3.8-flash")
    assert "SIG-google" in same and "T0 reasoning" in same
    assert "SIG-google" not in moved and "T0 reasoning" not in moved
    assert "skip_thought_signature_validator" in moved  # Gemini 3 still gets its call vouched


def _google_body(history: list[Message], model: str) -> str:
    from llmkit.providers import google
    from llmkit.types import ChatRequest

    req = ChatRequest(model=model, messages=history)
    return (google.build_request(req, base_url_of(google)).body or b"").decode()


def google_parse(body: bytes) -> llmkit.Response:
    from llmkit.providers import google

    return google.parse_response(body)


def test_thinking_as_text_policy() -> None:
    """With foreign_thinking="text", another vendor's reasoning is kept in view
    as plain text, still without its signature."""
    answers = [vb.reply("anthropic", "A0", thinking="T0 reasoning")]
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        body = answers.pop() if answers else vb.reply(HOSTS[request.url.host], "A1")
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        kw: dict[str, Any] = {"http_client": client, "api_key": "k"}
        first = llmkit.chat_sync(vb.MODELS["anthropic"], "U0", **kw)
        history = [llmkit.user("U0"), first.message, llmkit.user("U1")]
        for vendor in ("openai", "xai", "google"):
            llmkit.chat_sync(MODELS[vendor], history, foreign_thinking="text", **kw)
            raw = sent[-1].decode()
            assert "T0 reasoning" in raw and "SIG-anthropic" not in raw
            llmkit.chat_sync(MODELS[vendor], history, **kw)
            assert "T0 reasoning" not in sent[-1].decode()


def test_a_compatible_endpoints_signatures_never_reach_the_real_vendor() -> None:
    """An Anthropic-compatible server's signed thinking is its own: sent to
    Claude it is foreign, so it is dropped, never replayed as Claude's."""
    reg = llmkit.with_endpoint(
        llmkit.registry.current(), "lookalike", base_url="https://lookalike.test",
        wire="anthropic",
    )  # fmt: skip
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        answer = vb.reply("anthropic", "A0", thinking="T0 reasoning")
        return httpx.Response(200, headers={"content-type": "application/json"}, content=answer)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        kw: dict[str, Any] = {"http_client": client, "api_key": "k", "registry": reg}
        first = llmkit.chat_sync("lookalike:model-x", "U0", **kw)
        assert first.provider == "lookalike"
        assert {getattr(p, "provider", None) for p in first.message.content} == {"lookalike", None}
        llmkit.chat_sync("claude-sonnet-4-5", [llmkit.user("U0"), first.message,
                                               llmkit.user("U1")], **kw)  # fmt: skip
    assert "T0 reasoning" not in sent[1].decode() and "SIG-" not in sent[1].decode()


def test_claude_gpt_gemini_grok_and_back_each_reasoning_stays_home() -> None:
    """Every vendor thinks and calls a tool; on the way back each gets its own
    reasoning again (OpenAI's and xAI's as encrypted Responses items, in place),
    and never another's."""
    full = {"image": False, "calls": 1, "thinking": True, "answer": True}
    order = ["anthropic", "openai", "google", "xai", "google", "openai", "anthropic", "xai"]
    _converse([Hop(vendor=v, **full) for v in order])
