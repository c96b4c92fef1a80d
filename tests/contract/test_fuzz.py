"""Bad input gets a clear error, on every wire: whatever a vendor sends (its own
recorded streams bent, events dropped, repeated or cut short, events it never
sends, bodies from nowhere) and whatever history a caller builds, the answer
is a result or a typed llmkit error, never a KeyError, TypeError or a hang.

Each property counts what its examples reached and asserts it reached the
interesting cases for every wire, so a wire that refused everything (an
always-`Unsupported` `build_request`, a fold that always raises) fails here."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from llmkit.errors import ApiError, LlmkitError
from llmkit.protocols import HttpRequest, Sse
from llmkit.types import ChatRequest, Done
from tests import strategies as s
from tests.contract.drive import request
from tests.contract.table import NAMES, WIRES, bodies, module, short, sse_events, streams

json_leaf = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5)
json_value: st.SearchStrategy[Any] = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
WIRE_IDS = [short(n) for n in NAMES]
# Each wire gets its own run: a third of the profile's examples each (the old
# one-run-for-all-vendors tests drew the whole budget across six vendors).
PER_WIRE = settings(max_examples=max(20, settings.default.max_examples // 3))


def recorded(name: str) -> list[list[Sse]]:
    return [sse_events(p.read_bytes()) for p in streams(name)]


def _paths(obj: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(obj, dict):
        return [at, *(p for k, v in obj.items() for p in _paths(v, (*at, k)))]
    if isinstance(obj, list):
        return [at, *(p for i, v in enumerate(obj) for p in _paths(v, (*at, i)))]
    return [at]


def _mutate(obj: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        if drop and not rest:
            return {k: v for k, v in obj.items() if k != head}
        return {**obj, head: _mutate(obj[head], rest, new, drop)}
    copy = list(obj)
    copy[head] = _mutate(obj[head], rest, new, drop)
    return copy


@st.composite
def bent_streams(draw: st.DrawFn, name: str) -> list[Sse]:
    """A recorded stream with events bent out of shape, dropped, repeated or
    cut off."""
    events = list(draw(st.sampled_from(recorded(name))))
    for _ in range(draw(st.integers(0, 3))):  # (0: as recorded, the baseline)
        if not events:
            break
        i = draw(st.integers(0, len(events) - 1))
        match draw(st.sampled_from(["bend", "bend", "drop", "repeat", "cut"])):
            case "drop":
                del events[i]
            case "repeat":
                events.insert(i, events[i])
            case "cut":
                del events[i:]
            case _:
                try:
                    data = json.loads(events[i].data)
                except ValueError:
                    continue
                path = draw(st.sampled_from(_paths(data)))
                bent = _mutate(data, path, draw(json_value), draw(st.booleans()))
                events[i] = Sse(event=events[i].event, data=json.dumps(bent))
    return events


def _fold_typed(name: str, events: list[Sse]) -> str:
    """Fold `events`; only llmkit errors may leave, and the partial response
    the transport attaches to one must build too."""
    p = module(name)
    st_ = p.start(request(name))
    try:
        for ev in events:
            st_, _ = p.step(st_, ev)
        out = p.finish(st_)
    except LlmkitError:
        p.snapshot(st_)
        return "error"
    assert isinstance(out[-1], Done)
    return "done"


@pytest.mark.parametrize("name", NAMES, ids=WIRE_IDS)
def test_bent_streams_give_a_response_or_a_typed_error(name: str) -> None:
    seen: Counter[str] = Counter()

    @PER_WIRE
    @given(st.data())
    def run(data: st.DataObject) -> None:
        seen[_fold_typed(name, data.draw(bent_streams(name)))] += 1

    run()
    assert seen["done"] and seen["error"], seen  # both sides of the contract were reached


@pytest.mark.parametrize("name", NAMES, ids=WIRE_IDS)
def test_invented_events_give_a_response_or_a_typed_error(name: str) -> None:
    known = sorted({ev.event for evs in recorded(name) for ev in evs} | {"message", "error", ""})
    datas = [ev.data for evs in recorded(name) for ev in evs]
    invented = st.builds(
        Sse,
        event=st.sampled_from(known) | st.text(max_size=12),
        data=json_value.map(json.dumps) | st.sampled_from(datas) | st.text(max_size=12),
    )
    seen: Counter[str] = Counter()

    @PER_WIRE
    @given(st.lists(invented, max_size=8))
    def run(events: list[Sse]) -> None:
        seen[_fold_typed(name, events)] += 1

    run()
    assert seen["error"], seen


BAD_UTF8 = [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28", b"\x80"]


@st.composite
def bent_bodies(draw: st.DrawFn, name: str) -> tuple[bool, bytes]:
    """(recorded?, body): a recorded body with invalid UTF-8 put inside its
    strings, bytes dropped or changed, or its end cut off; or JSON or bytes
    from nowhere."""
    match draw(st.sampled_from(["bent", "bent", "json", "bytes"])):
        case "json":
            return False, json.dumps(draw(json_value)).encode()
        case "bytes":
            return False, draw(st.binary(max_size=64))
    body = bytearray(draw(st.sampled_from(bodies(name))).read_bytes())
    for _ in range(draw(st.integers(1, 3))):
        if not body:
            break
        quotes = [i for i, b in enumerate(body) if b == ord('"')] or [0]
        at = draw(st.sampled_from(quotes)) + 1  # just inside a string (or just after one)
        match draw(st.sampled_from(["utf8", "utf8", "drop", "byte", "cut"])):
            case "utf8":
                body[at:at] = draw(st.sampled_from(BAD_UTF8))
            case "drop":
                del body[at : at + draw(st.integers(1, 8))]
            case "byte":
                body[min(at, len(body) - 1)] = draw(st.integers(0, 255))
            case _:
                del body[draw(st.integers(0, len(body))) :]
    return True, bytes(body)


@pytest.mark.parametrize("name", NAMES, ids=WIRE_IDS)
def test_any_body_parses_or_is_a_typed_error(name: str) -> None:
    """Answer bodies and model pages: a result or a typed error. Error bodies:
    always an ApiError with the status; retryable as the status says, except
    that a vendor's word may make a retryable status final (a spend limit)."""
    p = module(name)
    seen: Counter[str] = Counter()

    @PER_WIRE
    @given(bent_bodies(name), st.integers(400, 599))
    def run(case: tuple[bool, bytes], status: int) -> None:
        from_recording, body = case
        for parse in (p.parse_response, p.parse_list_models):
            try:
                parse(body)
                seen["parsed"] += 1
            except LlmkitError:
                seen["error"] += 1
        err = p.parse_error(status, {}, body)
        assert isinstance(err, ApiError) and err.status == status
        by_status = status in (408, 409, 429) or status >= 500
        assert err.retryable == by_status if not from_recording else by_status or not err.retryable

    run()
    assert seen["error"], seen
    for path in bodies(name):  # and the recordings themselves parse as one of the three
        body = path.read_bytes()
        assert isinstance(p.parse_error(400, {}, body), ApiError)


