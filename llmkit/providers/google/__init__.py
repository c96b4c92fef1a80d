"""Google Gemini API (generativelanguage.googleapis.com, v1beta), pure functions.

`POST /v1beta/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse`
when streaming; the key goes in the `x-goog-api-key` header, never the URL, so
it cannot leak into logged URLs. See PROTOCOLS.md section 4.

Decisions worth knowing:
- Signatures: a `thoughtSignature` stays on the llmkit part it came on and is
  sent back on that part, only when the part's `provider` is "google"; llmkit
  never invents one (so Gemini 3 rejects foreign function calls in the current
  turn: "missing a thought_signature"). A streamed text's signature, sent on a
  last empty part, lands on the text part, as in the non-streamed answer
  (see `_stream`).
- Ids: a functionCall without an id gets `llmkit-gemini-<responseId>-<k>`;
  such ids are never sent back, so Gemini matches results by name and order.
  Vendor ids, and other vendors' ids, are echoed (Gemini accepts client ids).
- Other vendors' history: thinking per `Options.foreign_thinking`; their Raw
  parts and signatures are dropped.
- `toolConfig` only goes with function declarations (Gemini 400s otherwise):
  `tool_choice` auto/none without tools is left out, required/tool refused.
- History both ways: `messages_to_wire(messages, options=Options()) ->
  (systemInstruction | None, contents)` and `messages_from_wire(
  systemInstruction, contents) -> list[Message]`, on JSON-ready dicts (`_history`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from msgspec.structs import replace

from llmkit.errors import Unsupported
from llmkit.protocols import HttpRequest
from llmkit.providers._common import tool_choice_for
from llmkit.providers._schema import gemini
from llmkit.providers.google import _wire as w
from llmkit.providers.google._errors import parse_error
from llmkit.providers.google._history import messages_from_wire, messages_to_wire
from llmkit.providers.google._models import MODELS, build_list_models, parse_list_models
from llmkit.providers.google._stream import State, finish, parse_response, snapshot, start, step
from llmkit.types import ChatRequest, Message, Options, Reasoning, Tool, ToolChoice

__all__ = [
    "DEFAULT_BASE_URL",
    "KEY_ENV",
    "MODELS",
    "NAME",
    "State",
    "auth_headers",
    "build_list_models",
    "build_request",
    "finish",
    "messages_from_wire",
    "messages_to_wire",
    "parse_error",
    "parse_list_models",
    "parse_response",
    "snapshot",
    "start",
    "step",
]

NAME = "google"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
KEY_ENV = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
Json = dict[str, Any]


def auth_headers(key: str) -> dict[str, str]:
    return {"x-goog-api-key": key}


_MODE = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}


def _map_tool_choice(tc: ToolChoice) -> Json:
    if tc.parallel is False:  # Gemini may always answer with parallel calls
        raise Unsupported("tool_choice.parallel=False", provider=NAME)
    config: Json = {"mode": _MODE[tc.mode]}
    if tc.mode == "tool":
        if not tc.name:
            raise Unsupported("tool_choice mode 'tool' without a name", provider=NAME)
        config["allowedFunctionNames"] = [tc.name]
    return {"functionCallingConfig": config}


def _tool_config(tc: ToolChoice | None, has_tools: bool) -> Json | None:
    """`toolConfig`, only beside function declarations: Gemini answers 400
    "Function calling config is set without function_declarations" otherwise
    (PROTOCOLS 8.3). Without tools, auto/none mean nothing and are left out
    and required/tool cannot be met, as for the other providers."""
    tc = tool_choice_for(tc, has_tools, NAME)
    return None if tc is None else _map_tool_choice(tc)


def _map_tool(t: Tool) -> Json:
    # `parametersJsonSchema` takes JSON Schema (in Gemini's subset, `_schema.gemini`),
    # so no conversion to the OpenAPI-style `parameters`; `strict` has no Gemini equivalent.
    decl: Json = {"name": t.name, "parametersJsonSchema": gemini(t.parameters)}
    if t.description:
        decl["description"] = t.description
    return decl


# Gemini 2.x takes a token budget; 3.x and 4 take a level (sending both is a
# 400). Levels each family accepts, per the model docs: 3.x Pro low/high,
# 3.x Flash minimal..high, 4 Argon low..high. An effort maps to the lowest
# accepted level at or above it.
_BUDGET_FAMILIES = ("gemini-1.", "gemini-2.", "gemma-")
_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")
_EFFORT_RANK = {"none": 0, "minimal": 0, "low": 1, "medium": 2, "high": 3, "xhigh": 3, "max": 3}
_EFFORT_BUDGET = {
    "none": 0,
    "minimal": 512,
    "low": 1024,
    "medium": 8192,
    "high": 16384,
    "xhigh": 24576,
    "max": 24576,
}


def _level(model: str, effort: str) -> str:
    allowed: tuple[int, ...]
    if model.startswith("gemini-4"):
        allowed = (1, 2, 3)
    elif "-pro" in model:
        allowed = (1, 3)
    else:
        allowed = (0, 1, 2, 3)
    want = _EFFORT_RANK[effort]
    return _LEVELS[next((a for a in allowed if a >= want), allowed[-1])]


def _map_reasoning(model: str, r: Reasoning) -> Json:
    config: Json = {"includeThoughts": True} if r.include else {}  # Gemini's default: off
    by_budget = model.startswith(_BUDGET_FAMILIES)
    if r.effort is not None and not (by_budget and r.budget is not None):
        if by_budget:
            config["thinkingBudget"] = _EFFORT_BUDGET[r.effort]
        else:
            config["thinkingLevel"] = _level(model, r.effort)
    elif r.budget is not None:
        config["thinkingBudget"] = r.budget
    return config


def _generation_config(model: str, o: Options) -> Json:
    g: Json = {}
    for key, value in (
        ("maxOutputTokens", o.max_tokens),
        ("temperature", o.temperature),
        ("topP", o.top_p),
        ("seed", o.seed),
    ):
        if value is not None:
            g[key] = value
    if o.stop:
        g["stopSequences"] = o.stop
    if o.response_format is not None:
        # `name` and `strict` have no Gemini equivalent: the schema is enforced.
        g["responseMimeType"] = "application/json"
        if o.response_format.schema is not None:
            g["responseJsonSchema"] = gemini(o.response_format.schema)
    if o.reasoning is not None:
        g["thinkingConfig"] = _map_reasoning(model, o.reasoning)
    return g


def _merge(base: Json, extra: Json) -> Json:
    """`extra` over `base`, merging nested objects (so `generationConfig`
    keys in `extra` add to ours instead of replacing them)."""
    out = dict(base)
    for k, v in extra.items():
        old = out.get(k)
        out[k] = _merge(old, v) if isinstance(old, dict) and isinstance(v, dict) else v
    return out


# Google's documented stand-in for a function call Gemini did not make (another
# vendor's, or injected history): Gemini 3+ rejects an unsigned call in the
# current turn with 400 "missing a thought_signature"; this sentinel opts the
# call out of validation. It is not a signature and never claims to be one.
SKIP_SIGNATURE = "skip_thought_signature_validator"
_GENERATION = re.compile(r"^gemini-(\d+)")


def _validates_signatures(model: str) -> bool:
    m = _GENERATION.match(model)
    return m is not None and int(m.group(1)) >= 3


def _vouch_for_foreign_calls(contents: list[Json]) -> list[Json]:
    """Each model turn whose function calls carry no signature gets the
    sentinel on its first call, where Gemini itself would sign a step."""
    out = []
    for turn in contents:
        calls = [p for p in turn["parts"] if "functionCall" in p]
        if turn["role"] == "model" and calls and not any("thoughtSignature" in p for p in calls):
            first = turn["parts"].index(calls[0])
            parts = list(turn["parts"])
            parts[first] = {**calls[0], "thoughtSignature": SKIP_SIGNATURE}
            turn = {**turn, "parts": parts}
        out.append(turn)
    return out


def _same_model(a: str, b: str) -> bool:
    """One model under two names: an id and its dated or suffixed version."""
    a, b = a.removeprefix("models/"), b.removeprefix("models/")
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


def _signed_for(messages: list[Message], model: str) -> list[Message]:
    """Thought signatures are bound to the model that made them (PROTOCOLS
    4.5): another Gemini model's turns go out like another vendor's, their
    signatures and thoughts settled by `llmkit.handoff.carry`."""
    out = []
    for m in messages:
        if m.provider == NAME and m.model and not _same_model(m.model, model):
            content = [
                replace(p, provider=None) if getattr(p, "provider", None) == NAME else p
                for p in m.content
            ]
            m = replace(m, provider=None, content=content)
        out.append(m)
    return out


def build_request(req: ChatRequest, base_url: str) -> HttpRequest:
    model = req.model.removeprefix("models/")
    system, contents = messages_to_wire(_signed_for(req.messages, model), req.options)
    if _validates_signatures(model):
        contents = _vouch_for_foreign_calls(contents)
    body: Json = {"contents": contents}
    if system is not None:
        body["systemInstruction"] = system
    if req.tools:
        body["tools"] = [{"functionDeclarations": [_map_tool(t) for t in req.tools]}]
    tool_config = _tool_config(req.tool_choice, bool(req.tools))
    if tool_config is not None:
        body["toolConfig"] = tool_config
    generation = _generation_config(model, req.options)
    if generation:
        body["generationConfig"] = generation
    if req.options.extra:
        body = _merge(body, req.options.extra)
    method = "streamGenerateContent?alt=sse" if req.stream else "generateContent"
    return HttpRequest(
        method="POST",
        url=f"{base_url.rstrip('/')}/v1beta/models/{quote(model, safe='')}:{method}",
        headers={"content-type": "application/json"},
        body=w.ENCODE.encode(body),
    )
