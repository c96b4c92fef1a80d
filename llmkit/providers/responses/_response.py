"""Non-streamed responses: output items -> parts, usage, finish reasons.

Items map, in output order:
- `reasoning` -> one Thinking per summary part (then per `reasoning_text`
  content part), each with the item `id`; the first carries the item's
  `encrypted_content` as its `signature`. An item with neither summary nor
  content is one Thinking with empty text, so its id and encrypted content
  survive to the next turn;
- `message` -> one Text per `output_text` or `refusal` part, with the
  item id as `signature`, its `phase`, and its annotations as `citations`;
- `function_call` -> ToolCall: `id` is the `call_id` (what results pair with),
  never the `fc_` item id, which rides as `signature` for the replay;
- anything else (web search, file search, code interpreter, MCP, image
  generation, custom tools, xAI's x_search...) -> `Raw`, the item verbatim:
  the vendor ran it, it is never a client tool call.
Every part is stamped with the dialect's provider (the transport renames it
to the endpoint's registered name).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmkit.errors import ApiError
from llmkit.providers._common import decode, tool_call
from llmkit.providers.responses import _errors
from llmkit.providers.responses import _wire as w
from llmkit.types import (
    Finish,
    FinishReason,
    Message,
    Part,
    Raw,
    Response,
    Text,
    Thinking,
    ToolCall,
    Usage,
)

_INCOMPLETE: Mapping[str, FinishReason] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}


_MODELLED = frozenset({"message", "function_call", "reasoning"})


_NONE: Mapping[str, ToolCall] = {}


def modelled(raw: msgspec.Raw, d: w.Dialect) -> w.Item | None:
    """The item when it is a message, function call or reasoning; else None
    (hosted items put other shapes under the same field names)."""
    try:
        it: w.Item = w.item.decode(raw)
    except msgspec.ValidationError:
        it = w.Item(type=decode(w.typed, raw, d.provider).type)
        if it.type in _MODELLED:
            decode(w.item, raw, d.provider)  # raises llmkit's DecodeError, saying why
        return None
    except (msgspec.DecodeError, UnicodeDecodeError):  # (invalid UTF-8 inside a string)
        decode(w.item, raw, d.provider)  # raises llmkit's DecodeError
    return it if it.type in _MODELLED else None


def item_parts(
    raw: msgspec.Raw, d: w.Dialect, known: Mapping[str, ToolCall] = _NONE
) -> tuple[list[Part], bool]:
    """The parts one output item becomes, and whether it was a refusal. `known`
    holds calls already parsed from the same items (by item id), so a stream
    does not parse long arguments twice."""
    it = modelled(raw, d)
    if it is None:
        return [Raw(provider=d.provider, data=decode(w.any_json, raw, d.provider))], False
    kind = it.type
    if kind == "message":
        return _message(it, d)
    if kind == "function_call":
        seen = known.get(it.id or "")
        if seen is not None and seen.raw_arguments == (it.arguments or ""):
            return [seen], False
        call = tool_call(
            it.call_id or "", it.name or "", it.arguments or "", keep_raw=True,
            signature=it.id, provider=d.provider,
        )  # fmt: skip
        return [call], False
    return _reasoning(it, d), False


def _message(it: w.Item, d: w.Dialect) -> tuple[list[Part], bool]:
    parts: list[Part] = []
    refused = False
    for c in it.content or ():
        text = (c.refusal if c.type == "refusal" else c.text) or ""
        refused = refused or c.type == "refusal"
        parts.append(
            Text(
                text=text,
                signature=it.id,
                phase=it.phase,
                provider=d.provider,
                citations=c.annotations or None,
            )
        )
    return parts, refused


def _reasoning(it: w.Item, d: w.Dialect) -> list[Part]:
    texts = [s.text or "" for s in it.summary or ()]
    texts += [c.text or "" for c in it.content or () if c.type == "reasoning_text"]
    parts: list[Part] = [Thinking(text=t, id=it.id, provider=d.provider) for t in texts or [""]]
    if it.encrypted_content:
        parts[0] = Thinking(
            text=texts[0] if texts else "", id=it.id, provider=d.provider,
            signature=it.encrypted_content,
        )  # fmt: skip
    return parts


def _map_usage(u: w.WireUsage | None) -> Usage:
    """Input includes cached, output includes reasoning, for OpenAI and xAI
    alike on Responses. One guard: a cached count above the input count means
    the server counted cached tokens apart (reported of xAI)."""
    if u is None:
        return Usage()
    i, o = u.input_tokens_details, u.output_tokens_details
    cached = (i.cached_tokens or 0) if i is not None else 0
    written = (i.cache_write_tokens or 0) if i is not None else 0
    inp = u.input_tokens or 0
    return Usage(
        input_tokens=inp + cached if cached > inp else inp,
        output_tokens=u.output_tokens or 0,
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=(o.reasoning_tokens or 0) if o is not None else 0,
    )


def _map_finish(r: w.WireResponse, has_calls: bool, refused: bool) -> Finish:
    """`completed` is a stop, or tool calls when any function_call item came
    back (the status stays `completed`); `incomplete` says why."""
    status = r.status
    if status == "incomplete":
        reason = r.incomplete_details.reason if r.incomplete_details is not None else None
        return Finish(reason=_INCOMPLETE.get(reason or "", "other"), raw=reason or status)
    if refused:
        return Finish(reason="content_filter", raw="refusal")
    if status == "completed" or status is None:
        return Finish(reason="tool_calls" if has_calls else "stop", raw=status)
    return Finish(reason="error" if status == "failed" else "other", raw=status)


def parts_of(
    r: w.WireResponse, d: w.Dialect, known: Mapping[str, ToolCall] = _NONE
) -> tuple[list[Part], bool, bool]:
    parts: list[Part] = []
    refused = False
    for raw in r.output:
        got, refusal = item_parts(raw, d, known)
        parts += got
        refused = refused or refusal
    has_calls = any(isinstance(p, ToolCall) for p in parts)
    return parts, has_calls, refused


def response(
    r: w.WireResponse, d: w.Dialect, model: str = "", known: Mapping[str, ToolCall] = _NONE
) -> Response:
    parts, has_calls, refused = parts_of(r, d, known)
    m = r.model or model
    return Response(
        message=Message(role="assistant", content=parts, provider=d.provider, model=m or None),
        finish=_map_finish(r, has_calls, refused),
        usage=_map_usage(r.usage),
        model=m,
        provider=d.provider,
        id=r.id,
        extra={"content_filters": r.content_filters} if r.content_filters else {},
    )


def failed(r: w.WireResponse, body: str, d: w.Dialect, model: str = "") -> ApiError:
    """A `failed` response: a typed error carrying what the model wrote."""
    partial = response(r, d, model)
    e = r.error if r.error is not None else w.ErrorObject(message="the response failed")
    return _errors.from_object(e, r.code, body, d, partial)


def parse(body: bytes, d: w.Dialect) -> Response:
    r: w.WireResponse = decode(w.response, body, d.provider)
    text = body.decode("utf-8", "replace")
    if r.status == "failed":
        raise failed(r, text, d)
    if r.error is not None and r.status is None:  # an error body that came with a 2xx
        raise _errors.from_object(r.error, r.code, text, d, None)
    return response(r, d)
