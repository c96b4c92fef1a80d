"""Conformance with real recorded Anthropic traffic (the shared corpus (`replay.CORPUS`)).

Responses: every Anthropic item is replayed through the real transport and its
text, tool calls, thinking, usage and finish reason are checked against what a
plain reference reading of the recorded body says (for streams, a small
dict-based accumulator written here, independent of llmkit's fold).

Requests: for each recorded request body, the same conversation is built with
llmkit and the request body it sends must be equivalent. Known, harmless
differences are normalized away (see `_canonical`): a string `system` or
string content vs. a one-text-block list, `"stream": false` vs. absent, an
empty tool `description`, `is_error: false`, and `caller` on replayed tool_use
(all are defaults on Anthropic's side). The clients that recorded the corpus
(fantasy, pydantic-ai) also send `disable_parallel_tool_use: false` or a
top-level `cache_control`; those are expressed through ToolChoice.parallel and
Options.extra.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from llmkit.errors import ApiError, InvalidRequest, NotFound, Unsupported
from llmkit.providers import anthropic
from llmkit.types import (
    ChatRequest,
    Message,
    Options,
    Reasoning,
    Response,
    Text,
    Thinking,
    Tool,
    ToolChoice,
)
from tests.providers.test_anthropic_stream import render_sse
from tests.replay import (
    CORPUS,
    base_url_of,
    corpus_params,
    corpus_rows,
    done,
    drive_chat,
    drive_stream,
)

# Every test here reads the shared corpus: without it, each skips saying so.
pytestmark = pytest.mark.usefixtures("corpus")

ROWS = list({r["file"]: r for r in corpus_rows("anthropic")}.values())  # the manifest repeats rows
REQ = ChatRequest(
    model="claude-sonnet-4-5", messages=[Message(role="user", content=[Text(text="hi")])]
)


def _rows(kind: str | None = None, with_request: bool = False) -> list[Any]:
    rows = [
        r
        for r in ROWS
        if (kind is None or r["kind"] == kind) and (r["request_file"] or not with_request)
    ]
    return corpus_params(rows, [r["file"].split("/")[-1] for r in rows])


def _read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


# ---- a reference reading of recorded bodies ------------------------------------------------


def sse_events(data: bytes) -> list[tuple[str, Any]]:
    events = []
    for frame in data.decode().replace("\r\n", "\n").split("\n\n"):
        name, lines = "message", []
        for line in frame.split("\n"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                lines.append(value)
        if lines:
            events.append((name, json.loads("\n".join(lines))))
    return events


def accumulate(events: list[tuple[str, Any]]) -> dict[str, Any]:
    """The message a stream describes, assembled the way the vendor documents."""
    msg: dict[str, Any] = {}
    partial: dict[int, str] = {}
    for name, d in events:
        if name == "message_start":
            msg = copy.deepcopy(d["message"])
        elif name == "content_block_start":
            assert d["index"] == len(msg["content"])
            msg["content"].append(copy.deepcopy(d["content_block"]))
        elif name == "content_block_delta":
            block, delta = msg["content"][d["index"]], d["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "input_json_delta":
                partial[d["index"]] = partial.get(d["index"], "") + delta["partial_json"]
        elif name == "content_block_stop" and d["index"] in partial:
            text = partial[d["index"]]
            msg["content"][d["index"]]["input"] = json.loads(text) if text else {}
        elif name == "message_delta":
            msg["stop_reason"] = d["delta"]["stop_reason"]
            msg["usage"].update({k: v for k, v in d["usage"].items() if v is not None})
    return msg


def expected(msg: dict[str, Any]) -> dict[str, Any]:
    blocks, u = msg["content"], msg["usage"]
    cached = u.get("cache_creation_input_tokens") or 0
    read = u.get("cache_read_input_tokens") or 0
    return {
        "text": "".join(b["text"] for b in blocks if b["type"] == "text"),
        "tool_calls": [(b["id"], b["name"], b["input"]) for b in blocks if b["type"] == "tool_use"],
        "thinking": [(b["thinking"], b["signature"]) for b in blocks if b["type"] == "thinking"],
        "input_tokens": u["input_tokens"] + cached + read,
        "cache": (read, cached),
        "output_tokens": u["output_tokens"],
        "stop_reason": msg["stop_reason"],
        "id": msg["id"],
    }


def observed(r: Response) -> dict[str, Any]:
    thinking = [p for p in r.message.content if isinstance(p, Thinking)]
    return {
        "text": r.text,
        "tool_calls": [(c.id, c.name, c.arguments) for c in r.tool_calls],
        "thinking": [(t.text, t.signature) for t in thinking],
        "input_tokens": r.usage.input_tokens,
        "cache": (r.usage.cache_read_tokens, r.usage.cache_write_tokens),
        "output_tokens": r.usage.output_tokens,
        "stop_reason": r.finish.raw,
        "id": r.id,
    }


# ---- responses ------------------------------------------------------------------------------


@pytest.mark.parametrize("row", _rows("stream"))
def test_recorded_stream(row: dict[str, str]) -> None:
    data = _read(row["file"])
    message = accumulate(sse_events(data))
    resp = done(drive_stream(anthropic, REQ, data))
    assert observed(resp) == expected(message)
    assert all(t.provider == "anthropic" for t in resp.message.content if isinstance(t, Thinking))
    assert resp.model == row["model"]
    # the stream's Done is what the non-streaming parse of the same message gives
    assert resp == anthropic.parse_response(json.dumps(message).encode())


@pytest.mark.parametrize("row", _rows("json"))
def test_recorded_json(row: dict[str, str]) -> None:
    data = _read(row["file"])
    message = json.loads(data)
    resp = drive_chat(anthropic, REQ, data)
    assert observed(resp) == expected(message)
    assert resp.model == row["model"]
    assert resp == anthropic.parse_response(data)
    # and streamed, the same message gives the same Response
    assert done(drive_stream(anthropic, REQ, render_sse(message))) == resp


_ERROR_KINDS: dict[int, type[ApiError]] = {400: InvalidRequest, 404: NotFound}


@pytest.mark.parametrize("row", _rows("error"))
def test_recorded_error(row: dict[str, str]) -> None:
    data = _read(row["file"])
    body = json.loads(data)
    status = int(row["http_status"])
    err = anthropic.parse_error(status, {}, data)
    assert type(err) is _ERROR_KINDS[status]
    assert (err.status, err.error_type, err.message, err.request_id) == (
        status,
        body["error"]["type"],
        body["error"]["message"],
        body["request_id"],
    )
    assert not err.retryable


# ---- requests -------------------------------------------------------------------------------

# The API answered these with an error; llmkit refuses them before any I/O.
REFUSED = {"anthropic/pai_error_400_effort_unsupported.request.json": "effort 'xhigh'"}


def _tool(t: dict[str, Any]) -> Tool:
    return Tool(
        name=t["name"],
        description=t.get("description", ""),
        parameters=t["input_schema"],
        strict=t.get("strict"),
        cache="cache_control" in t,
    )


def _choice(c: dict[str, Any] | None) -> ToolChoice | None:
    if c is None:
        return None
    mode = {"auto": "auto", "any": "required", "tool": "tool", "none": "none"}[c["type"]]
    disable = c.get("disable_parallel_tool_use")
    return ToolChoice(
        mode=mode,  # type: ignore[arg-type]
        name=c.get("name"),
        parallel=None if disable is None else not disable,
    )


_MODELLED = {"model", "max_tokens", "system", "messages", "tools", "tool_choice", "thinking",
             "output_config", "stream", "temperature", "top_p", "stop_sequences"}  # fmt: skip


def unified(recorded: dict[str, Any]) -> ChatRequest:
    """The recorded conversation expressed with llmkit's types."""
    thinking = recorded.get("thinking") or {}
    effort = (recorded.get("output_config") or {}).get("effort")
    reasoning = None
    if thinking or effort:
        reasoning = Reasoning(budget=thinking.get("budget_tokens"), effort=effort)
    return ChatRequest(
        model=recorded["model"],
        messages=anthropic.messages_from_wire(recorded.get("system"), recorded["messages"]),
        tools=[_tool(t) for t in recorded.get("tools", [])],
        tool_choice=_choice(recorded.get("tool_choice")),
        options=Options(
            max_tokens=recorded["max_tokens"],
            temperature=recorded.get("temperature"),
            top_p=recorded.get("top_p"),
            stop=recorded.get("stop_sequences", []),
            reasoning=reasoning,
            extra={k: v for k, v in recorded.items() if k not in _MODELLED},
        ),
        stream=bool(recorded.get("stream")),
    )


