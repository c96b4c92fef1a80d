"""The documented request rules that types cannot express (test-only).

Each rule function takes one built request (`Sent`) and yields what is wrong
with it, as `"[class] what"` strings; no output means the rule holds. The class
tags are issue 13's seven (schema, text, ids, cache, toolconfig, sampling) plus
`other` for documented 400s outside them. Sources are the vendors' docs (cited
per section) and the real error messages quoted beside each rule.

Rules are keyed by wire (the path the request goes to) and, for a vendor's own
rules on a shared wire, by host: see `WIRES` in tests/test_request_validity.py.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec

Json = dict[str, Any]


class Sent(msgspec.Struct, frozen=True, kw_only=True):
    """One request as llmkit built it, decoded."""

    endpoint: str
    url: str
    headers: dict[str, str]
    body: Json

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def model(self) -> str:
        if "model" in self.body:
            return str(self.body["model"])
        path = unquote(urlsplit(self.url).path)  # Gemini: /v1beta/models/{model}:method
        return path.rsplit("/", 1)[-1].split(":")[0]


Rule = Callable[[Sent], Iterator[str]]


def _prefixed(table: Mapping[str, Any], model: str, default: Any = None) -> Any:
    """The longest matching prefix's entry (model facts are tables, by prefix)."""
    hits = [k for k in table if model.startswith(k)]
    return table[max(hits, key=len)] if hits else default


# ---- JSON Schema dialects (each vendor's structured-output page) -----------------------


def _nodes(schema: Any, path: str = "$") -> Iterator[tuple[str, Json]]:
    """Every sub-schema with its path: properties, items, anyOf/oneOf/allOf,
    $defs/definitions, prefixItems, schema-valued additionalProperties."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            yield from _nodes(sub, f"{path}.{key}.{name}")
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for i, sub in enumerate(schema.get(key) or []):
            yield from _nodes(sub, f"{path}.{key}[{i}]")
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            yield from _nodes(schema[key], f"{path}.{key}")


def _is_object(node: Json) -> bool:
    t = node.get("type")
    return t == "object" or (isinstance(t, list) and "object" in t) or "properties" in node


_OPENAI_NOT = ("default", "allOf", "not", "if", "then", "else", "dependentRequired",
               "dependentSchemas", "patternProperties")  # fmt: skip


def openai_strict(schema: Any, where: str) -> Iterator[str]:
    """OpenAI strict mode (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas):
    every object closed with
    additionalProperties:false and every property required; the root an object;
    no unsupported keywords."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        yield f"[schema] {where}: the root of a strict schema must be an object"
    for path, node in _nodes(schema):
        if _is_object(node):
            if node.get("additionalProperties") is not False:
                yield f"[schema] {where} {path}: strict objects need additionalProperties:false"
            missing = set(node.get("properties") or {}) - set(node.get("required") or [])
            if missing:
                yield f"[schema] {where} {path}: all keys required: {sorted(missing)}"
        for key in _OPENAI_NOT:
            if key in node:
                yield f"[schema] {where} {path}: {key!r} is not permitted in strict mode"


_CLAUDE_KEYS = {"type", "properties", "required", "additionalProperties", "items", "enum", "const",
                "anyOf", "allOf", "$ref", "$defs", "definitions", "description", "title", "format",
                "minItems"}  # fmt: skip
_CLAUDE_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4",
                   "ipv6", "uuid"}  # fmt: skip


def claude_strict(schema: Any, where: str) -> Iterator[str]:
    """Claude structured outputs and strict tools
    (https://platform.claude.com/docs/en/build-with-claude/structured-outputs): objects closed,
    only the supported keywords (the SDK moves the rest into the description)."""
    for path, node in _nodes(schema):
        if _is_object(node) and node.get("additionalProperties") is not False:
            yield f"[schema] {where} {path}: Claude needs additionalProperties:false on objects"
        extra = set(node) - _CLAUDE_KEYS
        if extra:
            yield f"[schema] {where} {path}: Claude does not take {sorted(extra)}"
        if "format" in node and node["format"] not in _CLAUDE_FORMATS:
            yield f"[schema] {where} {path}: Claude does not take format {node['format']!r}"
        if node.get("minItems", 0) not in (0, 1):
            yield f"[schema] {where} {path}: Claude takes minItems 0 or 1 only"
    if _ref_cycle(schema):
        yield f"[schema] {where}: Claude does not take recursive schemas"