def _any_requests(model: str) -> st.SearchStrategy[tuple[ChatRequest, ChatRequest]]:
    """A request as callers make them, and one of any messages and tools at
    all in any order; each with either foreign-thinking policy."""
    raw = st.builds(
        ChatRequest,
        model=st.just(model),
        messages=st.lists(s.messages, min_size=1, max_size=5),
        tools=st.lists(s.tools, max_size=2),
    )
    policy = st.sampled_from(["drop", "text"])

    def with_policy(reqs: st.SearchStrategy[ChatRequest]) -> st.SearchStrategy[ChatRequest]:
        return st.builds(
            lambda r, p: replace(r, options=replace(r.options, foreign_thinking=p)), reqs, policy
        )

    return st.tuples(with_policy(s.chat_requests([model])), with_policy(raw))


@pytest.mark.parametrize("name", NAMES, ids=WIRE_IDS)
def test_any_history_builds_a_request_or_says_what_is_unsupported(name: str) -> None:
    p = module(name)
    seen: Counter[str] = Counter()

    def build(kind: str, req: ChatRequest) -> None:
        seen[kind] += 1
        try:
            hr = p.build_request(req, "https://contract.invalid")
        except LlmkitError as e:
            seen[f"{kind} refused: {type(e).__name__}"] += 1
            return
        assert isinstance(hr, HttpRequest)
        assert hr.method in ("GET", "POST") and hr.url.startswith("https://contract.invalid")
        json.loads(hr.body or b"{}")
        seen[f"{kind} built"] += 1

    @PER_WIRE
    @given(_any_requests(WIRES[name].model))
    def run(reqs: tuple[ChatRequest, ChatRequest]) -> None:
        build("caller", reqs[0])
        build("raw", reqs[1])

    run()
    # Some of callers' requests build (a fifth to all of them, by wire and
    # seed): a wire that refuses (nearly) everything fails here.
    assert seen["caller built"] >= max(1, seen["caller"] // 16), seen
