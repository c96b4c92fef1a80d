"""Responses API wire shapes (`POST {base}/responses`), decoded once at import.

Every field has a default and unknown fields are ignored (`obfuscation`,
`logprobs`, xAI's `cost_in_usd_ticks`, Azure's `content_filters`...), so a
vendor adding fields never breaks decoding. Output items stay `msgspec.Raw`
until read: hosted-tool items are kept verbatim (as `Raw` parts), the rest
decode into `Item`. Stream events are one tagged union keyed on `type`.
Decoded shapes are `gc=False`: JSON holds no reference cycles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmkit.types import Effort


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    """What one model accepts on Responses (catalog data, `_models.py`).

    - `efforts`: the `reasoning.effort` values it takes; None = not known,
      anything goes; empty = it rejects `reasoning.effort` altogether.
    - `sampling`: `always`, `effort_none` (reasoning models: temperature/top_p
      only at effort `none`) or `never`.
    - `max_output`: the output-token limit, when known.
    - `encrypted`: the model may return encrypted reasoning, so requests ask
      for it (`include`); False for OpenAI's non-reasoning models.
    """

    efforts: frozenset[Effort] | None = None
    sampling: str = "always"
    max_output: int | None = None
    encrypted: bool = True


class Dialect(msgspec.Struct, frozen=True, kw_only=True):
    """What differs between servers speaking Responses (OpenAI, xAI).

    - `provider`: the name stamped on responses and on their parts; transport
      renames it to the endpoint's registered name.
    - `catalog`: per-model facts, longest model-id prefix wins.
    - `seed`: whether the vendor takes `seed` (xAI does, OpenAI does not).
    - `tool_schema`: how a tool schema is made acceptable: `openai`
      (`_request._strict` when the tool asks for strict) or `xai` (always
      schema-constrained; `additionalProperties: false` is rejected there).
    - `items`: replay our own assistant text as `message` items with their id
      and `phase` (OpenAI); xAI documents plain assistant messages only.
    - `summary`: ask for reasoning summaries (`reasoning.summary: "auto"`);
      xAI returns what it returns and documents no such field.
    - `rejects`: body keys the vendor refuses on Responses, refused here when
      they come in `extra` (xAI: the penalties).
    - `reasoning_status`: replayed reasoning items say `status: "completed"`
      (xAI's items carry one; OpenAI's do not).
    - `inline_files`: documents may go inline as `file_data` (xAI takes
      non-image files only by URL or upload).
    """

    provider: str
    catalog: Mapping[str, Facts]
    seed: bool = False
    tool_schema: str = "openai"
    items: bool = True
    summary: bool = True
    rejects: tuple[str, ...] = ()
    reasoning_status: bool = False
    inline_files: bool = True


# ---- items and the response object ---------------------------------------------


class Annotated(msgspec.Struct, frozen=True, gc=False):
    """A content part: `output_text` {text, annotations}, `refusal` {refusal},
    `reasoning_text` {text}, `summary_text` {text}."""

    type: str = ""
    text: str | None = None
    refusal: str | None = None
    annotations: list[Any] | None = None


class Item(msgspec.Struct, frozen=True, gc=False):
    """One output item: `message`, `function_call`, `reasoning` (the others
    are kept raw)."""

    type: str = ""
    id: str | None = None
    status: str | None = None
    role: str | None = None
    content: list[Annotated] | None = None
    phase: str | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    summary: list[Annotated] | None = None
    encrypted_content: str | None = None


class InputDetails(msgspec.Struct, frozen=True, gc=False):
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None


class OutputDetails(msgspec.Struct, frozen=True, gc=False):
    reasoning_tokens: int | None = None


class WireUsage(msgspec.Struct, frozen=True, gc=False):
    input_tokens: int | None = None
    output_tokens: int | None = None
    input_tokens_details: InputDetails | None = None
    output_tokens_details: OutputDetails | None = None


class IncompleteDetails(msgspec.Struct, frozen=True, gc=False):
    reason: str | None = None


class ErrorObject(msgspec.Struct, frozen=True, gc=False):
    message: str | None = None
    type: str | None = None
    code: str | int | None = None
    param: str | None = None


class WireResponse(msgspec.Struct, frozen=True, gc=False):
    """A response body, or `response` inside a lifecycle event. `error` is
    `response.error` on a failed response, OpenAI's `{"error": {...}}` in an
    error body, or xAI's flat `{"code": "...", "error": "message"}`."""

    id: str | None = None
    model: str | None = None
    status: str | None = None
    output: list[msgspec.Raw] = []
    usage: WireUsage | None = None
    incomplete_details: IncompleteDetails | None = None
    error: ErrorObject | str | None = None
    code: str | int | None = None
    content_filters: list[Any] | None = None  # Azure OpenAI's, kept as sent