def _ref_cycle(schema: Any) -> bool:
    defs = {**(schema.get("$defs") or {}), **(schema.get("definitions") or {})} if isinstance(
        schema, dict) else {}  # fmt: skip

    def refs(node: Any) -> set[str]:
        return {n["$ref"].rsplit("/", 1)[-1] for _, n in _nodes(node) if "$ref" in n}

    graph = {name: refs(d) for name, d in defs.items()}
    seen: set[str] = set()

    def visit(name: str, stack: frozenset[str]) -> bool:
        if name in stack:
            return True
        if name in seen:
            return False
        seen.add(name)
        return any(visit(n, stack | {name}) for n in graph.get(name, ()))

    return any(visit(n, frozenset()) for n in graph)


_GEMINI_KEYS = {"$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description",
                "enum", "items", "prefixItems", "minItems", "maxItems", "minimum", "maximum",
                "anyOf", "oneOf", "properties", "additionalProperties", "required",
                "propertyOrdering"}  # fmt: skip


def gemini_schema(schema: Any, where: str) -> Iterator[str]:
    """Gemini's JSON Schema subset (https://ai.google.dev/gemini-api/docs/structured-output#json-schema-support):
    only the listed keywords;
    a `$ref` has only `$`-siblings; enums of strings and numbers."""
    for path, node in _nodes(schema):
        extra = set(node) - _GEMINI_KEYS
        if extra:
            yield f"[schema] {where} {path}: Gemini's schema subset has no {sorted(extra)}"
        if "$ref" in node and any(not k.startswith("$") for k in node):
            yield f"[schema] {where} {path}: a $ref may only have $-siblings on Gemini"
        if any(not isinstance(v, (str, int, float)) for v in node.get("enum") or []):
            yield f"[schema] {where} {path}: Gemini enums hold strings and numbers"


def xai_tool(schema: Any, where: str) -> Iterator[str]:
    """xAI rejects additionalProperties:false in tool schemas that declare
    properties (https://docs.x.ai/docs/guides/function-calling; objects are
    closed there by default)."""
    for path, node in _nodes(schema):
        if node.get("properties") and node.get("additionalProperties") is False:
            yield f"[schema] {where} {path}: xAI tools may not say additionalProperties:false"


# ---- Anthropic -------------------------------------------------------------------------
# https://platform.claude.com/docs/en/api/messages
# https://platform.claude.com/docs/en/api/errors#common-validation-errors

_CLAUDE_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_SERVER_ID = re.compile(r"^srvtoolu_[a-zA-Z0-9_]+$")

# Under 2023-06-01, these reject non-default temperature/top_p/top_k ("`temperature`
# is deprecated for this model"; temperature 1 passes). 5.5 and 5.x Fable/Mythos
# are assumed to (https://platform.claude.com/docs/en/api/versioning).
_SAMPLING_DEPRECATED = ("claude-opus-4-7", "claude-opus-4-8", "claude-opus-5", "claude-sonnet-5",
                        "claude-fable-5", "claude-mythos-5", "claude-haiku-5")  # fmt: skip
# Manual thinking (`budget_tokens`) is rejected here (1.2); `disabled` where always on.
_NO_MANUAL = ("claude-opus-4-7", "claude-opus-4-8", "claude-mythos", "claude-fable",
              "claude-opus-5-5")  # fmt: skip
