"""Fallback chains through the real transport: vendors answer with their own
recorded bodies (httpx.MockTransport keyed by host), so each hop builds, sends
and parses exactly as a plain call does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

import llmkit
from llmkit import fallback
from llmkit._closing import EventStream
from llmkit.errors import (
    ContextTooLong,
    InvalidArgument,
    Overloaded,
    RateLimited,
    StreamError,
    UnknownModel,
    Unsupported,
)
from llmkit.types import Attempt, Done, Message, StreamEvent, Text, TextDelta, Thinking

FIX = Path(__file__).resolve().parent.parent / "fixtures"
CLAUDE, GPT, GEMINI = "claude-sonnet-4-5", "gpt-4.1", "gemini-2.5-flash"
SIGNATURE = "EqQBCkgIARABGAIiQL0signature-that-only-anthropic-may-see"


def _fixture(name: str) -> httpx.Response:
    body = (FIX / name).read_bytes()
    meta = FIX / name.replace(".json", ".headers.json").replace(".sse", ".headers.json")
    if meta.exists() and meta != FIX / name:
        m = json.loads(meta.read_text())
        return httpx.Response(m["status"], headers=m["headers"], content=body)
    kind = "text/event-stream" if name.endswith(".sse") else "application/json"
    return httpx.Response(200, headers={"content-type": kind}, content=body)


Answers = dict[str, list[str]]


def vendors(
    answers: Answers, seen: list[httpx.Request]
) -> Callable[[httpx.Request], httpx.Response]:
    """Each host answers its fixtures in turn (the last one repeats)."""

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        queue = answers[request.url.host]
        return _fixture(queue.pop(0) if len(queue) > 1 else queue[0])

    return handler


def sync_client(answers: Answers, seen: list[httpx.Request]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(vendors(answers, seen)))


def async_client(answers: Answers, seen: list[httpx.Request]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(vendors(answers, seen)))


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(env, f"test-{env.lower()}-not-real")


def hosts(seen: list[httpx.Request]) -> list[str]:
    return [r.url.host for r in seen]


OVERLOADED = {"api.anthropic.com": ["anthropic/error_529.json"]}
GPT_TEXT = {"api.openai.com": ["openai-responses/text.json"]}
GPT_STREAM = {"api.openai.com": ["openai-responses/text.sse"]}


def test_overloaded_model_falls_back_after_its_own_retries() -> None:
    seen: list[httpx.Request] = []
    resp = llmkit.chat_sync(
        CLAUDE, "hi", fallbacks=[GPT], max_retries=1,
        http_client=sync_client({**OVERLOADED, **GPT_TEXT}, seen),
    )  # fmt: skip
    # Claude was retried once by the transport before the chain moved on
    assert hosts(seen) == ["api.anthropic.com", "api.anthropic.com", "api.openai.com"]
    assert resp.provider == "openai" and resp.text
    assert resp.attempts == (
        Attempt(model=CLAUDE, error="Overloaded", message="Overloaded", status=529),
    )


def test_an_error_the_next_model_would_share_is_raised_at_once() -> None:
    seen: list[httpx.Request] = []
    answers = {"api.anthropic.com": ["anthropic/error_400_context.json"], **GPT_TEXT}
    with pytest.raises(ContextTooLong) as info:
        llmkit.chat_sync(CLAUDE, "hi", fallbacks=[GPT], http_client=sync_client(answers, seen))
    assert hosts(seen) == ["api.anthropic.com"] and info.value.attempts == ()


def test_fallback_on_adds_error_classes() -> None:
    seen: list[httpx.Request] = []
    answers = {"api.anthropic.com": ["anthropic/error_400_context.json"], **GPT_TEXT}
    resp = llmkit.chat_sync(
        CLAUDE, "hi", fallbacks=[GPT], fallback_on=[ContextTooLong],
        http_client=sync_client(answers, seen),
    )  # fmt: skip
    assert resp.provider == "openai" and [a.error for a in resp.attempts] == ["ContextTooLong"]


def test_when_every_model_fails_the_last_error_carries_the_others() -> None:
    seen: list[httpx.Request] = []
    answers = {**OVERLOADED, "generativelanguage.googleapis.com": ["google/error_429.json"]}
    with pytest.raises(RateLimited) as info:
        llmkit.chat_sync(
            CLAUDE, "hi", fallbacks=[GEMINI], max_retries=0, http_client=sync_client(answers, seen)
        )
    assert [(a.model, a.error, a.status) for a in info.value.attempts] == [
        (CLAUDE, "Overloaded", 529)
    ]


@pytest.mark.anyio
async def test_async_chat_falls_back() -> None:
    seen: list[httpx.Request] = []
    async with async_client({**OVERLOADED, **GPT_TEXT}, seen) as client:
        resp = await llmkit.chat(CLAUDE, "hi", fallbacks=[GPT], max_retries=0, http_client=client)
    assert resp.provider == "openai" and [a.error for a in resp.attempts] == ["Overloaded"]


def test_stream_falls_back_before_its_first_event() -> None:
    seen: list[httpx.Request] = []
    with llmkit.stream_sync(
        CLAUDE, "hi", fallbacks=[GPT], max_retries=0,
        http_client=sync_client({**OVERLOADED, **GPT_STREAM}, seen),
    ) as events:  # fmt: skip
        got = list(events)
    done = got[-1]
    assert isinstance(done, Done) and done.response.provider == "openai"
    assert done.response.attempts[0].error == "Overloaded"
    assert "".join(e.text for e in got if isinstance(e, TextDelta)) == done.response.text


@pytest.mark.anyio
async def test_async_stream_falls_back_before_its_first_event() -> None:
    seen: list[httpx.Request] = []
    async with async_client({**OVERLOADED, **GPT_STREAM}, seen) as client:
        got = [
            e async for e in llmkit.stream(
                CLAUDE, "hi", fallbacks=[GPT], max_retries=0, http_client=client
            )
        ]  # fmt: skip
    done = got[-1]
    assert isinstance(done, Done) and done.response.provider == "openai"
    assert [a.status for a in done.response.attempts] == [529]


def test_a_stream_that_has_begun_never_falls_back() -> None:
    seen: list[httpx.Request] = []
    answers = {"api.anthropic.com": ["anthropic/error_midstream.sse"], **GPT_STREAM}
    got = []
    with pytest.raises((StreamError, Overloaded)):
        with llmkit.stream_sync(
            CLAUDE, "hi", fallbacks=[GPT], max_retries=0, http_client=sync_client(answers, seen)
        ) as events:
            got.extend(events)
    assert got and hosts(seen) == ["api.anthropic.com"]


def test_no_vendors_reasoning_reaches_another_on_a_hop() -> None:
    """The cross-vendor policy holds on the hop: Claude's signed thinking
    stays with Claude when the chain moves to GPT."""
    history = [
        Message(role="user", content=[Text(text="first")]),
        Message(
            role="assistant",
            content=[
                Thinking(text="private steps", signature=SIGNATURE, provider="anthropic"),
                Text(text="an answer"),
            ],
        ),
        Message(role="user", content=[Text(text="again")]),
    ]
    seen: list[httpx.Request] = []
    llmkit.chat_sync(
        CLAUDE, history, fallbacks=[GPT], max_retries=0,
        http_client=sync_client({**OVERLOADED, **GPT_TEXT}, seen),
    )  # fmt: skip
    to_claude, to_gpt = seen[0].content.decode(), seen[1].content.decode()
    assert SIGNATURE in to_claude and SIGNATURE not in to_gpt
    assert "private steps" not in to_gpt


def test_run_falls_back_per_step() -> None:
    @llmkit.tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    seen: list[httpx.Request] = []
    result = llmkit.run_sync(
        CLAUDE, "hi", tools=[add], fallbacks=[GPT], max_retries=0,
        http_client=sync_client({**OVERLOADED, **GPT_TEXT}, seen),
    )  # fmt: skip
    assert result.response.provider == "openai"
    assert result.response.attempts[0].model == CLAUDE


def test_a_chain_is_checked_before_any_io() -> None:
    seen: list[httpx.Request] = []
    client = sync_client(GPT_TEXT, seen)
    with pytest.raises(UnknownModel):
        llmkit.chat_sync(GPT, "hi", fallbacks=["no-such-model-family"], http_client=client)
    with pytest.raises(InvalidArgument, match="not one string"):
        llmkit.chat_sync(GPT, "hi", fallbacks=GPT, http_client=client)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="exception classes"):
        llmkit.chat_sync(GPT, "hi", fallbacks=[CLAUDE], fallback_on=["429"], http_client=client)  # type: ignore[list-item]
    assert seen == []


def test_a_key_given_by_hand_never_crosses_to_another_vendor() -> None:
    seen: list[httpx.Request] = []
    client = sync_client({**OVERLOADED, **GPT_TEXT}, seen)
    with pytest.raises(InvalidArgument, match="anthropic, openai"):
        llmkit.chat_sync(
            CLAUDE, "hi", fallbacks=[GPT], api_key="sk-ant-by-hand", http_client=client
        )
    assert seen == []
    # one endpoint: the key is the caller's for every hop
    with pytest.raises(Overloaded):
        llmkit.chat_sync(
            CLAUDE, "hi", fallbacks=["claude-haiku-4-5"], api_key="sk-ant-by-hand",
            max_retries=0, http_client=client,
        )  # fmt: skip
    assert [r.headers["x-api-key"] for r in seen] == ["sk-ant-by-hand"] * 2


def test_the_deadline_bounds_the_whole_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(fallback.time, "monotonic", lambda: now[0])
    given: list[float | None] = []

    def send(*, model: str, deadline: float | None) -> llmkit.Response:
        given.append(deadline)
        now[0] += 4.0  # each model takes 4 s to fail
        raise RateLimited("slow down", status=429)

    with pytest.raises(RateLimited) as info:
        fallback.chat(["a", "b", "c"], fallback.FALLBACK_ON, 10.0, send)
    # 10 s for the chain: a gets 10, b the 6 left, c the 2 left, then it stops
    assert given == [10.0, 6.0, 2.0] and len(info.value.attempts) == 2
    given.clear()
    now[0] = 100.0
    with pytest.raises(RateLimited) as info:
        fallback.chat(["a", "b", "c", "d"], fallback.FALLBACK_ON, 7.0, send)
    assert given == [7.0, 3.0] and [a.model for a in info.value.attempts] == ["a"]


def _sync_hops(first: BaseException, then: BaseException) -> Callable[..., object]:
    errors = iter([first, then])

    def send(*, model: str, deadline: float | None) -> llmkit.Response:
        raise next(errors)

    return send


def test_an_error_that_ends_the_chain_keeps_the_failures_before_it() -> None:
    # the second model is Unsupported (or rejects the request): raised at once,
    # but the first model's 429 must not be lost with it
    send = _sync_hops(RateLimited("slow down", status=429), Unsupported("images"))
    with pytest.raises(Unsupported) as info:
        fallback.chat(["a", "b"], fallback.FALLBACK_ON, None, send)  # type: ignore[arg-type]
    assert [(a.model, a.error) for a in info.value.attempts] == [("a", "RateLimited")]

    def opener() -> Callable[..., object]:
        errors = iter([RateLimited("slow down", status=429), Unsupported("images")])

        def open(*, model: str, deadline: float | None) -> EventStream[StreamEvent]:
            def gen(_: object) -> Iterator[StreamEvent]:
                raise next(errors)
                yield  # pragma: no cover

            return EventStream(gen)

        return open

    with (
        pytest.raises(Unsupported) as info,
        fallback.stream(
            ["a", "b"],
            fallback.FALLBACK_ON,
            None,
            opener(),  # type: ignore[arg-type]
        ) as events,
    ):
        list(events)
    assert [a.model for a in info.value.attempts] == ["a"]


@pytest.mark.anyio
async def test_an_error_that_ends_an_async_chain_keeps_the_failures_before_it() -> None:
    send_errors = iter([RateLimited("slow down", status=429), Unsupported("images")])

    async def send(*, model: str, deadline: float | None) -> llmkit.Response:
        raise next(send_errors)

    with pytest.raises(Unsupported) as info:
        await fallback.achat(["a", "b"], fallback.FALLBACK_ON, None, send)
    assert [a.model for a in info.value.attempts] == ["a"]

    open_errors = iter([RateLimited("slow down", status=429), Unsupported("images")])

    def open(*, model: str, deadline: float | None) -> AsyncIterator[StreamEvent]:
        async def gen() -> AsyncIterator[StreamEvent]:
            raise next(open_errors)
            yield  # pragma: no cover

        return gen()

    with pytest.raises(Unsupported) as info:
        async for _ in fallback.astream(["a", "b"], fallback.FALLBACK_ON, None, open):
            pass
    assert [a.model for a in info.value.attempts] == ["a"]


@pytest.mark.parametrize("cls", [BaseException, KeyboardInterrupt, GeneratorExit])
def test_fallback_on_never_catches_cancellation(cls: type[BaseException]) -> None:
    # asyncio's CancelledError and trio's Cancelled are BaseExceptions: a chain
    # that caught them would go on to the next model after the caller cancelled
    with pytest.raises(InvalidArgument, match="Exception subclasses"):
        fallback.classes([cls])


def test_an_attempt_from_a_callers_error_class_is_scrubbed() -> None:
    class Mine(Exception):
        pass

    key = "sk-ant-api03-" + "x" * 40
    answer = llmkit.Response(message=Message(role="assistant", content=[Text(text="hi")]))

    def send(*, model: str, deadline: float | None) -> llmkit.Response:
        if model == "a":
            raise Mine(f"proxy said: bad key {key}")
        return answer

    resp = fallback.chat(["a", "b"], fallback.classes([Mine]), None, send)
    assert resp.attempts[0].error == "Mine" and key not in resp.attempts[0].message


@pytest.mark.anyio
async def test_cancelling_a_chain_never_moves_it_to_the_next_model() -> None:
    """Even with `fallback_on=[Exception]`: asyncio's CancelledError and trio's
    Cancelled are BaseExceptions, and end the chain where it stands."""
    import anyio

    opened: list[str] = []
    on = fallback.classes([Exception])

    async def send(*, model: str, deadline: float | None) -> llmkit.Response:
        opened.append(model)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    with anyio.move_on_after(0.05) as scope:
        await fallback.achat(["a", "b"], on, None, send)
    assert scope.cancelled_caught and opened == ["a"]

    def open(*, model: str, deadline: float | None) -> AsyncIterator[StreamEvent]:
        async def gen() -> AsyncIterator[StreamEvent]:
            opened.append(model)
            await anyio.sleep_forever()
            yield  # type: ignore[misc]  # pragma: no cover

        return gen()

    opened.clear()
    with anyio.move_on_after(0.05) as scope:
        events = fallback.astream(["a", "b"], on, None, open)
        try:
            async for _ in events:
                pass
        finally:
            await events.aclose()  # type: ignore[attr-defined]
    assert scope.cancelled_caught and opened == ["a"]


@pytest.mark.parametrize(
    ("public", "chained"),
    [("chat_sync", "chat"), ("stream_sync", "stream"), ("chat", "achat"), ("stream", "astream")],
)
def test_each_public_call_hands_the_chain_its_models_and_deadline(
    public: str, chained: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: list[tuple[object, ...]] = []

    async def achained(*a: object) -> str:
        got.append(a)
        return "chained"

    def sync_chained(*a: object) -> str:
        got.append(a)
        return "chained"

    monkeypatch.setattr(fallback, chained, achained if chained == "achat" else sync_chained)
    out = getattr(llmkit, public)(CLAUDE, "hi", fallbacks=[GEMINI], deadline=42.0)
    if public == "chat":
        out = asyncio.run(out)
    assert out == "chained" and len(got) == 1
    models, _, deadline, hop = got[0]
    assert (models, deadline) == ([CLAUDE, GEMINI], 42.0) and callable(hop)
