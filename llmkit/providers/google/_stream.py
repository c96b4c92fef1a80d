"""Gemini answers as a fold: one `GenerateContentResponse` at a time.

`alt=sse` sends every chunk as a whole GenerateContentResponse holding only the
new parts, with no terminator; the non-streamed answer is the same object
holding all parts. So `parse_response` (`_response`) is this fold over one
chunk, and a stream's `Done` equals `parse_response` of the body whose parts are all the
streamed parts in order (usage and finishReason from the last chunk).

Text parts: consecutive text (or thought) parts are one llmkit part until a
part carries a `thoughtSignature`; that signature goes on the part and ends it.
Streaming sends a text answer in pieces and its signature on a last part whose
`text` is empty; the non-streamed answer sends one part with both. Both give
`Text(whole_text, signature)`. An empty unsigned text part adds nothing; an
empty signed one after no open text (say after a functionCall) is kept.

Chunks have no blocks, so an llmkit text or thought part is the block: it opens
(TextStart / ThinkingStart) when it starts and closes (TextEnd / ThinkingEnd)
when it ends as above, when another part comes, or when the stream finishes.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec
from msgspec.structs import replace

from llmkit.errors import LlmkitError, StreamError
from llmkit.protocols import SseEvent
from llmkit.providers._common import Rope, decode, rope_add, rope_merged, rope_text
from llmkit.providers.google import _errors
from llmkit.providers.google import _history as pt
from llmkit.providers.google import _partial_args as pa
from llmkit.providers.google import _wire as w
from llmkit.types import (
    ChatRequest,
    Done,
    Finish,
    Finished,
    FinishReason,
    Message,
    Part,
    Raw,
    Response,
    StreamEvent,
    TextDelta,
    TextEnd,
    TextStart,
    ThinkingDelta,
    ThinkingEnd,
    ThinkingStart,
    ToolCall,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    Usage,
    UsageUpdate,
)

NAME = pt.NAME
_Parts: TypeAlias = "tuple[Part, _Parts] | None"  # finished parts, newest first
_NONE, _TEXT, _THOUGHT = 0, 1, 2

_FINISH: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "TOO_MANY_TOOL_CALLS": "error",
    "MISSING_THOUGHT_SIGNATURE": "error",
}


class State(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Frozen values never form a reference cycle: the collector skips them."""

    parts: _Parts = None
    n: int = 0  # len(parts); the open text part, if any, has index n
    kind: int = _NONE  # what the open text part is
    rope: Rope = None
    chunks: int = 0  # in the rope since its newest were last merged (`rope_merged`)
    sig: str | None = None  # a signed open part takes no more text
    calls: int = 0
    usage: Usage = Usage()
    finish_raw: str | None = None
    blocked: str | None = None
    model: str | None = None
    response_id: str | None = None
    streaming: pa.Open | None = None  # a call whose arguments are still arriving


def _map_usage(u: w.UsageMetadata) -> Usage:
    # promptTokenCount includes cached tokens; toolUsePromptTokenCount (tool
    # results Gemini fed itself, e.g. search) is prompt read by the model, so it
    # counts as input. candidatesTokenCount excludes thoughts: add them.
    return Usage(
        input_tokens=u.prompt_token_count + u.tool_use_prompt_token_count,
        output_tokens=u.candidates_token_count + u.thoughts_token_count,
        cache_read_tokens=u.cached_content_token_count,
        reasoning_tokens=u.thoughts_token_count,
    )


def _map_finish(s: State) -> Finish | None:
    if s.finish_raw is not None:
        reason = _FINISH.get(s.finish_raw, "other")
        # Gemini has no tool-call finish: a turn ending in calls says STOP.
        return Finish(
            reason="tool_calls" if reason == "stop" and s.calls else reason, raw=s.finish_raw
        )
    if s.blocked is not None:  # the prompt was blocked: no candidates at all
        return Finish(reason="content_filter", raw=s.blocked)
    return None


def _close(s: State) -> State:
    if s.kind == _NONE:
        return s
    part = pt.text_from_wire(rope_text(s.rope), s.kind == _THOUGHT, s.sig)
    return replace(s, parts=(part, s.parts), n=s.n + 1, kind=_NONE, rope=None, chunks=0, sig=None)


def _end(s: State, out: list[StreamEvent]) -> State:
    """`_close`, saying so in the stream."""
    if s.kind != _NONE:
        out.append((ThinkingEnd if s.kind == _THOUGHT else TextEnd)(index=s.n))
    return _close(s)