_ALWAYS_ON = ("claude-opus-5-5", "claude-fable", "claude-mythos")
_NO_FORCED = ("claude-opus-5-5", "claude-fable-5-1", "claude-sonnet-5-5")
# No structured outputs or strict tools before Sonnet 4.5 / Opus 4.1 (7.3): "'claude-sonnet-
# 4-20250514' does not support strict tools." (400, eigent-ai/eigent#1649).
_NO_STRUCTURED = ("claude-3", "claude-sonnet-4-0", "claude-sonnet-4-2", "claude-opus-4-0",
                  "claude-opus-4-2")  # fmt: skip
# A final assistant message (prefill) is a 400 from Claude 4.6 on (8.1).
_NO_PREFILL = ("claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-7", "claude-opus-4-8",
               "claude-opus-5", "claude-sonnet-5", "claude-haiku-5", "claude-fable",
               "claude-mythos")  # fmt: skip


def _blocks(content: Any) -> list[Json]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _all_blocks(body: Json) -> Iterator[tuple[str, Json]]:
    """Every content block with where it sits: system, messages, tool_result content."""
    for i, b in enumerate(_blocks(body.get("system"))):
        yield f"system[{i}]", b
    for i, m in enumerate(body.get("messages") or []):
        for j, b in enumerate(_blocks(m.get("content"))):
            yield f"messages[{i}].content[{j}]", b
            if b.get("type") == "tool_result" and isinstance(b.get("content"), list):
                for k, c in enumerate(_blocks(b["content"])):
                    yield f"messages[{i}].content[{j}].content[{k}]", c


def anthropic_text(s: Sent) -> Iterator[str]:
    for where, b in _all_blocks(s.body):
        if b.get("type") == "text" and not str(b.get("text", "")).strip():
            yield f"[text] {where}: text blocks need non-whitespace text ({b.get('text')!r})"
    for i, m in enumerate(s.body.get("messages") or []):
        if m.get("content") in ("", []):
            yield f"[text] messages[{i}]: empty content"


def anthropic_ids(s: Sent) -> Iterator[str]:
    msgs = s.body.get("messages") or []
    for where, b in _all_blocks(s.body):
        kind = b.get("type")
        if kind == "tool_use" and not _CLAUDE_ID.match(str(b.get("id"))):
            yield f"[ids] {where}: tool_use.id {b.get('id')!r} !~ {_CLAUDE_ID.pattern}"
        if kind == "server_tool_use" and not _SERVER_ID.match(str(b.get("id"))):
            yield f"[ids] {where}: server_tool_use.id {b.get('id')!r} !~ {_SERVER_ID.pattern}"
        if kind == "tool_result" and not _CLAUDE_ID.match(str(b.get("tool_use_id"))):
            yield f"[ids] {where}: tool_use_id {b.get('tool_use_id')!r} !~ {_CLAUDE_ID.pattern}"
    for i, m in enumerate(msgs):  # 1.7: results open the very next user turn, one per call
        calls = [b["id"] for b in _blocks(m.get("content")) if b.get("type") == "tool_use"]
        nxt = msgs[i + 1] if i + 1 < len(msgs) else None
        after = _blocks(nxt.get("content")) if nxt and nxt.get("role") == "user" else []
        results = [b.get("tool_use_id") for b in after if b.get("type") == "tool_result"]
        if m.get("role") == "assistant" and calls and sorted(results) != sorted(calls):
            yield f"[ids] messages[{i}]: tool_use {calls} answered by tool_result {results}"
        if (
            after
            and results
            and [b.get("type") for b in after[: len(results)]] != ["tool_result"] * len(results)
        ):
            yield f"[ids] messages[{i + 1}]: tool_result blocks must come first"
        if m.get("role") == "user" and i and not calls:
            prev = [b["id"] for b in _blocks(msgs[i - 1].get("content"))
                    if b.get("type") == "tool_use"]  # fmt: skip
            own = [b.get("tool_use_id") for b in _blocks(m.get("content"))
                   if b.get("type") == "tool_result"]  # fmt: skip
            stray = [r for r in own if r not in prev]
            if stray:
                yield f"[ids] messages[{i}]: tool_result for {stray} without a tool_use just before"
    if (
        msgs
        and msgs[0].get("role") == "user"
        and any(b.get("type") == "tool_result" for b in _blocks(msgs[0].get("content")))
    ):
        yield "[ids] messages[0]: tool_result without a tool_use before it"


