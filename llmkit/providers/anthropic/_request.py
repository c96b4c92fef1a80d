"""Building `POST /v1/messages`: history, tools, options (PROTOCOLS.md 1.2).

History goes both ways here. `messages_to_wire` is what requests use;
`messages_from_wire` reads Anthropic JSON back into llmkit messages, so that

- wire -> unified -> wire is the identity on *canonical* Anthropic JSON: the
  form `messages_to_wire` emits. Equivalent spellings are normalized: string
  content becomes one text block, `system` is always a list of text blocks,
  `is_error: false`, empty or null `citations` and empty tool_result content are
  omitted, `caller` on tool_use is dropped. A block llmkit cannot model
  faithfully (citations, a `ttl` cache_control, a file source, server tools,
  types newer than us) is kept whole as `Raw` and replayed byte for byte.
- unified -> wire -> unified is the identity up to merged turns: consecutive
  same-role messages become one message, `tool` + `user` messages (both are
  Anthropic user turns) split back at the tool_result run, messages are split
  after each cache breakpoint, empty and whitespace-only text parts (the API
  refuses both) and messages left empty are dropped, tool-call ids the API
  refuses are replaced by stand-ins (`llmkit.providers._ids`), ToolResult.name,
  Message.name and other vendors' signatures are not sent (Anthropic has no
  place for them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec.structs import replace

from llmkit.errors import Unsupported
from llmkit.handoff import carry
from llmkit.protocols import HttpRequest
from llmkit.providers._common import never, tool_choice_for
from llmkit.providers._ids import ANTHROPIC, fit_id
from llmkit.providers._schema import NotStrict, anthropic_strict
from llmkit.types import (
    ChatRequest,
    Document,
    ForeignThinking,
    Image,
    Message,
    ModelInfo,
    Options,
    Part,
    Raw,
    Reasoning,
    ResponseFormat,
    Role,
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolChoice,
    ToolResult,
)

from ._models import model_info
from ._rules import (
    EPHEMERAL,
    SAMPLING_KEYS,
    blank,
    cache_last,
    check_prefill,
    keep_last_breakpoints,
    sampling,
)
from ._wire import NAME, VERSION, encoder, from_wire_block, text_document_data

_DEFAULT_OPTIONS = Options()
# When neither the caller nor the catalog knows the model's output limit: every
# Claude model since Claude 3 accepts this many.
FALLBACK_MAX_TOKENS = 4096
_INTERLEAVED = "interleaved-thinking-2025-05-14"
_MIN_BUDGET = 1024  # manual thinking: budget_tokens >= 1024 and < max_tokens
# Manual-thinking models have no `effort`; an effort level picks a budget.
_BUDGET = dict(minimal=1024, low=2048, medium=8192, high=16384, xhigh=32768, max=65536)
# Anthropic's levels are low..max; llmkit's "minimal" is its "low".
_EFFORT = {"minimal": "low", **{e: e for e in ("low", "medium", "high", "xhigh", "max")}}


def _unsupported(feature: str) -> Unsupported:
    return Unsupported(feature, provider=NAME)


# ---- parts -> blocks -------------------------------------------------------------


def _image(p: Image) -> dict[str, Any]:
    if p.data is not None:
        if not p.media_type:
            raise _unsupported("an inline image without media_type")
        source = {"type": "base64", "media_type": p.media_type, "data": p.data}
    elif p.url is not None:
        source = {"type": "url", "url": p.url}
    else:
        raise _unsupported("an image with neither data nor url")
    return {"type": "image", "source": source}


def _document(p: Document) -> dict[str, Any]:
    if p.data is not None and p.media_type == "application/pdf":
        source = {"type": "base64", "media_type": p.media_type, "data": p.data}
    elif p.data is not None and p.media_type == "text/plain":
        text = text_document_data(p.data)
        if text is None:
            raise _unsupported("a text/plain document whose data is not base64 UTF-8")
        source = {"type": "text", "media_type": p.media_type, "data": text}
    elif p.data is not None:
        raise _unsupported(f"{p.media_type} documents (PDF and text/plain only)")
    elif p.url is not None:
        source = {"type": "url", "url": p.url}
    else:
        raise _unsupported("a document with neither data nor url")
    block: dict[str, Any] = {"type": "document", "source": source}
    if p.title is not None:
        block["title"] = p.title
    return block


def _tool_result(p: ToolResult, foreign: ForeignThinking) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": fit_id(p.tool_call_id, ANTHROPIC),
    }
    if isinstance(p.content, str):
        content: str | list[dict[str, Any]] = "" if blank(p.content) else p.content
    else:
        content = [b for c in p.content if (b := _block(c, foreign)) is not None]
    if content:
        block["content"] = content
    if p.is_error:
        block["is_error"] = True
    return block


def _thinking(p: Thinking, foreign: ForeignThinking) -> dict[str, Any] | None:
    """Claude's own thinking (other vendors' was settled by `carry`) goes back
    verbatim (PROTOCOLS 1.5); without a signature the API would reject it as
    thinking, so it then follows `foreign_thinking` like anyone else's."""
    if p.redacted is not None:
        return {"type": "redacted_thinking", "data": p.redacted}
    if p.signature is not None:
        return {"type": "thinking", "thinking": p.text, "signature": p.signature}
    if foreign == "text" and not blank(p.text):
        return {"type": "text", "text": p.text}
    return None


