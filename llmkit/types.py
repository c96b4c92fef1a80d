"""llmkit's unified data: messages, requests, responses, stream events.

Everything here is a frozen msgspec Struct. Wire shapes stay in their provider
module; these are the only shapes that cross module boundaries. New fields get
defaults so old JSON keeps decoding.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import msgspec

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]


class _Part(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", omit_defaults=True):
    """Base of the content-part union; never instantiated."""


class Text(_Part, frozen=True, tag="text"):
    """Plain text. `signature` is an opaque vendor token riding on this part
    (Gemini puts `thoughtSignature` on text parts) and `citations` the vendor's
    own citation objects (Anthropic); `provider` says whose they are: they go
    back only to that vendor, the text goes everywhere."""

    text: str
    signature: str | None = None
    citations: list[Any] | None = None
    provider: str | None = None
    phase: str | None = None  # Responses API message phase (`commentary`, `final_answer`)


class Image(_Part, frozen=True, tag="image"):
    """An image, either inline (`data` is base64) or by `url`."""

    media_type: str | None = None
    data: str | None = None
    url: str | None = None


class Document(_Part, frozen=True, tag="document"):
    """A document (PDF by default), inline base64 `data` or by `url`."""

    media_type: str = "application/pdf"
    data: str | None = None
    url: str | None = None
    title: str | None = None


class ToolCall(_Part, frozen=True, tag="tool_call"):
    """The model asking for a tool.

    `arguments` is the decoded JSON object. When the vendor sent arguments as a
    JSON string (OpenAI, xAI), `raw_arguments` keeps that exact text so it can be
    replayed byte for byte; when that text was not a JSON object, `arguments` is
    empty and `error` says why, instead of the parse raising.
    """

    id: str
    name: str
    arguments: dict[str, Any] = {}
    raw_arguments: str | None = None
    error: str | None = None
    signature: str | None = None
    provider: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ToolResult(_Part, frozen=True, tag="tool_result"):
    """What a tool returned, paired with its call by `tool_call_id`."""

    tool_call_id: str
    content: str | list[Text | Image | Document] = ""
    name: str | None = None
    is_error: bool = False


class Thinking(_Part, frozen=True, tag="thinking"):
    """Model reasoning. `signature` (Anthropic thinking signature, Gemini thought
    signature) and `redacted` (Anthropic redacted_thinking data) are opaque and
    only valid for `provider`, the vendor that produced them. On the Responses
    API `signature` is the reasoning item's `encrypted_content` and `id` its
    item id (`rs_…`); both are opaque."""

    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    provider: str | None = None
    id: str | None = None


class Raw(_Part, frozen=True, tag="raw"):
    """A vendor block llmkit does not model (server tool use, citations block,
    a type newer than us), kept verbatim so the next turn can replay it to the
    same `provider`; other providers skip it."""

    provider: str
    data: Any


Part = Text | Image | Document | ToolCall | ToolResult | Thinking | Raw


class Message(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One turn. `content` is always a list of parts in llmkit's JSON shape;
    plain strings are accepted on input (see `llmkit.messages.to_messages`).

    `cache` marks a prompt-cache breakpoint after this message (Anthropic
    `cache_control`; providers with automatic caching ignore it). Anthropic
    takes at most four per request, tools and system included: the last four
    are sent and earlier ones dropped. The breakpoint goes on the message's
    last block that can hold one (thinking cannot).
    """

    role: Role
    content: list[Part] = []
    name: str | None = None
    cache: bool = False
    provider: str | None = None
    model: str | None = None

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, Text))


