"""Request validity: what llmkit sends is what the vendors accept.

Offline tests compare llmkit with itself; this compares it with the vendors.
For generated requests on every endpoint of the default registry (text,
whitespace text, images, PDFs, @llmkit.tool tools, tool calls with other
vendors' ids, thinking, cross-vendor histories parsed from fixtures/,
structured output from generated Struct types, reasoning and sampling options,
cache marks, tool_choice modes; over each provider's model catalog), every
body llmkit builds must

1. validate against the vendor's own published request type, extra keys
   forbidden everywhere (tests/vendor_types.py), and
2. satisfy the vendor's documented rules that types cannot express
   (tests/vendor_rules.py).

A typed llmkit error before any I/O (`Unsupported`, ...) is an acceptable
answer, but most requests must produce a body. The wire is chosen by the path
the request goes to, so a new wire module is one entry in `WIRES`.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

import httpx
import msgspec
import pydantic
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import llmkit
from llmkit import registry
from llmkit.errors import LlmkitError
from llmkit.protocols import Provider
from llmkit.types import ChatRequest, Message, Text, ToolCall, ToolResult
from tests import strategies as S
from tests import vendor_rules as R
from tests import vendor_types as V
from tests.replay import CORPUS, FIXTURES, corpus_rows, drive_stream

# ---- the table: wire -> (types, rules); host -> the vendor's own rules ----------------


class Wire(msgspec.Struct, frozen=True):
    name: str
    validate: Callable[[R.Sent], None]
    rules: tuple[R.Rule, ...]


def _anthropic_types(s: R.Sent) -> None:
    V.validate_anthropic(json.dumps(s.body).encode(), s.headers.get("anthropic-version", ""))


def _with_strict_tools(s: R.Sent) -> Iterator[str]:
    yield from R.chat_schemas(s, tools_strict=s.host != "api.x.ai")


def _responses_tools(s: R.Sent) -> Iterator[str]:
    if s.host != "api.x.ai":  # xAI's function tools are strict its own way (7.2)
        yield from R.responses_tools(s)


def _chat_types(s: R.Sent) -> None:
    body = s.body
    if s.host == "api.x.ai":  # xAI takes its own reasoning_content back (corpus: a 200)
        body = {**body, "messages": [{k: v for k, v in m.items() if k != "reasoning_content"}
                                     for m in body.get("messages") or []]}  # fmt: skip
    V.validate_chat(json.dumps(body).encode())


def _responses_types(s: R.Sent) -> None:
    body = s.body
    if s.host == "api.x.ai":  # xAI's Responses also takes `seed` (PROTOCOLS 3.2)
        body = {k: v for k, v in body.items() if k != "seed"}
    V.validate_responses(json.dumps(body).encode())


# Matched against the end of the URL path (Gemini: the method after the model).
WIRES: dict[str, Wire] = {
    "/v1/messages": Wire("anthropic", _anthropic_types, R.ANTHROPIC),
    "/chat/completions": Wire(
        "chat", _chat_types,
        (R.chat_pairing, _with_strict_tools),
    ),
    "/responses": Wire(
        "responses", _responses_types,
        (R.responses, _responses_tools),
    ),
    ":generateContent": Wire(
        "gemini", lambda s: V.validate_gemini(json.dumps(s.body).encode()), (R.gemini,)
    ),
    ":streamGenerateContent": Wire(
        "gemini", lambda s: V.validate_gemini(json.dumps(s.body).encode()), (R.gemini,)
    ),
}  # fmt: skip
# A vendor's own rules on a shared wire, by (wire, host).
HOSTS: dict[tuple[str, str], tuple[R.Rule, ...]] = {
    ("chat", "api.openai.com"): (R.openai_chat,),
    ("responses", "api.openai.com"): (R.openai_responses,),
    ("chat", "api.x.ai"): (R.xai,),
    ("responses", "api.x.ai"): (R.xai,),
}


def wire_for(url: str) -> Wire:
    path = url.split("?", 1)[0]
    hits = [k for k in WIRES if path.endswith(k)]
    assert hits, f"no validator for {url}: add the wire to WIRES"
    return WIRES[hits[0]]


def _brief(e: pydantic.ValidationError) -> str:
    """The errors that say what is wrong: of all the union arms a value failed,
    the one it came closest to (fewest errors), not every arm's."""
    errs = e.errors()
    arms = Counter(x["loc"][:-1] for x in errs)
    errs.sort(key=lambda x: (arms[x["loc"][:-1]], x["type"] != "extra_forbidden"))

    def loc(x: Any) -> str:  # without pydantic's `list[union[...]]` steps
        return ".".join(str(p) for p in x["loc"] if "[" not in str(p))

    return "; ".join(f"{loc(x)}: {x['msg']}" for x in errs[:2])


