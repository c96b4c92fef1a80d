"""Gemini wire shapes (generativelanguage v1beta), decoded once at import.

Field names are the vendor's (camelCase on the wire via `rename="camel"`);
unknown fields are ignored so newer responses keep decoding. Response parts are
kept as `msgspec.Raw` slices first: a part kind llmkit does not model
(`executableCode`, `codeExecutionResult`, ...) is then replayed verbatim as a
`Raw` part instead of being lost to an all-optional struct.
"""

from __future__ import annotations

from typing import Any

import msgspec


class _W(msgspec.Struct, frozen=True, kw_only=True, rename="camel", gc=False):
    """`gc=False`: decoded JSON holds no reference cycles, and untracked
    Structs decode faster."""


class PartialArg(_W, frozen=True):
    """One streamed argument (Vertex `streamFunctionCallArguments`)."""

    json_path: str
    string_value: str | None = None
    number_value: int | float | None = None
    bool_value: bool | None = None
    null_value: str | None = None
    will_continue: bool = False


class FunctionCall(_W, frozen=True):
    # No name on the later parts of a call whose arguments stream (Vertex).
    name: str = ""
    args: dict[str, Any] = {}
    id: str | None = None
    partial_args: list[PartialArg] = []
    will_continue: bool = False


class Blob(_W, frozen=True):
    mime_type: str
    data: str


class FileData(_W, frozen=True):
    file_uri: str
    mime_type: str | None = None


class ResponsePart(_W, frozen=True):
    """A `FunctionResponsePart`: media returned by a tool (Gemini 3)."""

    inline_data: Blob


class FunctionResponse(_W, frozen=True):
    name: str
    response: dict[str, Any] = {}
    id: str | None = None
    parts: list[ResponsePart] = []


class Part(_W, frozen=True):
    """One part; Gemini puts exactly one data field on each, plus the flags."""

    text: str | None = None
    thought: bool = False
    thought_signature: str | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None


class Content(_W, frozen=True):
    parts: list[msgspec.Raw] = []
    role: str | None = None


class Candidate(_W, frozen=True):
    content: Content | None = None
    finish_reason: str | None = None
    index: int = 0


class UsageMetadata(_W, frozen=True):
    prompt_token_count: int = 0
    candidates_token_count: int = 0
    cached_content_token_count: int = 0
    thoughts_token_count: int = 0
    tool_use_prompt_token_count: int = 0


class PromptFeedback(_W, frozen=True):
    block_reason: str | None = None


class Violation(_W, frozen=True):
    quota_id: str = ""


class ErrorDetail(_W, frozen=True):
    type: str = msgspec.field(default="", name="@type")
    retry_delay: str | None = None
    reason: str | None = None
    violations: list[Violation] = []


class Error(_W, frozen=True):
    """`google.rpc.Status` as JSON: `code` is Google's HTTP-equivalent code."""

    code: int | None = None
    message: str = ""
    status: str | None = None
    details: list[ErrorDetail] = []


class ErrorBody(_W, frozen=True):
    error: Error


class Chunk(_W, frozen=True):
    """A GenerateContentResponse: the whole answer, or one `alt=sse` event.
    A failure after the 200 arrives as an `error` object instead."""

    candidates: list[Candidate] = []
    usage_metadata: UsageMetadata | None = None
    prompt_feedback: PromptFeedback | None = None
    model_version: str | None = None
    response_id: str | None = None
    error: Error | None = None


class PartsContent(_W, frozen=True):
    """`Content` with its parts decoded in the same pass (see `CHUNK_PARTS`)."""

    parts: list[Part] = []
    role: str | None = None


class PartsCandidate(_W, frozen=True):
    content: PartsContent | None = None
    finish_reason: str | None = None
    index: int = 0


class PartsChunk(_W, frozen=True):
    """`Chunk` with typed parts: one decode for the usual chunk. A part kind
    llmkit keeps verbatim needs the `Raw` slices of `Chunk` instead."""

    candidates: list[PartsCandidate] = []
    usage_metadata: UsageMetadata | None = None
    prompt_feedback: PromptFeedback | None = None
    model_version: str | None = None
    response_id: str | None = None
    error: Error | None = None


class Model(_W, frozen=True):
    name: str
    display_name: str = ""
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_generation_methods: list[str] = []
    thinking: bool = False


class ModelPage(_W, frozen=True):
    models: list[Model] = []
    next_page_token: str | None = None


def whole_number(text: str) -> int | float:
    """An untyped JSON number with a fraction or exponent. Gemini's function
    arguments are protobuf Struct values, all doubles, so `3.0` means 3: like
    the official SDK, a whole one becomes an int. Done while decoding (msgspec's
    `float_hook`), not by walking the arguments afterwards."""
    f = float(text)
    return int(f) if f.is_integer() else f


# What the model says: its calls' arguments (the only untyped values) get whole numbers
CHUNK = msgspec.json.Decoder(Chunk, float_hook=whole_number)
CHUNK_PARTS = msgspec.json.Decoder(PartsChunk, float_hook=whole_number)
PART = msgspec.json.Decoder(Part, float_hook=whole_number)
ANY = msgspec.json.Decoder()  # parts kept verbatim (Raw)
# Error bodies are wrapped in a JSON array when `alt=sse` is not used.
ERROR = msgspec.json.Decoder(ErrorBody | list[ErrorBody])
MODELS = msgspec.json.Decoder(ModelPage)
ENCODE = msgspec.json.Encoder()
