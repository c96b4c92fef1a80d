"""What a vendor said comes back to it unchanged: every response llmkit parses
(our fixtures and the shared corpus, streamed and not), put into the history,
builds a next request that gives the vendor back its own content: Anthropic
blocks with thinking signatures and redacted thinking, Gemini parts with their
thought signatures on the same parts, OpenAI / xAI tool call ids and the exact
argument text. Plus a generated wire round-trip for Chat Completions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.providers import openai, xai
from llmkit.types import ChatRequest, Message, Response, Text
from tests.contract import table
from tests.replay import CORPUS, drive_stream

_SKIP = re.compile(r"error|failed|models|\.request\.|\.headers\.|README")
# The wires in the contract table, by their short names (the toy wire speaks no vendor's
# history); the checks below are each vendor's own.
PROVIDERS = {table.short(n): table.module(n) for n in table.NAMES if n != table.TOY}


def _responses(vendor: str) -> list[Path]:
    name = next(n for n in table.NAMES if table.short(n) == vendor)
    own = [
        p for p in [*table.streams(name), *table.bodies(name)] if not _SKIP.search(p.name)
    ]  # fmt: skip
    gaps = dict(table.WIRES[name].gaps)
    corpus = [
        CORPUS / r["file"] for n, r in table.corpus_rows()
        if n == name and r["kind"] in ("json", "stream") and r["http_status"] == "200"
        and r["file"] not in gaps
    ]  # fmt: skip
    return own + corpus


CASES = [(v, p) for v in PROVIDERS for p in _responses(v)]


def _parse(vendor: str, path: Path) -> Response:
    p = PROVIDERS[vendor]
    if path.suffix == ".json":
        return p.parse_response(path.read_bytes())
    req = ChatRequest(
        model="m", messages=[Message(role="user", content=[Text(text="q")])], stream=True
    )
    return drive_stream(p, req, path.read_bytes())[-1].response  # type: ignore[attr-defined]


def _next_request(vendor: str, said: Message) -> dict[str, Any]:
    """The JSON body of the request that continues after `said`."""
    history = [Message(role="user", content=[Text(text="q")]), said,
               Message(role="user", content=[Text(text="next")])]  # fmt: skip
    # the same model goes on (Gemini binds signatures to the model that made them)
    default = {"anthropic": "claude-x", "google": "gemini-2.5-flash"}.get(vendor, "gpt-4o")
    model = said.model if vendor == "google" and said.model else default
    p = PROVIDERS[vendor]
    body = p.build_request(
        ChatRequest(model=model, messages=history), "https://roundtrip.invalid"
    ).body
    return json.loads(body or b"{}")  # type: ignore[no-any-return]


def _anthropic_said(body: dict[str, Any]) -> list[dict[str, Any]]:
    return next(m for m in body["messages"] if m["role"] == "assistant")["content"]


_SIGNATURE = re.compile(r'"(?:signature|thoughtSignature)"\s*:\s*"([^"]+)"')
_REDACTED = re.compile(r'"type"\s*:\s*"redacted_thinking"\s*,\s*"data"\s*:\s*"([^"]+)"')


def _signed_values(raw: str) -> list[str]:
    """Signatures and redacted thinking as the vendor sent them."""
    return _SIGNATURE.findall(raw) + _REDACTED.findall(raw)


@pytest.mark.parametrize(("vendor", "path"), CASES, ids=[f"{v}/{p.name}" for v, p in CASES])
def test_what_a_vendor_said_goes_back_unchanged(vendor: str, path: Path) -> None:
    resp = _parse(vendor, path)
    body = _next_request(vendor, resp.message)
    raw = path.read_text()
    sent = json.dumps(body)
    for value in _signed_values(raw):
        assert value in sent, f"lost {value[:24]}…"
    if vendor in ("responses", "xai_responses"):
        _replayed_items(vendor, path, body)
        return
    if path.suffix != ".json":
        for call in resp.tool_calls:
            assert call.id in sent or call.id.startswith("llmkit-gemini-")
        return
    wire = json.loads(raw)
    if isinstance(wire, list):  # some recorders wrap Gemini bodies in an array
        wire = wire[0]
    if vendor == "anthropic":
        said = [{k: v for k, v in b.items() if k != "caller"} for b in wire["content"]]
        said = [b for b in said if not (b.get("type") == "text" and not b.get("text"))]
        assert _anthropic_said(body) == said
    elif vendor == "google":
        parts = (wire.get("candidates") or [{}])[0].get("content", {}).get("parts", [])
        model_turns = [t for t in body["contents"] if t["role"] == "model"]
        got = model_turns[0]["parts"] if model_turns else []
        signed = [p for p in parts if "thoughtSignature" in p]
        assert [p for p in got if "thoughtSignature" in p] == [
            _merged_text(parts, p) for p in signed
        ]
        assert [p["functionCall"] for p in got if "functionCall" in p] == [
            p["functionCall"] for p in parts if "functionCall" in p
        ]
    else:
        message = wire["choices"][0]["message"]
        (assistant,) = [m for m in body["messages"] if m["role"] == "assistant"]
        assert assistant.get("tool_calls") == message.get("tool_calls"), "ids and exact arguments"
        assert (assistant.get("content") or None) == (
            message.get("content") or message.get("refusal") or None
        )


def _replayed_items(vendor: str, path: Path, body: dict[str, Any]) -> None:
    """Responses: each output item goes back as an input item, in order, with
    its ids, encrypted reasoning (the final copy) and exact arguments."""
    raw = path.read_text()
    if path.suffix == ".json":
        output = json.loads(raw)["output"]
    else:
        frames = [json.loads(ln[5:]) for ln in raw.splitlines() if ln.startswith("data:")]
        ends = ("response.completed", "response.incomplete")
        output = next(f for f in reversed(frames) if f["type"] in ends)
        output = output["response"]["output"]
    expected: list[Any] = []
    for it in output:
        if it["type"] == "reasoning":
            if it.get("encrypted_content"):  # without it, store:false cannot take it back
                status = {"status": "completed"} if vendor == "xai_responses" else {}
                enc = {"encrypted_content": it["encrypted_content"]}
                expected.append({"type": "reasoning", "id": it["id"], "summary": it["summary"],
                                 **status, **enc})  # fmt: skip
        elif it["type"] == "function_call":
            keys = ("call_id", "name", "arguments", "id")
            expected.append({"type": "function_call", **{k: it[k] for k in keys}})
        elif it["type"] == "message" and vendor == "xai_responses":
            expected += [{"role": "assistant", "content": c["text"]} for c in it["content"]]
        elif it["type"] == "message":
            content = [
                {"type": "output_text", "text": c.get("text", c.get("refusal", "")),
                 "annotations": c.get("annotations") or []}
                for c in it["content"]
            ]  # fmt: skip
            phase = {"phase": it["phase"]} if "phase" in it else {}
            expected.append({"type": "message", "role": "assistant", "id": it["id"],
                             "status": "completed", "content": content, **phase})  # fmt: skip
            # (an `incomplete` message goes back as `completed`: its text is all there is)
        else:
            expected.append(it)  # hosted items, verbatim
    assert body["input"][1:-1] == expected


def _merged_text(parts: list[dict[str, Any]], signed: dict[str, Any]) -> dict[str, Any]:
    """A signed text part closes the run of unsigned text parts before it:
    Gemini's own answer, when streamed, is one such run (see google._stream)."""
    if "text" not in signed:
        return signed
    i = parts.index(signed)
    start = i
    while start > 0 and "text" in parts[start - 1] and "thoughtSignature" not in parts[start - 1]:
        if parts[start - 1].get("thought") != signed.get("thought"):
            break
        start -= 1
    text = "".join(p["text"] for p in parts[start : i + 1])
    return {**signed, "text": text}