def _block(part: Part, foreign: ForeignThinking) -> dict[str, Any] | None:
    p = carry(part, NAME, foreign)
    match p:
        case None:
            return None
        case Text(text=text, citations=cites):
            if blank(text):
                return None  # the API rejects empty and whitespace-only text blocks
            return {"type": "text", "text": text, "citations": cites} if cites else {
                "type": "text", "text": text,
            }  # fmt: skip
        case Image():
            return _image(p)
        case Document():
            return _document(p)
        case ToolCall(id=id_, name=name, arguments=args):
            return {"type": "tool_use", "id": fit_id(id_, ANTHROPIC), "name": name, "input": args}
        case ToolResult():
            return _tool_result(p, foreign)
        case Thinking():
            return _thinking(p, foreign)
        case Raw(data=data):
            return _raw(data) if isinstance(data, dict) else None
        case _:
            never(p)


# The id field of each block type that names a client tool call.
_ID_KEYS = {"tool_use": "id", "tool_result": "tool_use_id"}


def _raw(data: dict[str, Any]) -> dict[str, Any] | None:
    """A block kept whole goes back as it came, except that blank text is not
    sent and a tool call's id is fitted like a modelled one's, so a Raw
    tool_result (extra keys, unusual content) still pairs with its call."""
    kind = data.get("type")
    if kind == "text" and blank(str(data.get("text", ""))):
        return None
    inner = data.get("content")
    if kind == "tool_result" and isinstance(inner, list):  # its blocks obey the same rule
        kept = [b for b in inner if not (isinstance(b, dict) and _raw(b) is None)]
        if len(kept) < len(inner):  # none left: no content, as for a modelled result
            rest = {k: v for k, v in data.items() if k != "content"}
            data = {**rest, "content": kept} if kept else rest
    key = _ID_KEYS.get(str(kind))
    if key is not None and isinstance(data.get(key), str):
        fitted = fit_id(data[key], ANTHROPIC)
        return data if fitted == data[key] else {**data, key: fitted}
    return data


# ---- history ---------------------------------------------------------------------