def _text(s: State, text: str, kind: int, sig: str | None, out: list[StreamEvent]) -> State:
    """Fold a text or thought part: it extends the open part of its kind unless
    that part is signed; an empty unsigned part changes nothing."""
    if not text and sig is None:
        return s
    if s.kind != kind or s.sig is not None:
        s = replace(_end(s, out), kind=kind)
        out.append((ThinkingStart if kind == _THOUGHT else TextStart)(index=s.n))
    if text:
        out.append((ThinkingDelta if kind == _THOUGHT else TextDelta)(index=s.n, text=text))
    return replace(s, rope=rope_add(s.rope, text), sig=sig)


def _streamed(s: State, p: w.Part, out: list[StreamEvent]) -> State:
    """A part of a call whose arguments stream (see `_partial_args`)."""
    fc = p.function_call
    assert fc is not None
    o = s.streaming
    if o is None or fc.name:  # a new call (ending one left open)
        s = _end(_ended(s, out), out)
        o = pa.start(fc, pt.synth_id(s.response_id or "", s.calls), p.thought_signature)
        out.append(ToolCallStart(index=s.n, id=o.id, name=o.name))
    o, text = pa.add(o, fc)
    if text:
        out.append(ToolCallDelta(index=s.n, arguments=text))
    s = replace(s, streaming=o)
    return _ended(s, out) if pa.done(fc) else s


def _ended(s: State, out: list[StreamEvent]) -> State:
    """Finish the streamed call, if one is open."""
    o = s.streaming
    if o is None:
        return s
    if text := pa.end(o):
        out.append(ToolCallDelta(index=s.n, arguments=text))
    args = pa.arguments(o)
    part = ToolCall(id=o.id, name=o.name, arguments=args, signature=o.signature, provider=NAME)
    out.append(ToolCallEnd(index=s.n, call=part))
    return replace(s, parts=(part, s.parts), n=s.n + 1, calls=s.calls + 1, streaming=None)


_encode = w.ENCODE.encode


def _decode(decoder: msgspec.json.Decoder[Any], raw: msgspec.Raw) -> Any:
    return decode(decoder, raw, NAME)


class _NeedsRaw(Exception):
    """A part to keep verbatim came in a chunk decoded without `Raw` slices."""


def _part(s: State, p: w.Part, raw: msgspec.Raw | None, out: list[StreamEvent]) -> State:
    """Every part but more of the open text and a whole call (`fold` does
    those); `raw` is the part's JSON when it came as a `Raw` slice."""
    if s.streaming is not None and p.function_call is None:
        s = _ended(s, out)
    data = p.function_call or p.inline_data or p.file_data or p.function_response
    text, sig = p.text, p.thought_signature
    if data is None and (text is not None or sig is not None):
        # A part with only a signature is an empty text part
        # (https://ai.google.dev/gemini-api/docs/thought-signatures).
        return _text(s, text or "", _THOUGHT if p.thought else _TEXT, sig, out)
    if p.function_call is not None:
        return _streamed(s, p, out)
    part = pt.from_wire(p, "")
    if part is None:
        if raw is None:
            raise _NeedsRaw
        part = Raw(provider=NAME, data=_decode(w.ANY, raw))
    s = _end(s, out)
    return replace(s, parts=(part, s.parts), n=s.n + 1)


def _typed(raw: msgspec.Raw) -> w.Part:
    try:
        return w.PART.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):  # the typed error, from the helper
        return _decode(w.PART, raw)  # type: ignore[no-any-return]