# ---- Chat Completions: generated wire histories ---------------------------------------

_text = st.text(min_size=1, max_size=12)
_id = st.from_regex(r"call_[A-Za-z0-9]{4,12}", fullmatch=True)
_key = st.from_regex(r"[a-z]{1,6}", fullmatch=True)
_args = st.dictionaries(_key, st.integers() | st.text(max_size=6), max_size=3).map(json.dumps)
_user_part = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, _text),
    st.just({"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}),
    st.just({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}),
)
_call = st.builds(
    lambda i, n, a: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
    _id, st.from_regex(r"[a-z_]{1,10}", fullmatch=True), _args,
)  # fmt: skip


@st.composite
def _histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if draw(st.booleans()):
        out.append({"role": "system", "content": draw(_text)})
    for _ in range(draw(st.integers(1, 4))):
        content = draw(_text | st.lists(_user_part, min_size=2, max_size=3))
        out.append({"role": "user", "content": content})
        calls = draw(st.lists(_call, max_size=2, unique_by=lambda c: c["id"]))
        reply: dict[str, Any] = {"role": "assistant"}
        if not calls or draw(st.booleans()):
            reply["content"] = draw(_text)
        if calls:
            reply["tool_calls"] = calls
        out.append(reply)
        out += [{"role": "tool", "tool_call_id": c["id"], "content": draw(_text)} for c in calls]
    return out


@given(_histories())
def test_chat_completions_wire_to_unified_to_wire_is_the_identity(
    history: list[dict[str, Any]],
) -> None:
    for p in (openai, xai):
        assert p.messages_to_wire(p.messages_from_wire(history)) == history