def _results_first(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """tool_result blocks must open the user turn that follows the tool_use."""
    results = [b for b in blocks if b.get("type") == "tool_result"]
    if not results or len(results) == len(blocks) or blocks[: len(results)] == results:
        return blocks
    return results + [b for b in blocks if b.get("type") != "tool_result"]


def _system_block(b: dict[str, Any]) -> dict[str, Any]:
    if b.get("type") != "text":
        raise _unsupported(f"{b.get('type')} content in a system message (text only)")
    return b


def messages_to_wire(
    messages: Sequence[Message], options: Options = _DEFAULT_OPTIONS
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """llmkit messages as Anthropic's `(system, messages)`: system messages are
    lifted into `system`, tool messages become user turns, same-role turns are
    merged and `Message.cache` puts `cache_control` on the message's last block
    that can carry one (not thinking); when none of its blocks can (or none is
    sent), on the last such block before it: the longest prefix the API allows.
    `options.foreign_thinking` decides other vendors' thinking."""
    system: list[dict[str, Any]] = []
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    for m in messages:
        blocks = [b for p in m.content if (b := _block(p, options.foreign_thinking)) is not None]
        if m.cache:
            earlier = [system] if m.role == "system" else [system, *(b for _, b in turns)]
            cache_last([*earlier, blocks])
        if not blocks:
            continue
        if m.role == "system":
            system += [_system_block(b) for b in blocks]
            continue
        role = "assistant" if m.role == "assistant" else "user"
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    wire = [
        {"role": role, "content": _results_first(blocks) if role == "user" else blocks}
        for role, blocks in turns
    ]
    return system or None, wire


def _split(role: Role, blocks: list[Any]) -> list[Message]:
    """One wire turn as llmkit messages: a run of tool_result blocks in a user
    turn is a `tool` message, and each cache breakpoint ends a message."""
    out: list[Message] = []
    cur: list[Part] = []
    cur_role: Role = role

    def flush(cache: bool) -> None:
        nonlocal cur
        if cur:
            out.append(Message(role=cur_role, content=cur, cache=cache))
            cur = []

    for b in blocks:
        cached = isinstance(b, dict) and b.get("cache_control") == EPHEMERAL
        if cached:
            b = {k: v for k, v in b.items() if k != "cache_control"}
        part = from_wire_block(b) if isinstance(b, dict) else Raw(provider=NAME, data=b)
        r: Role = "tool" if role == "user" and isinstance(part, ToolResult) else role
        if r != cur_role:
            flush(False)
            cur_role = r
        cur.append(part)
        if cached:
            flush(True)
    flush(False)
    return out


def _content(value: Any) -> list[Any]:
    return [{"type": "text", "text": value}] if isinstance(value, str) else list(value or [])


def messages_from_wire(
    system: str | list[dict[str, Any]] | None, messages: Sequence[dict[str, Any]]
) -> list[Message]:
    """Anthropic's `system` and `messages` (decoded JSON) as llmkit messages;
    the inverse of `messages_to_wire` (see the module docstring)."""
    out = _split("system", _content(system))
    for wm in messages:
        role: Role = "assistant" if wm.get("role") == "assistant" else "user"
        out += _split(role, _content(wm.get("content")))
    return out


# ---- tools and options -------------------------------------------------------------


def _tool(t: Tool, model: str, info: ModelInfo | None) -> dict[str, Any]:
    if t.strict and info is not None and "structured_outputs" not in info.capabilities:
        # 400 "'claude-sonnet-4-20250514' does not support strict tools." (eigent-ai/eigent#1649)
        raise _unsupported(f"strict tool {t.name!r} on {model} (no structured outputs)")
    out: dict[str, Any] = {"name": t.name}
    if t.description:
        out["description"] = t.description
    out["input_schema"] = _strict_schema(t) if t.strict else t.parameters
    if t.strict is not None:
        out["strict"] = t.strict
    if t.cache:
        out["cache_control"] = dict(EPHEMERAL)
    return out


def _strict_schema(t: Tool) -> dict[str, Any]:
    try:
        return anthropic_strict(t.parameters, tool=True)
    except NotStrict as e:
        raise _unsupported(f"strict tool {t.name!r}: {e.feature}") from e


_CHOICE = {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}


def _tool_choice(c: ToolChoice | None, has_tools: bool) -> dict[str, Any] | None:
    c = tool_choice_for(c, has_tools, NAME)
    if c is None:
        return None
    out: dict[str, Any] = {"type": _CHOICE[c.mode]}
    if c.mode == "tool":
        if not c.name:
            raise _unsupported("tool_choice 'tool' without a tool name")
        out["name"] = c.name
    if c.parallel is not None and c.mode != "none":
        out["disable_parallel_tool_use"] = not c.parallel
    return out


def _budget(tokens: int, max_tokens: int) -> int:
    if tokens < _MIN_BUDGET or tokens >= max_tokens:
        raise _unsupported(
            f"a thinking budget of {tokens} with max_tokens {max_tokens} "
            f"(needs {_MIN_BUDGET} <= budget < max_tokens)"
        )
    return tokens


def _reasoning(
    r: Reasoning | None, model: str, info: ModelInfo | None, max_tokens: int
) -> tuple[dict[str, Any] | None, str | None]:
    """`thinking` and `output_config.effort` for what the model supports.
    Models not in the catalog are assumed to support both thinking types."""
    if r is None:
        return None, None
    caps = None if info is None else frozenset(info.capabilities)
    if r.effort == "none":
        if caps is not None and "thinking.always_on" in caps:
            raise _unsupported(f"turning thinking off on {model}")
        return None, None  # thinking is off unless asked for
    effort = _EFFORT[r.effort] if r.effort else None
    has_effort = caps is None or "effort" in caps
    if effort and caps is not None and has_effort and f"effort.{effort}" not in caps:
        raise _unsupported(f"effort {effort!r} on {model}")
    sent_effort = effort if has_effort else None
    display = {} if r.include else {"display": "omitted"}
    manual = caps is None or "thinking.types.enabled" in caps
    if r.budget is not None and manual:
        return {"type": "enabled", "budget_tokens": _budget(r.budget, max_tokens), **display}, (
            sent_effort
        )
    if caps is None or "thinking.types.adaptive" in caps:
        return {"type": "adaptive", **display}, sent_effort
    if manual:
        tokens = min(_BUDGET[r.effort or "medium"], max_tokens - 1)
        return {"type": "enabled", "budget_tokens": _budget(tokens, max_tokens), **display}, None
    raise _unsupported(f"reasoning on {model}")


def _format(f: ResponseFormat, model: str, info: ModelInfo | None) -> dict[str, Any]:
    if f.schema is None:
        raise _unsupported("JSON output without a schema (Anthropic has no JSON mode)")
    if info is not None and "structured_outputs" not in info.capabilities:
        raise _unsupported(f"structured output on {model}")
    return {"type": "json_schema", "schema": f.schema}


def _thinking_fields(
    req: ChatRequest, info: ModelInfo | None, max_tokens: int, choice: dict[str, Any] | None
) -> dict[str, Any]:
    """`thinking` and `output_config` (effort, structured output)."""
    o = req.options
    thinking, effort = _reasoning(o.reasoning, req.model, info, max_tokens)
    if choice and choice["type"] in ("any", "tool"):
        if info is not None and "tool_choice.forced" not in info.capabilities:
            raise _unsupported(f"forcing a tool call on {req.model} (use tool_choice 'auto')")
        if thinking is not None:
            raise _unsupported("forcing a tool call while thinking (use tool_choice 'auto')")
    out: dict[str, Any] = {} if thinking is None else {"thinking": thinking}
    config: dict[str, Any] = {} if effort is None else {"effort": effort}
    if o.response_format is not None:
        config["format"] = _format(o.response_format, req.model, info)
    if config:
        out["output_config"] = config
    return out


def _as_forced_tool(req: ChatRequest, info: ModelInfo | None) -> ChatRequest:
    """Structured output as Claude can take it. Where `output_config.format`
    exists, the schema in Claude's dialect (`anthropic_strict`). On a model
    without it, or for a schema Claude's structured outputs cannot express
    (a dict, recursion), the schema as given becomes a tool the model is made
    to call, and the answer is that call's input (what Anthropic documented
    before native structured outputs; tool schemas are not restricted)."""
    f = req.options.response_format
    if f is None or f.schema is None:
        return req
    if info is None or "structured_outputs" in info.capabilities:
        try:
            schema = anthropic_strict(f.schema)
        except NotStrict as e:
            r = req.options.reasoning
            if r is not None and r.effort != "none":
                raise _unsupported(f"structured output while thinking: {e.feature}") from e
        else:
            native = replace(f, schema=schema)
            return replace(req, options=replace(req.options, response_format=native))
    if req.tool_choice is not None and req.tool_choice.mode != "auto":
        mode = req.tool_choice.mode
        raise _unsupported(f"structured output with tool_choice {mode!r} on {req.model}")
    if f.schema.get("type") != "object":  # 400 "input_schema.type: Input should be 'object'"
        raise _unsupported(f"structured output other than an object on {req.model}")
    if any(t.name == f.name for t in req.tools):
        raise _unsupported(f"structured output named {f.name!r} beside a tool of that name")
    answer = Tool(name=f.name, description="Give the answer in this shape.", parameters=f.schema)
    # Beside the caller's own tools the model must call one of them or the
    # answer tool ("any"), so a tool loop can still use its tools; alone, the
    # answer tool is forced.
    choice = ToolChoice(mode="required") if req.tools else ToolChoice(mode="tool", name=f.name)
    return replace(
        req,
        tools=[*req.tools, answer],
        tool_choice=choice,
        options=replace(req.options, response_format=None),
    )


def _body(req: ChatRequest, info: ModelInfo | None) -> dict[str, Any]:
    req = _as_forced_tool(req, info)
    o = req.options
    if o.seed is not None:
        raise _unsupported("seed (Anthropic sampling cannot be seeded)")
    system, messages = messages_to_wire(req.messages, o)
    if not messages:
        raise _unsupported("a request without any user or assistant message")
    check_prefill(messages, req.model)
    max_tokens = o.max_tokens or (info and info.max_output) or FALLBACK_MAX_TOKENS
    body: dict[str, Any] = {"model": req.model, "max_tokens": max_tokens}
    if system:
        body["system"] = system
    body["messages"] = messages
    if req.tools:
        body["tools"] = [_tool(t, req.model, info) for t in req.tools]
    keep_last_breakpoints([body.get("tools", []), system or [], *(m["content"] for m in messages)])
    choice = _tool_choice(req.tool_choice, bool(req.tools))
    if choice is not None:
        body["tool_choice"] = choice
    if o.stop:
        body["stop_sequences"] = list(o.stop)
    thinking = _thinking_fields(req, info, max_tokens, choice)
    body.update(sampling(o, req.model, info, "thinking" in thinking))
    body.update(thinking)
    if req.stream:
        body["stream"] = True
    return body


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    """The HTTP request for `req` (streaming when `req.stream`), without the key.
    `options.extra` is merged last into the body, except `extra["betas"]`, a
    list of `anthropic-beta` names (as the official SDK's `betas=`)."""
    body = _body(req, model_info(req.model))
    extra = dict(req.options.extra)
    given = extra.pop("betas", ())
    for key in SAMPLING_KEYS:  # already checked and placed by `sampling`
        extra.pop(key, None)
    betas = [given] if isinstance(given, str) else [str(b) for b in given]
    body.update(extra)
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled" and body.get("tools"):
        betas.append(_INTERLEAVED)  # manual thinking between tool calls (adaptive has it)
    headers = {"anthropic-version": VERSION, "content-type": "application/json"}
    if betas:
        headers["anthropic-beta"] = ",".join(dict.fromkeys(betas))
    if req.stream:
        headers["accept"] = "text/event-stream"
    return HttpRequest(
        method="POST",
        url=f"{base_url.rstrip('/')}/v1/messages",
        headers=headers,
        body=encoder.encode(body),
    )