# ---- stream events ---------------------------------------------------------------


class _Event(msgspec.Struct, frozen=True, gc=False, tag_field="type"):
    pass


class Created(_Event, frozen=True, gc=False, tag="response.created"):
    response: WireResponse = WireResponse()


class ItemHead(msgspec.Struct, frozen=True, gc=False):
    """What `output_item.added` says of any item (hosted items put other
    shapes under the same names, hence Any)."""

    type: Any = ""
    id: Any = None
    call_id: Any = None
    name: Any = None


class ItemAdded(_Event, frozen=True, gc=False, tag="response.output_item.added"):
    output_index: int = 0
    item: ItemHead = ItemHead()


class ItemDone(_Event, frozen=True, gc=False, tag="response.output_item.done"):
    output_index: int = 0
    item: msgspec.Raw = msgspec.Raw(b"{}")


class TextDelta(_Event, frozen=True, gc=False, tag="response.output_text.delta"):
    item_id: str = ""
    content_index: int = 0
    delta: str = ""


class RefusalDelta(_Event, frozen=True, gc=False, tag="response.refusal.delta"):
    item_id: str = ""
    content_index: int = 0
    delta: str = ""


class ArgsDelta(_Event, frozen=True, gc=False, tag="response.function_call_arguments.delta"):
    item_id: str = ""
    delta: str = ""


class SummaryDelta(_Event, frozen=True, gc=False, tag="response.reasoning_summary_text.delta"):
    item_id: str = ""
    output_index: int = 0
    summary_index: int = 0
    delta: str = ""


class ReasoningDelta(_Event, frozen=True, gc=False, tag="response.reasoning_text.delta"):
    item_id: str = ""
    output_index: int = 0
    content_index: int = 0
    delta: str = ""


class Completed(_Event, frozen=True, gc=False, tag="response.completed"):
    response: WireResponse = WireResponse()


class Incomplete(_Event, frozen=True, gc=False, tag="response.incomplete"):
    response: WireResponse = WireResponse()


class Failed(_Event, frozen=True, gc=False, tag="response.failed"):
    response: WireResponse = WireResponse()


class ErrorEvent(_Event, frozen=True, gc=False, tag="error"):
    """Flat `{code, message, param}` (documented) or nested `{error: {...}}` (seen live)."""

    code: str | int | None = None
    message: str | None = None
    param: str | None = None
    error: ErrorObject | None = None


Event = (
    Created
    | ItemAdded
    | ItemDone
    | TextDelta
    | RefusalDelta
    | ArgsDelta
    | SummaryDelta
    | ReasoningDelta
    | Completed
    | Incomplete
    | Failed
    | ErrorEvent
)
_EVENTS = (
    Created, ItemAdded, ItemDone, TextDelta, RefusalDelta, ArgsDelta, SummaryDelta,
    ReasoningDelta, Completed, Incomplete, Failed, ErrorEvent,
)  # fmt: skip
KNOWN = frozenset(str(t.__struct_config__.tag) for t in _EVENTS)
# With `event:` lines (OpenAI) each event has its own decoder; data-only frames
# go through the union (`event`).
BY_NAME: dict[str, msgspec.json.Decoder[Any]] = {
    str(t.__struct_config__.tag): msgspec.json.Decoder(t) for t in _EVENTS
}


class Typed(msgspec.Struct, frozen=True, gc=False):
    type: str = ""


event = msgspec.json.Decoder(Event)
typed = msgspec.json.Decoder(Typed)
response = msgspec.json.Decoder(WireResponse)
item = msgspec.json.Decoder(Item)
any_json = msgspec.json.Decoder()
encoder = msgspec.json.Encoder()