def problems(s: R.Sent) -> list[str]:
    """Everything the vendor would refuse in `s` (empty: a body it accepts)."""
    wire = wire_for(s.url)
    out: list[str] = []
    try:
        wire.validate(s)
    except pydantic.ValidationError as e:
        out.append(f"[types] {wire.name}: {_brief(e)}")
    except UserWarning as e:  # google-genai's word for an unknown enum value
        out.append(f"[types] {wire.name}: {e}")
    for rule in (*wire.rules, *HOSTS.get((wire.name, s.host), ())):
        out += list(rule(s))
    return out


def annotated(req: ChatRequest, s: R.Sent) -> Iterator[str]:
    """Issue 13 (7): `Annotated[..., msgspec.Meta(...)]` on a @llmkit.tool parameter
    reaches the vendor (the descriptions, at least: every dialect takes those)."""
    if any(t.name == "search" for t in req.tools):
        raw = json.dumps(s.body, ensure_ascii=False)
        for text in ("What to find", "Hits wanted, 1 to 10"):
            if text not in raw:
                yield f"[annotated] search: the Meta description {text!r} is not sent"


class _Sent(Exception):
    """Raised by the mock transport once it holds the request: nothing is answered."""


_seen: list[httpx.Request] = []


def _hold(request: httpx.Request) -> httpx.Response:
    _seen.append(request)
    raise _Sent


def sent(endpoint: registry.Endpoint, req: ChatRequest, client: httpx.Client) -> R.Sent:
    """What llmkit's public API sends for `req` to `endpoint` (as `name:model`),
    captured at the HTTP layer: whatever wire and dialect the registry picks."""
    _seen.clear()
    kw: dict[str, Any] = {"tools": req.tools, "tool_choice": req.tool_choice,
                          "http_client": client, "api_key": "test-key", "max_retries": 0,
                          **msgspec.structs.asdict(req.options)}  # fmt: skip
    model = f"{endpoint.name}:{req.model}"
    try:
        if req.stream:
            next(iter(llmkit.stream_sync(model, req.messages, **kw)))
        else:
            llmkit.chat_sync(model, req.messages, **kw)
    except _Sent:
        pass
    except LlmkitError:
        if not _seen:  # refused before any I/O
            raise
        # else: the request went out and the transport wrapped our stop signal
    (http,) = _seen
    return R.Sent(endpoint=endpoint.name, url=str(http.url), headers=dict(http.headers),
                  body=json.loads(http.content or b"{}"))  # fmt: skip


# ---- cross-vendor histories from fixtures/ ---------------------------------------------

_ANSWERS = {
    "anthropic": ["text.json", "server_tools.json", "tool_use.sse", "parallel_tools.sse",
                  "thinking_tool.sse", "redacted_thinking.sse", "multi_turn_1.sse"],
    "openai": ["text.json", "tool_call.json", "parallel_tools.json", "reasoning_cached.json",
               "refusal.json", "structured.json"],
    "xai": ["multi_turn.json"],
    "google": ["text.json", "function_call.json", "parallel_calls.json", "thinking.json",
               "code_execution.json"],
}  # fmt: skip
# The wire module each fixture directory was recorded on (not the endpoint's
# current wire: OpenAI's and xAI's fixtures are Chat Completions).
_RECORDED_ON = {"anthropic": "llmkit.providers.anthropic", "openai": "llmkit.providers.openai",
                "xai": "llmkit.providers.xai", "google": "llmkit.providers.google"}  # fmt: skip


def _parse(vendor: str, name: str) -> Message:
    p: Provider = importlib.import_module(_RECORDED_ON[vendor])  # type: ignore[assignment]
    body = (FIXTURES / vendor / name).read_bytes()
    if name.endswith(".sse"):
        req = ChatRequest(model="m", messages=[Message(role="user", content=[Text(text="q")])])
        events = drive_stream(p, req, body)
        return events[-1].response.message  # type: ignore[union-attr]
    return p.parse_response(body).message


