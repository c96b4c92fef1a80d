"""Conversation history to and from Gemini `contents` (plain JSON dicts).

Wire to llmkit to wire is the identity on Gemini JSON (contents alternating
user/model, without unsigned empty text, which Gemini refuses and never
sends back: what Gemini returns and what merging produces): every part
is checked by mapping it back, and anything llmkit cannot reproduce exactly
(code execution, a signed image, snake_case keys, ...) is kept as a `Raw` part.

llmkit to wire to llmkit is the identity up to: consecutive same-role turns
merged (`tool` turns become `user` turns), message-level `provider`/`model`/
`name`/`cache` dropped (not on the wire), a tool result's list of texts joined
into one string and JSON-object texts re-serialized compactly, `Document.title`
dropped, empty text without a signature dropped, results for id-less calls
put in call order (name by name), and ids llmkit made for id-less calls
renumbered per turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from llmkit.errors import Unsupported
from llmkit.providers._common import never
from llmkit.providers.google import _wire as w
from llmkit.providers.handoff import carry
from llmkit.types import (
    Document,
    Image,
    Message,
    Options,
    Part,
    Raw,
    Role,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
)

# ---- one part, both ways (the response fold reads parts with these too) ----

NAME = "google"

# Gemini often gives function calls no id. llmkit then makes one with this
# prefix; such ids are never sent back (Gemini matches by name and order).
SYNTH = "llmkit-gemini-"


def synth_id(scope: str, k: int) -> str:
    """A stable id for the k-th id-less call in `scope` (a responseId or a turn)."""
    return f"{SYNTH}{scope}-{k}" if scope else f"{SYNTH}{k}"


def whole_floats(value: Any) -> Any:
    """Gemini args are protobuf Struct values (all doubles): 3.0 means 3.
    Like the official SDK, whole floats become ints, recursively."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: whole_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_floats(v) for v in value]
    return value


def _media(mime: str | None, data: str | None = None, url: str | None = None) -> Part | None:
    if mime is None or mime.startswith("image/"):
        return Image(media_type=mime, data=data, url=url)
    if mime == "application/pdf" or mime.startswith("text/"):
        return Document(media_type=mime, data=data, url=url)
    return None  # audio, video: kept as Raw


def from_wire(p: w.Part, call_id: str) -> Part | None:
    """The llmkit part for a non-text Gemini part, or None when llmkit has no
    faithful shape for it (the caller keeps it as Raw). `call_id` is used for
    a functionCall that carries no id."""
    sig = p.thought_signature
    if p.function_call is not None:
        fc = p.function_call
        return ToolCall(
            id=fc.id or call_id,
            name=fc.name,
            arguments=whole_floats(fc.args),
            signature=sig,
            provider=NAME,
        )
    if sig is not None or p.thought:
        return None  # a signed image or file has no llmkit field for it
    if p.inline_data is not None:
        return _media(p.inline_data.mime_type, data=p.inline_data.data)
    if p.file_data is not None:
        return _media(p.file_data.mime_type, url=p.file_data.file_uri)
    return None


def text_from_wire(text: str, thought: bool, sig: str | None) -> Text | Thinking:
    if thought:
        return Thinking(text=text, signature=sig, provider=NAME)
    return Text(text=text, signature=sig, provider=NAME if sig else None)


# ---- tool results ------------------------------------------------------------
# Gemini wants `functionResponse.response` to be an object. A result whose text
# is a JSON object is sent as that object; other text as {"result": text}, or
# {"error": ...} when it is an error (the official SDK's convention).


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        value = w.ANY.decode(text)
    except msgspec.DecodeError:
        return None
    return value if isinstance(value, dict) else None


def result_to_wire(r: ToolResult) -> tuple[dict[str, Any], list[Image | Document]]:
    """(response object, media parts) for a tool result."""
    if isinstance(r.content, str):
        text, media = r.content, []
    else:
        text = "".join(p.text for p in r.content if isinstance(p, Text))
        media = [p for p in r.content if not isinstance(p, Text)]
    if media and not text:
        return {}, media
    obj = _json_object(text)
    if r.is_error:
        return {"error": text if obj is None else obj}, media
    return ({"result": text} if obj is None else obj), media


def result_from_wire(response: dict[str, Any]) -> tuple[str, bool]:
    """(content, is_error) for a `functionResponse.response`; the inverse of
    `result_to_wire`, so every Gemini response object round-trips."""
    if len(response) == 1:
        key, value = next(iter(response.items()))
        if key in ("result", "error") and isinstance(value, str) and _json_object(value) is None:
            return value, key == "error"
        if key == "error" and isinstance(value, dict):
            return w.ENCODE.encode(value).decode(), True
    return w.ENCODE.encode(response).decode(), False