def anthropic_cache(s: Sent) -> Iterator[str]:
    marks = [f"tools[{i}]" for i, t in enumerate(s.body.get("tools") or []) if "cache_control" in t]
    for where, b in _all_blocks(s.body):
        if "cache_control" not in b:
            continue
        marks.append(where)
        if b.get("type") in ("thinking", "redacted_thinking"):
            yield f"[cache] {where}: cache_control on a {b['type']} block"
        if b.get("type") == "text" and not str(b.get("text", "")).strip():
            yield f"[cache] {where}: cache_control on an empty text block"
    if len(marks) > 4:
        yield f"[cache] {len(marks)} cache_control breakpoints (at most 4): {marks}"


def ranges(s: Sent, temperature: float) -> Iterator[str]:
    """Sampling ranges: temperature 0..`temperature` (Claude 1, others 2), top_p
    0..1 ("Invalid 'temperature': decimal below minimum value", corpus
    openai-responses/pai_error_400_temperature)."""
    b = s.body.get("generationConfig", s.body)
    t, p = b.get("temperature"), b.get("top_p", b.get("topP"))
    if t is not None and not 0 <= t <= temperature:
        yield f"[sampling] temperature {t} outside 0..{temperature}"
    if p is not None and not 0 <= p <= 1:
        yield f"[sampling] top_p {p} outside 0..1"


# Effort levels a model refuses: "This model does not support effort level 'xhigh'.
# Supported levels: high, low, max, medium." (corpus anthropic/pai_error_400_effort_unsupported)
_CLAUDE_NO_EFFORT: Mapping[str, frozenset[str]] = {"claude-opus-4-6": frozenset({"xhigh"})}


def anthropic_sampling(s: Sent) -> Iterator[str]:
    b, model = s.body, s.model
    version = s.headers.get("anthropic-version", "")
    given = [k for k in ("temperature", "top_p", "top_k") if k in b]
    yield from ranges(s, 1)
    effort = (b.get("output_config") or {}).get("effort")
    if effort in _prefixed(_CLAUDE_NO_EFFORT, model, frozenset()):
        yield f"[other] {model} does not support effort {effort!r}"
    if version != "2023-06-01":
        if given:
            yield f"[sampling] {given} do not exist under anthropic-version {version}"
        for i, m in enumerate(b.get("messages") or []):
            for blk in _blocks(m.get("content")):
                if m.get("role") == "assistant" and blk.get("type") == "document":
                    yield f"[sampling] messages[{i}]: document in an assistant turn ({version})"
                if m.get("role") == "user" and blk.get("type") == "text" and blk.get("citations"):
                    yield f"[sampling] messages[{i}]: cited text in a user turn ({version})"
    elif model.startswith(_SAMPLING_DEPRECATED):
        odd = [k for k in given if not (k == "temperature" and b[k] == 1)]
        if odd:
            yield f"[sampling] {model} rejects {odd} under 2023-06-01"
    elif (
        model.startswith("claude-") and "-4-" in model + "-" and {"temperature", "top_p"} <= set(b)
    ):
        yield f"[sampling] {model}: Claude 4.x takes temperature or top_p, not both"
    thinking = b.get("thinking") or {}
    odd = b.get("temperature", 1) != 1 or "top_k" in b or not 0.95 <= b.get("top_p", 1) <= 1
    if thinking.get("type") in ("enabled", "adaptive") and odd:  # 1.2: thinking limits sampling
        yield f"[sampling] thinking with temperature/top_k/top_p {given}"