@cache
def fixture_turns() -> list[list[Message]]:
    """Each recorded answer as an assistant turn plus results for its calls."""
    turns = []
    for vendor, names in _ANSWERS.items():
        for name in names:
            said = _parse(vendor, name)
            calls = [p for p in said.content if isinstance(p, ToolCall)]
            turn = [said]
            if calls:
                results = [ToolResult(tool_call_id=c.id, name=c.name, content="42") for c in calls]
                turn.append(Message(role="tool", content=list(results)))
            turns.append(turn)
    return turns


def test_every_fixture_answer_is_used() -> None:
    assert len(fixture_turns()) == sum(map(len, _ANSWERS.values()))
    assert all(t[0].content for t in fixture_turns()), "every recorded answer says something"
    assert any(len(t) == 2 for t in fixture_turns()), "some recorded answers call tools"


# ---- the property ---------------------------------------------------------------------

# The wires' own endpoints: a cloud route sends the same body, reshaped by its
# route module (tests/routes check those shapes exactly).
ENDPOINTS = sorted(n for n, ep in registry.DEFAULT.endpoints.items() if not ep.route)
# Generated requests per run, shared by the endpoints (500 each for four), so the
# run time stays put as endpoints are added; CI is derandomized (tests/conftest.py).
EXAMPLES = max(300, 2000 // len(ENDPOINTS))
# At least this share of generated requests must produce a body, so a provider that
# refuses everything cannot pass. Claude refuses seed, prefill on 4.6+, JSON without a
# schema and more before I/O (~44% built); Chat Completions on today's GPT models
# refuses function tools with reasoning (Responses only), so ~37% are built there.
HEALTHY: Mapping[str, float] = {"openai-chat": 0.25}
HEALTHY_DEFAULT = 0.4


def _models(endpoint: registry.Endpoint) -> list[str]:
    return [m.id for m in registry.wire(endpoint).MODELS]


class Tally(msgspec.Struct):
    built: int = 0
    refused: Counter[str] = msgspec.field(default_factory=Counter)
    bad: dict[str, list[tuple[str, R.Sent]]] = msgspec.field(
        default_factory=lambda: defaultdict(list)
    )


def run(endpoint: registry.Endpoint, examples: int = EXAMPLES) -> Tally:
    """Build `examples` generated requests for `endpoint`; tally the outcomes."""
    tally = Tally()
    histories = st.sampled_from(fixture_turns())
    requests = S.chat_requests(_models(endpoint), histories)

    @settings(max_examples=examples, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])  # fmt: skip
    @given(requests)
    def check(req: ChatRequest) -> None:
        try:
            s = sent(endpoint, req, client)
        except LlmkitError as e:
            event(f"refused: {type(e).__name__}")
            tally.refused[str(e)[:70]] += 1
            return
        tally.built += 1
        event("built")
        for p in [*problems(s), *annotated(req, s)]:
            cls = p.split("]", 1)[0] + "]"
            tally.bad[cls].append((p, s))

    with httpx.Client(transport=httpx.MockTransport(_hold)) as client:
        check()
    return tally