def tool_result(fr: w.FunctionResponse, call_id: str) -> ToolResult:
    text, is_error = result_from_wire(fr.response)
    content: str | list[Text | Image | Document] = text
    if fr.parts:
        media = [_media(rp.inline_data.mime_type, data=rp.inline_data.data) for rp in fr.parts]
        head: list[Text | Image | Document] = [Text(text=text)] if fr.response else []
        content = head + [m for m in media if isinstance(m, (Image, Document))]
    return ToolResult(tool_call_id=call_id, content=content, name=fr.name, is_error=is_error)


# ---- history ----

Json = dict[str, Any]
_DEFAULT = Options()
_ROLE = {"user": "user", "tool": "user", "assistant": "model"}
# Magic numbers of base64 images, for an Image given without a media type.
_SNIFF = {
    "iVBORw0KGgo": "image/png",
    "/9j/": "image/jpeg",
    "R0lGOD": "image/gif",
    "UklGR": "image/webp",
}


def _mime(img: Image) -> str:
    if img.media_type:
        return img.media_type
    for magic, mime in _SNIFF.items():
        if (img.data or "").startswith(magic):
            return mime
    raise Unsupported("an inline image without media_type", provider=NAME)


def _media_to_wire(p: Image | Document) -> Json:
    if p.data is not None:
        mime = _mime(p) if isinstance(p, Image) else p.media_type
        return {"inlineData": {"mimeType": mime, "data": p.data}}
    if p.url is None:
        raise Unsupported(f"{type(p).__name__.lower()} without data or url", provider=NAME)
    if p.media_type is None:
        return {"fileData": {"fileUri": p.url}}
    return {"fileData": {"mimeType": p.media_type, "fileUri": p.url}}


def _signed(part: Json, sig: str | None, provider: str | None) -> Json:
    # Signatures are only valid for the vendor (and model) that made them.
    if sig is not None and provider == NAME:
        part["thoughtSignature"] = sig
    return part


def _call_to_wire(c: ToolCall) -> Json:
    # Gemini accepts ids it did not make: the corpus has a 200 for a replayed
    # call with the client-made id "1". Ids llmkit synthesized are not sent.
    fc: Json = {"name": c.name, "args": c.arguments}
    if not c.id.startswith(SYNTH):
        fc["id"] = c.id
    return _signed({"functionCall": fc}, c.signature, c.provider)


def _result_to_wire(r: ToolResult, names: Mapping[str, str]) -> Json:
    name = r.name or names.get(r.tool_call_id)
    if name is None:
        raise Unsupported(
            f"a tool result for unknown call {r.tool_call_id!r} without a name", provider=NAME
        )
    response, media = result_to_wire(r)
    fr: Json = {"name": name, "response": response}
    if not r.tool_call_id.startswith(SYNTH):
        fr["id"] = r.tool_call_id
    if media:
        fr["parts"] = [_response_media(m) for m in media]
    return {"functionResponse": fr}


def _response_media(m: Image | Document) -> Json:
    if m.data is None:  # FunctionResponsePart.fileData is Vertex-only
        raise Unsupported("media by URL inside a tool result", provider=NAME)
    return _media_to_wire(m)


def _part_to_wire(part: Part, role: str, names: Mapping[str, str], opts: Options) -> Json | None:
    """One wire part, or None when this part is not sent to Gemini (what other
    vendors' parts may carry here is settled by `carry`)."""
    p = carry(part, NAME, opts.foreign_thinking)
    match p:
        case None:
            return None
        case Text(text=text, signature=sig, provider=provider):
            return _unless_empty(_signed({"text": text}, sig, provider))
        case Thinking(text=text, signature=sig):
            return _unless_empty(_signed({"text": text, "thought": True}, sig, NAME))
        case ToolCall() if role == "model":
            return _call_to_wire(p)
        case ToolResult() if role == "user":
            return _result_to_wire(p, names)
        case ToolCall() | ToolResult():
            raise Unsupported(f"a {p.__struct_config__.tag} in a {role} turn", provider=NAME)
        case Image() | Document():
            return _media_to_wire(p)
        case Raw(data=data):
            return dict(data) if isinstance(data, dict) else None
        case _:
            never(p)


def _unless_empty(part: Json) -> Json | None:
    """An empty text part is a 400 ("Unable to submit request because it has an
    empty text parameter", zuisong/gemini-openai-proxy#83, microsoft/autogen#5762)
    and says nothing, so it is not sent; one carrying a signature is (Gemini's own)."""
    return part if part["text"] or "thoughtSignature" in part else None


def _system(m: Message) -> list[Json]:
    if not all(isinstance(p, Text) for p in m.content):
        raise Unsupported("non-text parts in a system message", provider=NAME)
    return [{"text": p.text} for p in m.content if isinstance(p, Text) and p.text]