def anthropic_thinking(s: Sent) -> Iterator[str]:
    """1.2 and 8.1: thinking types per model, forced tools, prefill."""
    b, model = s.body, s.model
    thinking = b.get("thinking") or {}
    kind = thinking.get("type")
    if kind == "enabled":
        if model.startswith(_NO_MANUAL):
            yield f"[other] {model} rejects thinking.type 'enabled' (budget_tokens)"
        budget = thinking.get("budget_tokens", 0)
        if not 1024 <= budget < b.get("max_tokens", 0):
            yield f"[other] budget_tokens {budget} must be >= 1024 and < max_tokens"
    if kind == "disabled" and model.startswith(_ALWAYS_ON):
        yield f"[other] {model} rejects thinking.type 'disabled'"
    forced = (b.get("tool_choice") or {}).get("type") in ("any", "tool")
    if forced and kind in ("enabled", "adaptive"):
        yield "[other] a forced tool_choice while thinking"
    if forced and model.startswith(_NO_FORCED):
        yield f"[other] {model} rejects a forced tool_choice"
    msgs = b.get("messages") or []
    if msgs and msgs[-1].get("role") == "assistant" and model.startswith(_NO_PREFILL):
        yield f"[other] {model} rejects a final assistant message (prefill)"


def anthropic_schemas(s: Sent) -> Iterator[str]:
    fmt = (s.body.get("output_config") or {}).get("format")
    if fmt:
        yield from claude_strict(fmt.get("schema"), "output_config.format.schema")
    for i, t in enumerate(s.body.get("tools") or []):
        if "input_schema" in t and (t["input_schema"] or {}).get("type") != "object":
            yield f"[schema] tools[{i}].input_schema.type must be 'object' (1.2)"
        if t.get("strict"):
            yield from claude_strict(t.get("input_schema"), f"tools[{i}].input_schema")
            if s.model.startswith(_NO_STRUCTURED):
                yield f"[schema] tools[{i}]: {s.model!r} does not support strict tools"


ANTHROPIC: tuple[Rule, ...] = (anthropic_text, anthropic_ids, anthropic_cache, anthropic_sampling,
                               anthropic_thinking, anthropic_schemas)  # fmt: skip


# ---- OpenAI Chat Completions (https://platform.openai.com/docs/api-reference/chat/create) ---

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_OPENAI_REASONING = ("o1", "o3", "o4", "gpt-5", "gpt-6")
# Chat Completions tool_calls[].id: "string too long. Expected a string with maximum
# length 40" (code string_above_max_length) [microsoft/autogen#6377, agno-agi/agno#5382,
# openclaw/openclaw#31934; vercel/ai#17233 could not reproduce it in 2026-07, so 40 is
# the conservative bound].
CHAT_ID_MAX = 40
# Accepted reasoning_effort per model on Chat Completions (2.5 table; `max` is
# Responses-only per issue 15); None = any. Non-reasoning models take none at all:
# "Unsupported parameter: 'reasoning.effort' is not supported with this model"
# (unsupported_parameter) [BoundaryML/baml#2708 (gpt-4.1), RageAgainstThePixel/
# OpenAI-DotNet#500 (gpt-4o), avante-corp/avante.nvim#1359 (gpt-4o, Chat)].
_CHAT_EFFORTS: Mapping[str, frozenset[str] | None] = {
    "gpt-4": frozenset(),
    "gpt-5.6": frozenset({"none", "low", "medium", "high", "xhigh"}),
    "gpt-6-astra": frozenset({"low", "medium", "high", "xhigh"}),
    "gpt-6.1-sol": frozenset({"low", "medium", "high", "xhigh"}),
    "gpt-6.2-astra": frozenset({"low", "medium", "high", "xhigh"}),
}
# Function tools + reasoning on Chat Completions (2.5): "A" models reject tools
# with an effort set (gpt-5.5 even without); "B" models also when the effort is
# left to the default; "R" models take tools on Responses only.
_CHAT_TOOLS: Mapping[str, str] = {"gpt-5.2": "A", "gpt-5.4": "A", "gpt-5.5": "A0", "gpt-5.6": "B",
                                  "gpt-6": "B", "gpt-6-astra": "R", "gpt-6.1-sol": "R",
                                  "gpt-6.1-terra": "R"}  # fmt: skip