def _report(endpoint: str, tally: Tally) -> str:
    lines = [f"{endpoint}: {tally.built} bodies built, classes of 400 found:"]
    for cls, hits in sorted(tally.bad.items()):
        kinds = Counter(p.removeprefix(cls).split(":", 1)[-1].strip()[:90] for p, _ in hits)
        problem, example = min(hits, key=lambda h: len(json.dumps(h[1].body)))
        lines.append(f"  {cls} {len(hits)} hits; e.g. {problem}")
        lines += [f"      {n} x {k}" for k, n in kinds.most_common(4)]
        lines.append(f"      body: {json.dumps(example.body)[:1500]}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_generated_requests_are_valid(name: str) -> None:
    tally = run(registry.DEFAULT.endpoints[name])
    total = tally.built + sum(tally.refused.values())
    assert tally.built >= HEALTHY.get(name, HEALTHY_DEFAULT) * total, (
        f"{name} built only {tally.built} of {total}: {tally.refused.most_common(5)}"
    )
    if tally.bad:
        pytest.fail(_report(name, tally), pytrace=False)


# ---- the checks themselves: each can fail, none cries wolf ------------------------------

ANTHROPIC = "https://api.anthropic.com/v1/messages"
CHAT = "https://api.openai.com/v1/chat/completions"
XAI = "https://api.x.ai/v1/chat/completions"
RESPONSES = "https://api.openai.com/v1/responses"
GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.8-flash:generateContent"
_V = {"anthropic-version": "2023-06-01"}
_USER = [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
_CLAUDE: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": _USER}
_OPEN = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
_CLOSED = {**_OPEN, "additionalProperties": False}


def _claude(*turns: Any, **kw: Any) -> dict[str, Any]:
    return {**_CLAUDE, "messages": [*_USER, *turns] if turns else _USER, **kw}


def _call(id_: str) -> list[dict[str, Any]]:
    return [{"role": "assistant", "content": [{"type": "tool_use", "id": id_, "name": "f",
                                               "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id_}]}]  # fmt: skip


def _chat(**kw: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], **kw}


def _gem(**kw: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}], **kw}


# (url, body, the tag the check must report, what the vendor says)
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    (ANTHROPIC, _claude(bogus=1), "[types]", "stray top-level key"),
    (ANTHROPIC, _claude({"role": "assistant", "content": [{"type": "text", "text": "x",
                                                           "bogus": 1}]}), "[types]",
     "stray key in a block"),
    (CHAT, _chat(messages=[{"role": "user", "content": "Hi", "bogus": 1}]), "[types]",
     "stray key in a message"),
    (RESPONSES, {"model": "gpt-5", "input": "Hi", "stop": ["x"]}, "[types]", "no stop here"),
    (RESPONSES, {"model": "gpt-5", "input": "Hi", "seed": 1}, "[types]", "no seed on OpenAI's"),
    (RESPONSES, {"model": "gpt-4.1", "input": "Hi", "reasoning": {"effort": "low"}}, "[other]",
     "'reasoning.effort' is not supported with this model"),
    (GEMINI, _gem(generationConfig={"thinkingConfig": {"thinkingLevel": "HIGHEST"}}), "[types]",
     "unknown enum value"),
    (GEMINI, _gem(contents=[{"role": "user", "parts": [{"text": "Hi", "bogus": 1}]}]), "[types]",
     "stray key in a part"),
    (ANTHROPIC, _claude({"role": "assistant", "content": [{"type": "text", "text": "\n\n"}]},
                        *_USER), "[text]", "text blocks must contain non-whitespace text"),
    (ANTHROPIC, _claude(*_call("functions.f:0")), "[ids]", "tool_use.id should match pattern"),
    (ANTHROPIC, _claude(*_call("a")[:1], *_USER), "[ids]", "tool_use ids without tool_result"),
    (ANTHROPIC, _claude(system=[{"type": "text", "text": f"s{i}", "cache_control": {
        "type": "ephemeral"}} for i in range(5)]), "[cache]", "A maximum of 4 blocks"),
    (ANTHROPIC, _claude({"role": "assistant", "content": [
        {"type": "thinking", "thinking": "t", "signature": "s",
         "cache_control": {"type": "ephemeral"}}]}, *_USER), "[cache]", "thinking.cache_control"),
    (GEMINI, _gem(contents=[{"role": "user", "parts": [{"text": ""}]}]), "[text]",
     "Unable to submit request because it has an empty text parameter"),
    (GEMINI, _gem(toolConfig={"functionCallingConfig": {"mode": "AUTO"}}), "[toolconfig]",
     "Function calling config is set without function_declarations"),
    (ANTHROPIC, {**_claude(), "model": "claude-opus-4-8", "temperature": 0.5}, "[sampling]",
     "`temperature` is deprecated for this model"),
    (ANTHROPIC, _claude(temperature=0.5, top_p=0.9), "[sampling]", "temperature and top_p"),
    (ANTHROPIC, _claude(temperature=1.5), "[sampling]", "temperature above 1"),
    (CHAT, _chat(response_format={"type": "json_schema", "json_schema": {
        "name": "r", "schema": _OPEN, "strict": True}}), "[schema]", "additionalProperties"),
    (CHAT, _chat(tools=[{"type": "function", "function": {"name": "f", "strict": True,
        "parameters": {**_CLOSED, "properties": {"a": {"type": "integer", "default": 1}}}}}]),
     "[schema]", "'default' is not permitted"),
    (XAI, {**_chat(tools=[{"type": "function", "function": {"name": "f", "parameters": _CLOSED}}]),
           "model": "grok-4.7"}, "[schema]", "xAI: no additionalProperties:false in tools"),
    (ANTHROPIC, _claude(output_config={"format": {"type": "json_schema", "schema": {
        **_CLOSED, "properties": {"a": {"type": "integer", "minimum": 1}}}}}), "[schema]",
     "Claude schema keywords"),
    (ANTHROPIC, _claude(tools=[{"name": "f", "input_schema": {"type": "array"}}]), "[schema]",
     "tools.0.custom.input_schema.type: Input should be 'object'"),
    (ANTHROPIC, {**_claude(tools=[{"name": "f", "input_schema": _CLOSED, "strict": True}]),
                 "model": "claude-sonnet-4-20250514"}, "[schema]", "does not support strict tools"),
    (GEMINI, _gem(generationConfig={"responseMimeType": "application/json", "responseJsonSchema": {
        "type": "object", "properties": {"a": {"type": "string", "default": "x"}}}}), "[schema]",
     "Gemini schema subset"),
    (CHAT, _chat(messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "tool_calls": [
        {"id": "c" * 41, "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c" * 41, "content": "1"}]), "[ids]",
     "string too long. Expected a string with maximum length 40"),
    (RESPONSES, {"model": "gpt-5", "input": [
        {"type": "function_call", "call_id": "c" * 65, "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c" * 65, "output": "1"}]}, "[ids]",
     "call_id: Expected a string with maximum length 64"),
    (GEMINI, _gem(generationConfig={"thinkingConfig": {"thinkingBudget": 10,
                                                       "thinkingLevel": "LOW"}}), "[other]",
     "thinking_budget and thinking_level together"),
]  # fmt: skip

GOOD: list[tuple[str, dict[str, Any]]] = [
    ("https://api.x.ai/v1/responses", {"model": "grok-4.7", "input": "Hi", "seed": 1}),
    (ANTHROPIC, _claude(*_call("toolu_01"), {"role": "assistant", "content": "ok"}, *_USER,
                        output_config={"format": {"type": "json_schema", "schema": _CLOSED}})),
    (CHAT, _chat(response_format={"type": "json_schema", "json_schema": {
        "name": "r", "schema": _CLOSED, "strict": True}}, temperature=0.5)),
    (XAI, {**_chat(tools=[{"type": "function", "function": {"name": "f", "parameters": _OPEN}}]),
           "model": "grok-4.7"}),
    (RESPONSES, {"model": "gpt-5", "input": [
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "1"}],
        "tools": [{"type": "function", "name": "f", "parameters": _CLOSED, "strict": True}]}),
    (GEMINI, _gem(tools=[{"functionDeclarations": [{"name": "f", "parametersJsonSchema": _OPEN}]}],
                  toolConfig={"functionCallingConfig": {"mode": "AUTO"}},
                  generationConfig={"thinkingConfig": {"thinkingLevel": "low"}})),
]  # fmt: skip


def _sent(url: str, body: dict[str, Any]) -> R.Sent:
    return R.Sent(endpoint="test", url=url, headers=_V, body=body)


@pytest.mark.parametrize(("url", "body", "tag", "vendor_says"), BAD, ids=[b[3] for b in BAD])
def test_the_check_finds_each_class(url: str, body: Any, tag: str, vendor_says: str) -> None:
    found = problems(_sent(url, body))
    assert any(p.startswith(tag) for p in found), found


@pytest.mark.parametrize(("url", "body"), GOOD, ids=[g[0].rsplit("/", 1)[-1] for g in GOOD])
def test_the_check_passes_good_bodies(url: str, body: Any) -> None:
    assert problems(_sent(url, body)) == []


_CORPUS_URLS = {"anthropic": ANTHROPIC, "openai": CHAT, "xai": XAI, "openai-responses": RESPONSES}


def _recorded() -> list[tuple[str, str, Any]]:
    out = []
    for vendor in ("anthropic", "openai", "xai", "openai-responses", "google"):
        for row in corpus_rows(vendor):
            if row["request_file"]:
                text = (CORPUS / row["request_file"]).read_text()
                if "elided by corpus builder" not in text:  # not the bytes that were sent
                    url = (
                        _CORPUS_URLS.get(vendor)
                        or f"https://generativelanguage.googleapis.com{row['endpoint']}"
                    )
                    out.append((row["file"], row["http_status"], (url, json.loads(text))))
    return out


RECORDED = _recorded()


@pytest.mark.skipif(not RECORDED, reason="the shared corpus is not here")
@pytest.mark.parametrize(("name", "status", "recorded"), RECORDED, ids=[r[0] for r in RECORDED])
def test_recorded_requests(name: str, status: str, recorded: tuple[str, Any]) -> None:
    """Real requests from ../shared/corpus: the vendor accepted each 200 one, so
    the check must too (no false alarms); it refused the 400 ones, and the check
    must say why."""
    found = problems(_sent(*recorded))
    if status == "200":
        assert found == []
    elif status == "400":
        assert found
