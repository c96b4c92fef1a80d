"""The tool loop and structured output on every provider, with vendor-shaped
answers replayed through the real transport."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator

import httpx
import msgspec
import pytest

import llmkit
from llmkit.types import Done, RunDone, ToolCallEnd, ToolExecuted, ToolResult
from tests import vendor_bodies as vb

# every vendor tests/vendor_bodies.py answers as
VENDORS = list(vb.MODELS)
HOSTS = {
    httpx.URL(ep.base_url).host: name
    for name, ep in llmkit.registry.DEFAULT.endpoints.items()
    if name in VENDORS
}


class Script:
    """Answers each request with the next body queued for its vendor, and
    keeps what was sent."""

    def __init__(self, answers: list[tuple[str, bytes]]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, dict[str, object]]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        vendor = HOSTS[request.url.host]
        self.sent.append((vendor, json.loads(request.content)))
        i = next(k for k, (v, _) in enumerate(self.answers) if v == vendor)
        _, body = self.answers.pop(i)
        kind = "application/json" if body.startswith(b"{") else "text/event-stream"
        return httpx.Response(200, headers={"content-type": kind}, content=body)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))

    def aclient(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(var, "test-key")
    yield


calls_made: list[str] = []


@llmkit.tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    calls_made.append(city)
    if city == "Atlantis":
        raise LookupError("no such city")
    return f"{city}: 14°C"


@llmkit.tool(approval=True)
def book_flight(to: str) -> str:
    """Book a flight (needs the user's approval)."""
    raise AssertionError("the loop must not run tools that need approval")


def ids(vendor: str, *names: str) -> list[str]:
    return [f"call_{vendor}_{n}" for n in names]


@pytest.mark.parametrize("vendor", VENDORS)
def test_parallel_calls_then_an_answer(vendor: str) -> None:
    calls_made.clear()
    a, b = ids(vendor, "a", "b")
    script = Script([
        (vendor, vb.reply(vendor, "Checking both.",
                          [(a, "get_weather", {"city": "Paris"}),
                           (b, "get_weather", {"city": "Oslo"})])),
        (vendor, vb.reply(vendor, "Paris 14°C, Oslo 14°C.", n=2)),
    ])  # fmt: skip
    result = llmkit.run_sync(
        vb.MODELS[vendor], "Weather in Paris and Oslo?", tools=[get_weather],
        http_client=script.client(),
    )  # fmt: skip
    assert (result.stop, result.steps, result.response.text) == (
        "done",
        2,
        "Paris 14°C, Oslo 14°C.",
    )
    assert sorted(calls_made) == ["Oslo", "Paris"]
    roles = [m.role for m in result.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    results = result.messages[2].content
    made = [c.id for c in result.messages[1].content if isinstance(c, llmkit.ToolCall)]
    assert [r.tool_call_id for r in results if isinstance(r, ToolResult)] == made
    assert [r.content for r in results if isinstance(r, ToolResult)] == [
        "Paris: 14°C",
        "Oslo: 14°C",
    ]
    assert len(script.sent) == 2 and script.answers == []


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_failing_tool_is_reported_to_the_model(vendor: str) -> None:
    (a,) = ids(vendor, "a")
    script = Script([
        (vendor, vb.reply(vendor, None, [(a, "get_weather", {"city": "Atlantis"})])),
        (vendor, vb.reply(vendor, "Atlantis has no weather service.", n=2)),
    ])  # fmt: skip
    result = llmkit.run_sync(vb.MODELS[vendor], "Weather in Atlantis?", tools=[get_weather],
                             http_client=script.client())  # fmt: skip
    (err,) = result.messages[2].content
    assert isinstance(err, ToolResult) and err.is_error
    assert err.content == "get_weather failed: LookupError: no such city"
    assert "no such city" in json.dumps(script.sent[1][1])  # the model saw it


@pytest.mark.parametrize("vendor", VENDORS)
def test_approval_stops_the_loop_with_pending_calls(vendor: str) -> None:
    calls_made.clear()
    a, b = ids(vendor, "a", "b")
    script = Script([
        (vendor, vb.reply(vendor, None, [(a, "get_weather", {"city": "Rome"}),
                                         (b, "book_flight", {"to": "Rome"})])),
    ])  # fmt: skip
    result = llmkit.run_sync(vb.MODELS[vendor], "Fly me to Rome", tools=[get_weather, book_flight],
                             http_client=script.client())  # fmt: skip
    assert result.stop == "approval" and [c.name for c in result.pending] == ["book_flight"]
    assert calls_made == ["Rome"]  # the other call did run
    assert [m.role for m in result.messages] == ["user", "assistant", "tool"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_max_steps(vendor: str) -> None:
    script = Script([
        (vendor, vb.reply(vendor, None, [(f"call_{k}", "get_weather", {"city": "Paris"})], n=k))
        for k in range(3)
    ])  # fmt: skip
    result = llmkit.run_sync(vb.MODELS[vendor], "Loop forever", tools=[get_weather], max_steps=2,
                             http_client=script.client())  # fmt: skip
    assert (result.stop, result.steps, len(script.sent)) == ("max_steps", 2, 2)


def test_switching_provider_between_steps() -> None:
    """Step 1 on one vendor, step 2 on the next: every pair of neighbours."""
    for first, second in zip(VENDORS, VENDORS[1:] + VENDORS[:1], strict=True):
        (a,) = ids(first, "a")
        script = Script([
            (first, vb.reply(first, "Let me look.", [(a, "get_weather", {"city": "Lima"})])),
            (second, vb.reply(second, "Lima: 14°C.", n=2)),
        ])  # fmt: skip
        result = llmkit.run_sync(
            [vb.MODELS[first], vb.MODELS[second]], "Weather in Lima?", tools=[get_weather],
            http_client=script.client(),
        )  # fmt: skip
        assert result.response.provider == second and result.response.text == "Lima: 14°C."
        assert [v for v, _ in script.sent] == [first, second]
        assert "Lima: 14°C" in json.dumps(script.sent[1][1], ensure_ascii=False)


@pytest.mark.anyio
@pytest.mark.parametrize("vendor", VENDORS)
async def test_streamed_loop_async(vendor: str) -> None:
    (a,) = ids(vendor, "a")
    script = Script([
        (vendor, vb.reply(vendor, "One moment.", [(a, "get_weather", {"city": "Kyiv"})],
                          stream=True)),
        (vendor, vb.reply(vendor, "Kyiv: 14°C.", stream=True, n=2)),
    ])  # fmt: skip
    events = [
        ev async for ev in llmkit.run_stream(
            vb.MODELS[vendor], "Weather in Kyiv?", tools=[get_weather], http_client=script.aclient()
        )
    ]  # fmt: skip
    kinds = [type(ev).__name__ for ev in events]
    assert kinds.count("Done") == 2 and kinds[-1] == "RunDone"
    executed = [ev for ev in events if isinstance(ev, ToolExecuted)]
    assert [e.result.content for e in executed] == ["Kyiv: 14°C"]
    assert kinds.index("ToolCallEnd") < kinds.index("ToolExecuted") < len(kinds) - 1
    last = events[-1]
    assert isinstance(last, RunDone) and last.result.response.text == "Kyiv: 14°C."
    ends = [ev for ev in events if isinstance(ev, ToolCallEnd)]
    assert ends[0].call.arguments == {"city": "Kyiv"}


def test_streamed_loop_sync_matches_the_non_streamed_history() -> None:
    vendor = "anthropic"
    answers = [
        (vendor, vb.reply(vendor, "Hm.", [("toolu_1", "get_weather", {"city": "Quito"})])),
        (vendor, vb.reply(vendor, "Quito: 14°C.", n=2)),
    ]
    plain = llmkit.run_sync(vb.MODELS[vendor], "Quito?", tools=[get_weather],
                            http_client=Script(list(answers)).client())  # fmt: skip
    streamed = [
        (
            vendor,
            vb.reply(vendor, "Hm.", [("toolu_1", "get_weather", {"city": "Quito"})], stream=True),
        ),
        (vendor, vb.reply(vendor, "Quito: 14°C.", stream=True, n=2)),
    ]
    events = list(llmkit.run_stream_sync(vb.MODELS[vendor], "Quito?", tools=[get_weather],
                                         http_client=Script(streamed).client()))  # fmt: skip
    last = events[-1]
    assert isinstance(last, RunDone)
    assert last.result.messages == plain.messages
    assert sum(isinstance(e, Done) for e in events) == 2


class Weather(msgspec.Struct):
    city: str
    celsius: int


@pytest.mark.parametrize("vendor", VENDORS)
def test_structured_output(vendor: str) -> None:
    script = Script([(vendor, vb.reply(vendor, '{"city": "Paris", "celsius": 14}'))])
    r = llmkit.chat_sync(vb.MODELS[vendor], "Weather as JSON", response_format=Weather,
                         http_client=script.client())  # fmt: skip
    assert r.parsed == Weather(city="Paris", celsius=14)
    sent = json.dumps(script.sent[0][1])
    assert '"celsius"' in sent and '"integer"' in sent  # the schema went out


@pytest.mark.parametrize("vendor", VENDORS)
def test_structured_output_streamed(vendor: str) -> None:
    script = Script([(vendor, vb.reply(vendor, '{"city": "Oslo", "celsius": 3}', stream=True))])
    events = list(llmkit.stream_sync(vb.MODELS[vendor], "JSON", response_format=Weather,
                                     http_client=script.client()))  # fmt: skip
    last = events[-1]
    assert isinstance(last, Done) and last.response.parsed == Weather(city="Oslo", celsius=3)


@pytest.mark.parametrize("vendor", VENDORS)
def test_invalid_structured_output_keeps_the_raw_text(vendor: str) -> None:
    script = Script([(vendor, vb.reply(vendor, '{"city": "Paris", "celsius": "warm"}'))])
    with pytest.raises(llmkit.StructuredOutputError) as e:
        llmkit.chat_sync(vb.MODELS[vendor], "JSON", response_format=Weather,
                         http_client=script.client())  # fmt: skip
    assert e.value.raw == '{"city": "Paris", "celsius": "warm"}'
    assert e.value.partial is not None and e.value.partial.provider == vendor


def test_structured_output_through_a_forced_tool() -> None:
    """Claude Sonnet 4 has no native structured output: the schema goes out as
    a forced tool and the answer comes back as that tool's input."""
    answer = ("toolu_9", "Weather", {"city": "Rome", "celsius": 21})
    script = Script([("anthropic", vb.reply("anthropic", None, [answer]))])
    r = llmkit.chat_sync("claude-sonnet-4-20250514", "JSON", response_format=Weather,
                         http_client=script.client())  # fmt: skip
    assert r.parsed == Weather(city="Rome", celsius=21)
    sent = script.sent[0][1]
    assert sent["tool_choice"] == {"type": "tool", "name": "Weather"}


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_tool_loop_with_structured_output(vendor: str) -> None:
    """A step that only calls tools is no answer yet (not a StructuredOutputError);
    the run ends on the step that gives the typed answer."""
    calls_made.clear()
    (a,) = ids(vendor, "a")
    script = Script([
        (vendor, vb.reply(vendor, None, [(a, "get_weather", {"city": "Paris"})])),
        (vendor, vb.reply(vendor, '{"city": "Paris", "celsius": 14}', n=2)),
    ])  # fmt: skip
    result = llmkit.run_sync(vb.MODELS[vendor], "Weather in Paris, as JSON", tools=[get_weather],
                             response_format=Weather, http_client=script.client())  # fmt: skip
    assert (result.stop, result.steps) == ("done", 2) and calls_made == ["Paris"]
    assert result.response.parsed == Weather(city="Paris", celsius=14)


def test_the_tool_loop_with_claude_answering_through_the_answer_tool() -> None:
    """Claude Sonnet 4 (no native structured output): beside the caller's tools
    the answer tool is offered with tool_choice "any", so the tools still run;
    the answer tool's call ends the run, and the history stays valid."""
    calls_made.clear()
    script = Script([
        ("anthropic", vb.reply("anthropic", None, [("toolu_1", "get_weather", {"city": "Rome"})])),
        ("anthropic", vb.reply("anthropic", None,
                               [("toolu_2", "Weather", {"city": "Rome", "celsius": 21})], n=2)),
    ])  # fmt: skip
    result = llmkit.run_sync("claude-sonnet-4-20250514", "Rome, as JSON", tools=[get_weather],
                             response_format=Weather, http_client=script.client())  # fmt: skip
    assert result.response.parsed == Weather(city="Rome", celsius=21) and result.steps == 2
    assert calls_made == ["Rome"]
    first = script.sent[0][1]
    assert first["tool_choice"] == {"type": "any"}
    assert [t["name"] for t in first["tools"]] == ["get_weather", "Weather"]
    # every call has its result: the conversation can go on
    llmkit.messages.check_history(result.messages)
    assert isinstance(result.messages[-1].content[0], ToolResult)


# ---- the sync twins from a thread that runs an event loop (Jupyter, async handlers) ----


@llmkit.tool
async def get_time(city: str) -> str:
    """The local time in a city (an async tool)."""
    return f"{city}: 12:00"


def _two_step(vendor: str, stream: bool = False) -> Script:
    a, b = ids(vendor, "a", "b")
    return Script([
        (vendor, vb.reply(vendor, None, [(a, "get_weather", {"city": "Paris"}),
                                         (b, "get_time", {"city": "Paris"})], stream=stream)),
        (vendor, vb.reply(vendor, "Sunny, noon.", n=2, stream=stream)),
    ])  # fmt: skip


@pytest.mark.anyio
async def test_sync_twins_work_inside_a_running_loop() -> None:
    vendor = "anthropic"
    result = llmkit.run_sync(vb.MODELS[vendor], "Paris?", tools=[get_weather, get_time],
                             http_client=_two_step(vendor).client())  # fmt: skip
    assert result.response.text == "Sunny, noon."
    assert [r.content for r in result.messages[2].content if isinstance(r, ToolResult)] == [
        "Paris: 14°C", "Paris: 12:00",
    ]  # fmt: skip
    events = list(llmkit.run_stream_sync(vb.MODELS[vendor], "Paris?", tools=[get_weather, get_time],
                                         http_client=_two_step(vendor, True).client()))  # fmt: skip
    assert isinstance(events[-1], RunDone) and events[-1].result.messages == result.messages
    call = llmkit.ToolCall(id="c1", name="get_time", arguments={"city": "Oslo"})
    assert llmkit.call_tool_sync({"get_time": get_time}, call).content == "Oslo: 12:00"


@pytest.mark.anyio
async def test_an_error_inside_the_helper_thread_reaches_the_caller() -> None:
    from llmkit.tools import run_async

    async def boom() -> None:
        raise KeyError("from the helper loop")

    with pytest.raises(KeyError, match="from the helper loop"):
        run_async(boom)


# ---- resuming after an approval stop ----------------------------------------------


def _stopped_for_approval(vendor: str) -> llmkit.RunResult:
    a, b = ids(vendor, "a", "b")
    script = Script([
        (vendor, vb.reply(vendor, None, [(a, "get_weather", {"city": "Rome"}),
                                         (b, "book_flight", {"to": "Rome"})])),
    ])  # fmt: skip
    tools = [get_weather, book_flight]
    result = llmkit.run_sync(vb.MODELS[vendor], "Fly me to Rome", tools=tools,
                             http_client=script.client())  # fmt: skip
    assert result.stop == "approval"
    return result


@pytest.mark.parametrize("vendor", VENDORS)
def test_resuming_with_calls_unanswered_is_refused_before_sending(vendor: str) -> None:
    result = _stopped_for_approval(vendor)
    script = Script([])
    with pytest.raises(llmkit.InvalidMessages) as e:
        llmkit.run_sync(vb.MODELS[vendor], result.messages, tools=[get_weather, book_flight],
                        http_client=script.client())  # fmt: skip
    msg = str(e.value)
    assert f"messages[1]: tool call '{result.pending[0].id}' (book_flight) has no result" in msg
    assert "llmkit.approve" in msg and script.sent == []


@pytest.mark.parametrize("vendor", VENDORS)
def test_approve_runs_the_pending_calls_and_the_loop_carries_on(vendor: str) -> None:
    booked: list[str] = []

    @llmkit.tool(approval=True, name="book_flight")
    def book(to: str) -> str:
        """Book a flight."""
        booked.append(to)
        return f"booked {to}"

    result = _stopped_for_approval(vendor)
    history = llmkit.approve_sync(result, [get_weather, book])
    assert booked == ["Rome"]
    assert [m.role for m in history] == ["user", "assistant", "tool"]  # one tool turn
    answers = [p for p in history[2].content if isinstance(p, ToolResult)]
    assert [r.tool_call_id for r in answers] == [c.id for c in result.response.tool_calls]
    assert answers[1].content == "booked Rome" and not answers[1].is_error
    script = Script([(vendor, vb.reply(vendor, "Booked; 14°C there.", n=2))])
    done = llmkit.run_sync(vb.MODELS[vendor], history, tools=[get_weather, book],
                           http_client=script.client())  # fmt: skip
    assert done.response.text == "Booked; 14°C there." and "booked Rome" in json.dumps(
        script.sent[0][1]
    )


@pytest.mark.parametrize("vendor", VENDORS)
def test_reject_answers_the_pending_calls_with_an_error(vendor: str) -> None:
    result = _stopped_for_approval(vendor)
    history = llmkit.reject(result, reason="Not today.")
    (_, refused) = history[2].content
    assert isinstance(refused, ToolResult) and refused.is_error and refused.content == "Not today."
    script = Script([(vendor, vb.reply(vendor, "Understood.", n=2))])
    llmkit.run_sync(vb.MODELS[vendor], history, tools=[get_weather, book_flight],
                    http_client=script.client())  # fmt: skip
    assert "Not today." in json.dumps(script.sent[0][1])


@pytest.mark.anyio
async def test_approve_async_can_reject_some_calls() -> None:
    result = _stopped_for_approval("openai")
    (pending,) = result.pending
    history = await llmkit.approve(result, [get_weather, book_flight], reject=[pending.id])
    refused = history[-1].content[-1]
    assert isinstance(refused, ToolResult) and refused.is_error
    with pytest.raises(llmkit.InvalidArgument, match="no pending call"):
        await llmkit.approve(result, [get_weather, book_flight], reject=["nope"])


def _call(i: str) -> llmkit.ToolCall:
    return llmkit.ToolCall(id=i, name="get_weather", arguments={"city": "Oslo"})


def _result(i: str) -> ToolResult:
    return ToolResult(tool_call_id=i, content="ok")


@pytest.mark.parametrize(
    ("history", "error"),
    [
        ([llmkit.Message(role="assistant", content=[_call("a")])], "'a' .get_weather. has no"),
        ([llmkit.Message(role="assistant", content=[_call("a")]),
          llmkit.Message(role="assistant", content=[llmkit.Text(text="hm")])], "has no result"),
        ([llmkit.Message(role="tool", content=[_result("x")])], "answers no call"),
        ([llmkit.Message(role="assistant", content=[_call("a")]),
          llmkit.Message(role="tool", content=[_result("a"), _result("a")])], "answered twice"),
        ([llmkit.Message(role="assistant", content=[_call("a"), _call("a")])], "used twice"),
    ],
)  # fmt: skip
def test_every_history_is_checked_before_sending(history: list[llmkit.Message], error: str) -> None:
    script = Script([])
    with pytest.raises(llmkit.InvalidMessages, match=error):  # a regex
        llmkit.chat_sync("gpt-4o", ["Hi", *history], http_client=script.client())
    assert script.sent == []


# ---- tools the loop cannot run ----------------------------------------------------


def plain_weather(city: str) -> str:
    return city


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ({"name": "get_weather", "parameters": {"type": "object"}}, "not a schema"),
        (plain_weather, "wrap the function: llmkit.tool(fn)"),
        (functools.partial(plain_weather, city="Oslo"), "wrap the function"),
        (42, "expected llmkit.tool(fn)"),
    ],
)
def test_the_loop_refuses_tools_it_cannot_run(bad: object, hint: str) -> None:
    for run in (llmkit.run_sync, llmkit.run_stream_sync):
        with pytest.raises(llmkit.InvalidArgument, match=re.escape(hint)):
            list(run("gpt-4o", "Hi", tools=[get_weather, bad]))  # type: ignore[list-item, call-overload]


def test_tool_choice_naming_no_given_tool_is_refused_before_sending() -> None:
    script = Script([])
    with pytest.raises(llmkit.InvalidArgument, match="no tool named 'get_wether'"):
        llmkit.run_sync("gpt-4o", "Hi", tools=[get_weather], tool_choice="get_wether",
                        http_client=script.client())  # fmt: skip
    with pytest.raises(llmkit.InvalidArgument, match=r"tools: none"):
        llmkit.chat_sync("gpt-4o", "Hi", tool_choice="get_weather", http_client=script.client())
    assert script.sent == []


# ---- run totals and step boundaries ------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_run_usage_is_the_sum_of_every_step(vendor: str) -> None:
    def answers(stream: bool) -> list[tuple[str, bytes]]:
        (a,) = ids(vendor, "a")
        return [
            (vendor, vb.reply(vendor, "Looking.", [(a, "get_weather", {"city": "Lima"})],
                              stream=stream)),
            (vendor, vb.reply(vendor, "Lima: 14°C.", n=2, stream=stream)),
        ]  # fmt: skip

    plain = llmkit.run_sync(vb.MODELS[vendor], "Lima?", tools=[get_weather],
                            http_client=Script(answers(False)).client())  # fmt: skip
    events = list(llmkit.run_stream_sync(vb.MODELS[vendor], "Lima?", tools=[get_weather],
                                         http_client=Script(answers(True)).client()))  # fmt: skip
    steps = [ev.response.usage for ev in events if isinstance(ev, Done)]
    assert len(steps) == 2 and steps[1].input_tokens > 0
    total = llmkit.Usage(
        input_tokens=sum(u.input_tokens for u in steps),
        output_tokens=sum(u.output_tokens for u in steps),
        cache_read_tokens=sum(u.cache_read_tokens for u in steps),
        cache_write_tokens=sum(u.cache_write_tokens for u in steps),
        reasoning_tokens=sum(u.reasoning_tokens for u in steps),
    )
    last = events[-1]
    assert isinstance(last, RunDone) and last.result.usage == total
    assert plain.usage.input_tokens == total.input_tokens > plain.response.usage.input_tokens


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_step_start_separates_the_steps_of_a_streamed_run(vendor: str) -> None:
    (a,) = ids(vendor, "a")
    script = Script([
        (vendor, vb.reply(vendor, "Looking.", [(a, "get_weather", {"city": "Lima"})],
                          stream=True)),
        (vendor, vb.reply(vendor, "Lima: 14°C.", n=2, stream=True)),
    ])  # fmt: skip
    models = [vb.MODELS[vendor], vb.MODELS["google" if vendor != "google" else "anthropic"]]
    script.answers[1] = (HOSTS_BY_VENDOR[models[1]], vb.reply(
        HOSTS_BY_VENDOR[models[1]], "Lima: 14°C.", n=2, stream=True))  # fmt: skip
    events = list(llmkit.run_stream_sync(models, "Lima?", tools=[get_weather],
                                         http_client=script.client()))  # fmt: skip
    (i,) = [k for k, ev in enumerate(events) if isinstance(ev, llmkit.StepStart)]
    assert events[i] == llmkit.StepStart(step=1, model=models[1])
    assert isinstance(events[i - 1], ToolExecuted)
    before = "".join(ev.text for ev in events[:i] if isinstance(ev, llmkit.TextDelta))
    after = "".join(ev.text for ev in events[i:] if isinstance(ev, llmkit.TextDelta))
    assert (before, after) == ("Looking.", "Lima: 14°C.")


HOSTS_BY_VENDOR = {model: vendor for vendor, model in vb.MODELS.items()}


@pytest.mark.anyio
async def test_approve_sync_works_inside_a_running_loop() -> None:
    result = _stopped_for_approval("anthropic")
    history = llmkit.approve_sync(result, [get_weather, book_flight])  # runs it: a loop of its own
    ran = history[-1].content[-1]
    assert isinstance(ran, ToolResult) and ran.content.startswith("book_flight failed")