def _openai_reasoning(model: str) -> bool:
    return model.startswith(_OPENAI_REASONING) and not model.endswith("-chat-latest")


def chat_pairing(s: Sent) -> Iterator[str]:
    """Every assistant tool call is answered by `tool` messages right after it (2.2)."""
    yield from ranges(s, 2)
    waiting: list[str] = []
    for i, m in enumerate(s.body.get("messages") or []):
        if m.get("role") == "tool":
            if m.get("tool_call_id") not in waiting:
                yield f"[ids] messages[{i}]: result {m.get('tool_call_id')!r} for no pending call"
            else:
                waiting.remove(m["tool_call_id"])
            continue
        if waiting:
            yield f"[ids] messages[{i}]: calls {waiting} not answered before the next message"
        waiting = [c.get("id") for c in m.get("tool_calls") or []]
        for c in m.get("tool_calls") or []:
            if not _NAME.match(str(c.get("function", {}).get("name"))):
                yield f"[ids] messages[{i}]: tool call name {c['function'].get('name')!r}"
    if waiting:
        yield f"[ids] calls {waiting} never answered"


def chat_schemas(s: Sent, tools_strict: bool = True) -> Iterator[str]:
    rf = s.body.get("response_format") or {}
    if rf.get("type") == "json_schema":
        js = rf.get("json_schema") or {}
        if not _NAME.match(str(js.get("name"))):
            yield f"[schema] response_format name {js.get('name')!r} must match {_NAME.pattern}"
        if js.get("strict"):
            yield from openai_strict(js.get("schema"), "response_format")
    for i, t in enumerate(s.body.get("tools") or []):
        f = t.get("function") or {}
        if not _NAME.match(str(f.get("name"))):
            yield f"[schema] tools[{i}] name {f.get('name')!r} must match {_NAME.pattern}"
        if tools_strict and f.get("strict"):
            yield from openai_strict(f.get("parameters"), f"tools[{i}]")


def openai_chat(s: Sent) -> Iterator[str]:
    """OpenAI's own host: id length, reasoning-model parameters, tools + reasoning."""
    b, model = s.body, s.model
    for i, m in enumerate(b.get("messages") or []):
        ids = [c.get("id", "") for c in m.get("tool_calls") or []] + (
            [m["tool_call_id"]] if "tool_call_id" in m else [])  # fmt: skip
        for id_ in ids:
            if len(id_) > CHAT_ID_MAX:
                yield f"[ids] messages[{i}]: tool call id of {len(id_)} chars (max {CHAT_ID_MAX})"
    effort = b.get("reasoning_effort")
    if model.startswith(("o1-mini", "o1-preview")) and any(
        m.get("role") == "system" for m in b.get("messages") or []
    ):  # corpus openai/pai_error_400_system_role_unsupported
        yield f"[other] {model} does not take system messages"
    if _openai_reasoning(model):
        if "max_tokens" in b:
            yield f"[other] {model} rejects max_tokens (max_completion_tokens)"
        if effort != "none" and ({"temperature", "top_p"} & set(b)):
            yield f"[other] {model} rejects temperature/top_p unless reasoning_effort is none"
    allowed = _prefixed(_CHAT_EFFORTS, model)
    if effort is not None and allowed is not None and effort not in allowed:
        yield f"[other] {model} rejects reasoning_effort {effort!r} on Chat Completions"
    kind = _prefixed(_CHAT_TOOLS, model)
    if b.get("tools") and kind is not None:
        blocked = {"A": effort not in (None, "none"), "A0": effort != "none",
                   "B": effort != "none", "R": True}[kind]  # fmt: skip
        if blocked:
            yield f"[other] {model}: function tools with reasoning on Chat Completions"


