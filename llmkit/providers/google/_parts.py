"""One Gemini part as one llmkit part, and tool results both ways.

Shared by the history converters and the response fold, so a part means the
same thing whether it came in a response or in replayed history.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmkit.providers.google import _wire as w
from llmkit.types import Document, Image, Part, Text, Thinking, ToolCall, ToolResult

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