def fold(s: State, c: w.Chunk | w.PartsChunk) -> tuple[State, list[StreamEvent]]:
    out: list[StreamEvent] = []
    was_open = s.finish_raw is None and s.blocked is None
    if c.response_id is not None and c.response_id != s.response_id:
        s = replace(s, response_id=c.response_id)  # before parts: it scopes synthesized ids
    # Usage comes as running totals, the latest winning. The state takes it
    # with the parts' own update when there is one (a chunk's one `replace`),
    # its event after theirs.
    usage = s.usage
    if c.usage_metadata is not None:
        latest = _map_usage(c.usage_metadata)
        if latest != usage:
            usage = latest
    fresh = usage is not s.usage
    # Only candidate 0: llmkit answers are one message (candidateCount is 1).
    for cand in c.candidates:
        if cand.index != 0:
            continue
        if cand.content is not None:
            for x in cand.content.parts:
                raw = None
                if type(x) is msgspec.Raw:  # parts kept verbatim if llmkit has no type for them
                    raw, x = x, _typed(x)
                if (x.text and x.thought_signature is None and s.sig is None
                        and s.kind == (_THOUGHT if x.thought else _TEXT)
                        and x.function_call is None and x.inline_data is None
                        and x.file_data is None and x.function_response is None):  # fmt: skip
                    # more of the open text (0.1 µs a chunk less than `_part`)
                    out.append((ThinkingDelta if x.thought else TextDelta)(index=s.n, text=x.text))
                    if s.chunks < 63:
                        s = replace(s, rope=(x.text, s.rope), chunks=s.chunks + 1, usage=usage)
                    else:
                        rope = rope_merged((x.text, s.rope), 64)
                        s = replace(s, rope=rope, chunks=0, usage=usage)
                elif ((fc := x.function_call) is not None and s.streaming is None
                        and not (fc.will_continue and fc.name)):  # fmt: skip
                    # A whole call: not a part of one whose arguments stream
                    # (`_partial_args`), nor one opening it (a name, more to come).
                    # Its arguments are whole-numbered already (`w.whole_number`,
                    # the decoders' float hook): `pt.from_wire` would walk them again.
                    if s.kind != _NONE:
                        s = _end(s, out)
                    n, name = s.n, fc.name
                    call_id = fc.id or pt.synth_id(s.response_id or "", s.calls)
                    part = ToolCall(id=call_id, name=name, arguments=fc.args,
                                    signature=x.thought_signature, provider=NAME)  # fmt: skip
                    out += (
                        ToolCallStart(index=n, id=call_id, name=name),
                        ToolCallDelta(index=n, arguments=_encode(fc.args).decode()),
                        ToolCallEnd(index=n, call=part),
                    )
                    s = replace(s, parts=(part, s.parts), n=n + 1, calls=s.calls + 1, usage=usage)
                else:
                    s = _part(s, x, raw, out)
        if cand.finish_reason is not None:
            s = replace(s, finish_raw=cand.finish_reason)
    if c.prompt_feedback is not None and c.prompt_feedback.block_reason is not None:
        s = replace(s, blocked=c.prompt_feedback.block_reason)
    if c.model_version is not None and c.model_version != s.model:
        s = replace(s, model=c.model_version)
    if fresh:
        if s.usage is not usage:
            s = replace(s, usage=usage)
        out.append(UsageUpdate(usage=usage))
    if was_open and (s.finish_raw is not None or s.blocked is not None):
        finished = _map_finish(s)  # finishReason comes on the last chunk
        assert finished is not None
        s = _end(_ended(s, out), out)
        out.append(Finished(finish=finished))
    return s, out


def _response(s: State, finish: Finish) -> Response:
    s = _close(s)
    parts: list[Part] = []
    node = s.parts
    while node is not None:
        parts.append(node[0])
        node = node[1]
    parts.reverse()
    return Response(
        message=Message(role="assistant", content=parts, provider=NAME, model=s.model),
        finish=finish,
        usage=s.usage,
        model=s.model or "",
        provider=NAME,
        id=s.response_id,
    )


def _fold_fast(s: State, data: bytes | str) -> tuple[State, list[StreamEvent]] | None:
    """Decode a chunk with its parts in one pass and fold it; None when it
    needs the general path (parts kept as `Raw`, errors, malformed JSON)."""
    try:
        c = w.CHUNK_PARTS.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):  # the general path says which, typed
        return None
    if c.error is not None:
        return None
    try:
        return fold(s, c)
    except _NeedsRaw:
        return None


# ---- streaming -------------------------------------------------------------------


def start(req: ChatRequest) -> State:
    return State()


def step(s: State, ev: SseEvent) -> tuple[State, list[StreamEvent]]:
    data = ev.data
    folded = _fold_fast(s, data)  # inlining it saved 2%, inside the benchmark's spread
    if folded is not None:
        return folded
    if not data.strip():
        return s, []
    c = decode(w.CHUNK, data, NAME)
    if c.error is not None:
        # An error after the 200. Its `code` is Google's own (HTTP-equivalent),
        # not invented by llmkit, so it is the error's status.
        err: LlmkitError = _errors.from_error(c.error, c.error.code, data)
        err.partial = snapshot(s)
        raise err
    return fold(s, c)


def finish(s: State) -> list[StreamEvent]:
    done = _map_finish(s)
    if done is None:  # Gemini has no terminator: no finishReason means cut short
        raise StreamError("stream ended without a finishReason", provider=NAME, partial=snapshot(s))
    out: list[StreamEvent] = []
    s = _end(_ended(s, out), out)  # a streamed call the last chunk left open, too
    out.append(Done(response=_response(s, done)))
    return out


def snapshot(s: State) -> Response:
    """What has arrived so far; an unfinished answer says `error`."""
    return _response(s, _map_finish(s) or Finish(reason="error"))