def _canonical(x: Any) -> Any:
    """Equivalent Anthropic JSON spellings, made equal (see the module docstring)."""
    if isinstance(x, list):
        return [_canonical(v) for v in x]
    if not isinstance(x, dict):
        return x
    out = {k: _canonical(v) for k, v in x.items()}
    if out.get("type") == "tool_use":
        out.pop("caller", None)
    if out.get("is_error") is False:
        del out["is_error"]
    if out.get("description") == "" and "input_schema" in out:
        del out["description"]
    if isinstance(out.get("system"), str):
        out["system"] = [{"type": "text", "text": out["system"]}]
    if out.get("role") in ("user", "assistant") and isinstance(out.get("content"), str):
        out["content"] = [{"type": "text", "text": out["content"]}]
    if out.get("stream") is False:
        del out["stream"]
    return out


@pytest.mark.parametrize("row", _rows(with_request=True))
def test_recorded_request_is_rebuilt(row: dict[str, str]) -> None:
    recorded = json.loads(_read(row["request_file"]))
    req = unified(recorded)
    if row["request_file"] in REFUSED:
        with pytest.raises(Unsupported, match=REFUSED[row["request_file"]]):
            anthropic.build_request(req, base_url_of(anthropic))
        return
    hr = anthropic.build_request(req, base_url_of(anthropic))
    assert hr.url.endswith("/v1/messages")
    assert hr.body is not None
    assert _canonical(json.loads(hr.body)) == _canonical(recorded)


def test_recorded_turn2_replays_turn1_thinking_verbatim() -> None:
    """fantasy's thinking tool loop: the recorded second request carries the
    first answer's signed thinking; llmkit's parse of the first answer, sent
    back, gives the same assistant turn."""
    turn1 = anthropic.parse_response(_read("anthropic/fantasy_sonnet4_thinking_turn1.json"))
    recorded = json.loads(
        _read("anthropic/fantasy_sonnet4_thinking_stream_turn2_after_tool_result.request.json")
    )
    _, wire = anthropic.messages_to_wire([turn1.message])
    sent = _canonical(recorded["messages"][1])
    mine = _canonical(wire[0])
    # the recording is of a different run than turn1.json: compare the shape and
    # that the signature travels with its own thinking text
    assert [b["type"] for b in mine["content"]] == [b["type"] for b in sent["content"]]
    thinking = turn1.message.content[0]
    assert isinstance(thinking, Thinking)
    assert mine["content"][0] == {
        "type": "thinking",
        "thinking": thinking.text,
        "signature": thinking.signature,
    }