# ---- xAI (https://docs.x.ai/docs/api-reference) ------------------------------------------

_XAI_EFFORTS: Mapping[str, frozenset[str]] = {
    "grok-3-mini": frozenset({"low", "high"}),
    "grok-4": frozenset(),
    "grok-4-": frozenset(),
    "grok-4.20": frozenset(),
    "grok-4.20-multi-agent": frozenset({"low", "medium", "high", "xhigh"}),
    "grok-4.3": frozenset({"none", "low", "medium", "high"}),
    "grok-4.5": frozenset({"low", "medium", "high"}),
    "grok-4.6": frozenset({"low", "medium", "high", "xhigh"}),
    "grok-4.7": frozenset({"low", "medium", "high", "xhigh"}),
}


def _xai_reasoning(model: str) -> bool:
    return not model.endswith("-non-reasoning") and not model.startswith(("grok-2", "grok-3-",
                                                                          "grok-3"))  # fmt: skip


def xai(s: Sent) -> Iterator[str]:
    b, model = s.body, s.model
    effort = b.get("reasoning_effort") or (b.get("reasoning") or {}).get("effort")
    allowed = _prefixed(_XAI_EFFORTS, model)
    if effort is not None and allowed is not None and effort not in allowed:
        yield f"[other] {model} rejects reasoning effort {effort!r}"
    if _xai_reasoning(model) or model.startswith("grok-3-mini"):
        odd = [k for k in ("presence_penalty", "frequency_penalty", "stop") if k in b]
        if odd:
            yield f"[other] reasoning model {model} rejects {odd}"
    for i, t in enumerate(b.get("tools") or []):
        params = (t.get("function") or t).get("parameters")
        yield from xai_tool(params, f"tools[{i}]")


# ---- OpenAI Responses (https://platform.openai.com/docs/api-reference/responses/create) ---

# `input[].call_id`: "string too long. Expected a string with maximum length 64"
# [decolua/9router#393, NousResearch/hermes-agent#73538].
CALL_ID_MAX = 64


def responses(s: Sent) -> Iterator[str]:
    b = s.body
    items = b.get("input") if isinstance(b.get("input"), list) else []
    calls: dict[str, int] = {}
    for i, it in enumerate(items):
        kind = it.get("type")
        if kind in ("function_call", "function_call_output"):
            cid = str(it.get("call_id", ""))
            if len(cid) > CALL_ID_MAX:
                yield f"[ids] input[{i}].call_id of {len(cid)} chars (max {CALL_ID_MAX})"
            if kind == "function_call":
                calls[cid] = i
            elif cid not in calls:
                yield f"[ids] input[{i}]: function_call_output {cid!r} before/without its call"
            else:
                calls.pop(cid)
    if calls:
        yield f"[ids] function calls {sorted(calls)} without their output"
    fmt = (b.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        if not _NAME.match(str(fmt.get("name"))):
            yield f"[schema] text.format name {fmt.get('name')!r} must match {_NAME.pattern}"
        if fmt.get("strict", True):
            yield from openai_strict(fmt.get("schema"), "text.format")
    yield from ranges(s, 2)
    effort = (b.get("reasoning") or {}).get("effort")
    if _openai_reasoning(s.model) and effort != "none" and ({"temperature", "top_p"} & set(b)):
        yield f"[other] {s.model} rejects temperature/top_p unless reasoning effort is none"


def openai_responses(s: Sent) -> Iterator[str]:
    """OpenAI's own host on Responses: no reasoning effort for non-reasoning models
    (a summary-only `reasoning` is accepted there [BerriAI/litellm#38842])."""
    effort = (s.body.get("reasoning") or {}).get("effort")
    if effort is not None and not _openai_reasoning(s.model):
        yield f"[other] {s.model} rejects reasoning.effort"


def responses_tools(s: Sent) -> Iterator[str]:
    """OpenAI's function tools on Responses are strict unless they say otherwise."""
    for i, t in enumerate(s.body.get("tools") or []):
        if t.get("type") == "function" and t.get("strict", True):
            yield from openai_strict(t.get("parameters"), f"tools[{i}]")


# ---- Gemini (https://ai.google.dev/api/generate-content) -------------------------------

_DATA = ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
         "codeExecutionResult")  # fmt: skip