def _in_call_order(parts: list[Json], keys: list[int | None]) -> list[Json]:
    """Gemini pairs id-less function responses with calls by name and order:
    put each name's id-less responses in the order of their calls (results
    may come back in the order the tools finished)."""
    slots: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            slots.setdefault(parts[i]["functionResponse"]["name"], []).append(i)
    out = list(parts)
    for same in slots.values():
        for slot, i in zip(same, sorted(same, key=lambda i: keys[i] or 0), strict=True):
            out[slot] = parts[i]
    return out


def _to_wire_messages(
    messages: Sequence[Message], options: Options = _DEFAULT
) -> tuple[Json | None, list[Json]]:
    """`(systemInstruction or None, contents)` for a conversation.

    System messages, wherever they are, become `systemInstruction` parts in
    order. Tool turns are `user` turns of `functionResponse` parts; a result's
    function name is its own `name`, else that of the call with its id.
    Consecutive turns with the same Gemini role are merged; turns left empty
    (only foreign thinking, say) are dropped.
    """
    system: list[Json] = []
    contents: list[Json] = []
    keys: list[list[int | None]] = []  # per part: the call order of an id-less response
    names: dict[str, str] = {}
    order: dict[str, int] = {}
    for m in messages:
        if m.role == "system":
            system += _system(m)
            continue
        role = _ROLE[m.role]
        parts, part_keys = [], []
        for p in m.content:
            wp = _part_to_wire(p, role, names, options)
            if isinstance(p, ToolCall):
                names[p.id], order[p.id] = p.name, len(order)
            if wp is not None:
                parts.append(wp)
                key = None
                if isinstance(p, ToolResult) and p.tool_call_id.startswith(SYNTH):
                    key = order.get(p.tool_call_id)
                part_keys.append(key)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"] += parts
            keys[-1] += part_keys
        else:
            contents.append({"role": role, "parts": parts})
            keys.append(part_keys)
    for c, k in zip(contents, keys, strict=True):
        if any(key is not None for key in k):
            c["parts"] = _in_call_order(c["parts"], k)
    return ({"parts": system} if system else None), contents


# ---- wire to llmkit ------------------------------------------------------------


class _Turn(msgspec.Struct, kw_only=True):
    """Per-conversation bookkeeping for matching id-less responses to calls."""

    calls: list[ToolCall] = []
    used: set[int] = set()


def _match(fr: w.FunctionResponse, turn: _Turn, here: str, j: int) -> str:
    """The id for a functionResponse: its own, else that of the first unused
    call of the same name in the preceding model turn (order then decides)."""
    if fr.id is not None:
        return fr.id
    for i, c in enumerate(turn.calls):
        if i not in turn.used and c.name == fr.name:
            turn.used.add(i)
            return c.id if c.id.startswith(SYNTH) else synth_id(here, j)
    return synth_id(here, j)


def _one_from_wire(raw: Json, role: str, scope: str, k: int, turn: _Turn) -> Part:
    try:
        p = msgspec.convert(raw, w.Part)
    except msgspec.ValidationError:
        return Raw(provider=NAME, data=raw)
    part: Part | None
    data = p.function_call or p.function_response or p.inline_data or p.file_data
    if p.text is not None and data is None:
        part = text_from_wire(p.text, p.thought, p.thought_signature)
    elif p.function_response is not None and p.thought_signature is None:
        part = tool_result(p.function_response, _match(p.function_response, turn, scope, k))
    else:
        part = from_wire(p, synth_id(scope, k))
    try:
        same = part is not None and _part_to_wire(part, role, {}, _DEFAULT) == raw
    except Unsupported:
        same = False
    return part if same and part is not None else Raw(provider=NAME, data=raw)


def _from_wire_messages(
    system_instruction: Mapping[str, Any] | None, contents: Sequence[Mapping[str, Any]]
) -> list[Message]:
    """llmkit messages for a Gemini `systemInstruction` and `contents`: the
    inverse of `messages_to_wire`. A `user` turn of only function responses is
    a `tool` message. Id-less calls get ids from their turn's position, and an
    id-less response takes the id of the first unused same-name call in the
    model turn before it."""
    out: list[Message] = []
    if system_instruction is not None:
        texts: list[Part] = [
            Text(text=p.get("text", "")) for p in system_instruction.get("parts", [])
        ]
        out.append(Message(role="system", content=texts))
    turn = _Turn()
    for i, c in enumerate(contents):
        model = c.get("role") == "model"
        role = "model" if model else "user"
        parts = [
            _one_from_wire(dict(p), role, str(i), k, turn) for k, p in enumerate(c.get("parts", []))
        ]
        if model:
            turn = _Turn(calls=[p for p in parts if isinstance(p, ToolCall)])
        who: Role = "assistant" if model else "user"
        if not model and parts and all(isinstance(p, ToolResult) for p in parts):
            who = "tool"
        out.append(Message(role=who, content=parts))
    return out