class Tool(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A function the model may call; `parameters` is a JSON Schema object."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = msgspec.field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    strict: bool | None = None
    cache: bool = False


class ToolChoice(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """`auto`, `none`, `required` (some tool), or `tool` with `name`."""

    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None
    parallel: bool | None = None


class Reasoning(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """How hard to think: an `effort` level, a token `budget`, or both; each
    provider maps it to what the model supports. `include` asks for thinking
    text back where the vendor makes that optional (Gemini `includeThoughts`)."""

    effort: Effort | None = None
    budget: int | None = None
    include: bool = True


class ResponseFormat(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Ask for JSON output. With `schema`, a JSON Schema the output must match."""

    schema: dict[str, Any] | None = None
    name: str = "response"
    strict: bool = True


ForeignThinking = Literal["drop", "text"]


class Options(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=True
):
    """Generation options shared by every provider.

    `extra` is merged last into the vendor's JSON body, for anything llmkit does
    not model. `foreign_thinking` says what happens to thinking from another
    vendor in the history: dropped, or sent as plain text (signatures never
    cross vendors either way). `cache_key` groups requests that share a prompt
    prefix for the vendor's prompt cache (Responses `prompt_cache_key`).
    `stream_tool_arguments` asks Gemini on Vertex AI to stream a call's
    arguments as they are generated (`streamFunctionCallArguments`) rather than
    send each call whole; the other vendors always stream them, and the Gemini
    API has no such field, so elsewhere it changes nothing.
    """

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = []
    seed: int | None = None
    reasoning: Reasoning | None = None
    response_format: ResponseFormat | None = None
    foreign_thinking: ForeignThinking = "drop"
    cache_key: str | None = None
    stream_tool_arguments: bool = False
    extra: dict[str, Any] = {}


class ChatRequest(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Everything a provider needs to build one HTTP request. `model` is the
    vendor's id, without any `provider:` prefix. `endpoint` is the registered
    name the request goes to (parts stamped with it are that endpoint's own,
    and may be replayed to it); empty means the provider's own NAME.
    `dialect` is that endpoint's (`Endpoint.dialect`): which server speaks the
    wire format, for the rules that differ; empty means the wire's own vendor."""

    model: str
    messages: list[Message]
    tools: list[Tool] = []
    tool_choice: ToolChoice | None = None
    options: Options = Options()
    stream: bool = False
    endpoint: str = ""
    dialect: str = ""


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    """Token counts, the same meaning for every vendor.

    - `input_tokens`: every prompt token the model read, cached or not
      (so `cache_read_tokens` and `cache_write_tokens` are parts of it).
    - `output_tokens`: every generated token, reasoning included
      (so `reasoning_tokens` is part of it).
    - `cache_write_1h_tokens`: the part of `cache_write_tokens` written to
      a one-hour cache (Anthropic's `ttl: "1h"`), billed above a 5-minute write.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_1h_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class Finish(msgspec.Struct, frozen=True, kw_only=True):
    """Why generation stopped: llmkit's `reason` beside the vendor's `raw` word."""

    reason: FinishReason = "stop"
    raw: str | None = None


_ZERO = Decimal(0)


class Cost(msgspec.Struct, frozen=True, kw_only=True):
    """A price in USD, split as vendors bill it: `input` is the input read
    fresh (neither from nor into a cache), `output` the output other than
    reasoning. Decimal, as money should be; `total` is the sum."""

    input: Decimal = _ZERO
    cache_read: Decimal = _ZERO
    cache_write: Decimal = _ZERO
    output: Decimal = _ZERO
    reasoning: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        return self.input + self.cache_read + self.cache_write + self.output + self.reasoning

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            input=self.input + other.input,
            cache_read=self.cache_read + other.cache_read,
            cache_write=self.cache_write + other.cache_write,
            output=self.output + other.output,
            reasoning=self.reasoning + other.reasoning,
        )


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """A model of a fallback chain that failed before another answered: the
    model as the caller named it, the llmkit error class, its message, and the
    vendor's status when there was one."""

    model: str
    error: str
    message: str
    status: int | None = None


class Response(msgspec.Struct, frozen=True, kw_only=True):
    """One complete model answer. `parsed` holds the decoded object when the
    call asked for `response_format=SomeType`. `attempts` are the models of a
    fallback chain that failed before this one answered (empty otherwise)."""

    message: Message
    finish: Finish = Finish()
    usage: Usage = Usage()
    model: str = ""
    provider: str = ""
    id: str | None = None
    parsed: Any = None
    attempts: tuple[Attempt, ...] = ()
    # Vendor data llmkit does not model, under the vendor's own keys and never
    # sent back: Azure OpenAI's content filter results (`content_filters` on
    # Responses; `prompt_filter_results`, `content_filter_results` on Chat).
    extra: dict[str, Any] = {}

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [p for p in self.message.content if isinstance(p, ToolCall)]

    @property
    def thinking(self) -> str:
        return "".join(p.text for p in self.message.content if isinstance(p, Thinking))

    @property
    def finish_reason(self) -> FinishReason:
        return self.finish.reason

    @property
    def cost(self) -> Cost | None:
        """The price of this answer from pydantic's genai-prices database (the
        `prices` extra), or None when the model's price is not known or the
        extra is absent: never a guess. Computed when read (llmkit.pricing)."""
        from llmkit.pricing import cost_of

        return cost_of(self)


SamplingParam = Literal["temperature", "top_p", "top_k"]


class Sampling(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The sampling parameters a model takes: `accepts` names them, and
    `temperature_with_top_p` is False when those two may not be sent in one
    request. A request asking for more is `Unsupported` before any I/O."""

    accepts: tuple[SamplingParam, ...] = ("temperature", "top_p", "top_k")
    temperature_with_top_p: bool = True


# The capability words every provider's catalog uses; a provider may add its
# own, more precise names after them (Anthropic's `effort.high`, ...).
CAPABILITIES = ("text", "images", "documents", "tools", "json_schema", "streaming", "reasoning")


class ModelInfo(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A model a provider serves, from llmkit's catalog or a live listing.
    `capabilities` uses the words in `CAPABILITIES`, then the vendor's own;
    `sampling` is None where llmkit has no per-model sampling facts (the
    options are then sent as asked)."""

    id: str
    provider: str
    name: str = ""
    context_window: int | None = None
    max_output: int | None = None
    capabilities: list[str] = []
    available: bool = False
    sampling: Sampling | None = None


# Stream events. Each part of the final message has an `index` (its position
# in `Done.response.message.content`); the events of one part share it, and it
# is unique within a stream. A text, thinking or tool-call block opens with its
# Start event and closes with its End event; its deltas come in between.


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    pass


class TextStart(_Event, frozen=True, tag="text_start"):
    index: int


class TextDelta(_Event, frozen=True, tag="text_delta"):
    index: int
    text: str


class TextEnd(_Event, frozen=True, tag="text_end"):
    index: int


class ThinkingStart(_Event, frozen=True, tag="thinking_start"):
    index: int


class ThinkingDelta(_Event, frozen=True, tag="thinking_delta", omit_defaults=True):
    """More thinking text. `signature` is set (text empty) when the vendor's
    signature for the part arrives before the part ends (Anthropic's
    `signature_delta`), so a relay can close the block without waiting for
    `Done`; the part in `Done` holds it too."""

    index: int
    text: str
    signature: str | None = None


class ThinkingEnd(_Event, frozen=True, tag="thinking_end"):
    """The thinking block `index` is complete: what follows is no longer thinking."""

    index: int


class ToolCallStart(_Event, frozen=True, tag="tool_call_start"):
    index: int
    id: str
    name: str


class ToolCallDelta(_Event, frozen=True, tag="tool_call_delta"):
    index: int
    arguments: str


class ToolCallEnd(_Event, frozen=True, tag="tool_call_end"):
    index: int
    call: ToolCall


class UsageUpdate(_Event, frozen=True, tag="usage"):
    """The latest running totals (not an increment)."""

    usage: Usage


class Finished(_Event, frozen=True, tag="finish"):
    finish: Finish


class Done(_Event, frozen=True, tag="done"):
    """Last event of every successful stream: the assembled Response, equal to
    what the non-streaming call returns for the same exchange."""

    response: Response


class ToolExecuted(_Event, frozen=True, tag="tool_result"):
    """The tool loop ran a call (or refused it) and this is what the model gets."""

    result: ToolResult


StopReason = Literal["done", "max_steps", "approval"]


class RunResult(msgspec.Struct, frozen=True, kw_only=True):
    """The end of a tool loop. `messages` is the whole history (what was sent
    plus every new turn), ready to continue on any model; `stop` says why the
    loop ended, and with "approval", `pending` holds the calls it did not run."""

    response: Response
    messages: list[Message]
    steps: int
    stop: StopReason = "done"
    pending: list[ToolCall] = []
    usage: Usage = Usage()  # every step's usage, summed (`response.usage` is the last step's)
    responses: list[Response] = []  # every step's answer, in order (`response` is the last)

    @property
    def cost(self) -> Cost | None:
        """The run's price: every step's `cost` summed, or None when one of
        them is not known."""
        total = Cost()
        for r in self.responses or [self.response]:
            c = r.cost
            if c is None:
                return None
            total += c
        return total


class StepStart(_Event, frozen=True, tag="step_start"):
    """Between two steps of a streamed tool loop: step `step` (from 0; the
    first step has none) starts on `model`, so its text starts afresh."""

    step: int
    model: str


class RunDone(_Event, frozen=True, tag="run_done"):
    result: RunResult


StreamEvent = (
    TextStart
    | TextDelta
    | TextEnd
    | ThinkingStart
    | ThinkingDelta
    | ThinkingEnd
    | ToolCallStart
    | ToolCallDelta
    | ToolCallEnd
    | UsageUpdate
    | Finished
    | Done
)

RunEvent = StreamEvent | ToolExecuted | StepStart | RunDone