def _levels(model: str) -> set[str] | None:
    """Accepted thinkingLevel values (4.2), or None where a level is not taken."""
    if model.startswith(("gemini-1.", "gemini-2.", "gemma-")):
        return None
    if model.startswith("gemini-4"):
        return {"LOW", "MEDIUM", "HIGH"}
    if "-pro" in model:
        return {"LOW", "HIGH"}
    return {"MINIMAL", "LOW", "MEDIUM", "HIGH"}


def gemini(s: Sent) -> Iterator[str]:
    b, model = s.body, s.model
    yield from ranges(s, 2)
    declared = [d for t in b.get("tools") or [] for d in t.get("functionDeclarations") or []]
    if "toolConfig" in b and (b["toolConfig"].get("functionCallingConfig") and not declared):
        yield "[toolconfig] toolConfig.functionCallingConfig without functionDeclarations"
    for i, d in enumerate(declared):
        if "parametersJsonSchema" in d:
            yield from gemini_schema(d["parametersJsonSchema"], f"functionDeclarations[{i}]")
    g = b.get("generationConfig") or {}
    if "responseJsonSchema" in g:
        yield from gemini_schema(g["responseJsonSchema"], "responseJsonSchema")
        if "responseSchema" in g:
            yield "[schema] responseSchema and responseJsonSchema together"
        if g.get("responseMimeType") != "application/json":
            yield "[schema] responseJsonSchema without responseMimeType application/json"
    t = g.get("thinkingConfig") or {}
    if "thinkingBudget" in t and "thinkingLevel" in t:
        yield "[other] thinkingBudget and thinkingLevel together"
    levels = _levels(model)
    if "thinkingLevel" in t and (levels is None or str(t["thinkingLevel"]).upper() not in levels):
        yield f"[other] {model} does not take thinkingLevel {t['thinkingLevel']!r}"
    yield from _gemini_turns(b.get("contents") or [], model)


def _gemini_turns(turns: list[Json], model: str) -> Iterator[str]:
    signed = re.match(r"^gemini-(\d+)", model)
    for i, t in enumerate(turns):
        if t.get("role") not in ("user", "model"):
            yield f"[other] contents[{i}]: role {t.get('role')!r}"
        if not t.get("parts"):
            yield f"[other] contents[{i}]: a turn without parts"
        for j, p in enumerate(t.get("parts") or []):
            if p.get("text") == "" and "thoughtSignature" not in p:
                yield f"[text] contents[{i}].parts[{j}]: an empty text parameter"
            data = [k for k in _DATA if k in p]
            if len(data) != 1 and not (data == [] and "thoughtSignature" in p):
                yield f"[other] contents[{i}].parts[{j}]: exactly one data field, not {data}"
        calls = [p for p in t.get("parts") or [] if "functionCall" in p]
        if calls and signed and int(signed.group(1)) >= 3 and "thoughtSignature" not in calls[0]:
            yield f"[ids] contents[{i}]: Gemini 3+ needs a thoughtSignature on the first call"
    for i, (prev, t) in enumerate(itertools.pairwise(turns), start=1):
        calls = [p["functionCall"] for p in prev.get("parts") or [] if "functionCall" in p]
        answers = [p["functionResponse"] for p in t.get("parts") or [] if "functionResponse" in p]
        if calls and [a.get("name") for a in answers] != [c.get("name") for c in calls]:
            yield f"[ids] contents[{i}]: {len(calls)} calls answered by {len(answers)} responses"
        if answers and not calls:
            yield f"[ids] contents[{i}]: functionResponse without a functionCall before it"
