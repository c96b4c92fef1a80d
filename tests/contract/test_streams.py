"""The stream contract, for every wire format in the registry and the toy wire:
where the bytes are cut changes nothing, the fold is pure, the streamed answer
is the non-streamed one, and sync and async give the same events."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import LlmkitError
from llmkit.types import (
    Done,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
)
from tests.contract.drive import athrough_transport, fold, request, through_transport
from tests.contract.table import NAMES, REGISTERED, TOY, WIRES, module, sse_events, streams

STREAMS = [(n, p) for n in NAMES for p in streams(n)]
IDS = [f"{n.rsplit('.', 1)[-1]}/{p.name}" for n, p in STREAMS]
TWINS = [(n, p) for n, p in STREAMS if WIRES[n].twin(p) is not None]


def test_every_registered_wire_has_a_row_and_recordings() -> None:
    assert set(WIRES) == {*REGISTERED, TOY}
    for name in NAMES:
        assert streams(name), f"{name}: no fixtures/*.sse to check the contract on"
        assert any(WIRES[n].twin(p) for n, p in TWINS if n == name), f"{name}: no streamed twin"


def awkward_offsets(data: bytes) -> list[int]:
    """Inside multi-byte UTF-8 characters, and between \\r and \\n."""
    inside = [i for i, b in enumerate(data) if b & 0xC0 == 0x80]
    crlf = [i + 1 for i in range(len(data) - 1) if data[i : i + 2] == b"\r\n"]
    return inside + crlf


@pytest.mark.parametrize(("name", "path"), STREAMS, ids=IDS)
def test_the_transport_folds_what_the_events_fold_to(name: str, path: Path) -> None:
    """The pure fold over httpx-sse's parse of the bytes gives the events the
    transport yields (the transport names the endpoint in an error); every
    awkward offset cut at once and CRLF line ends change nothing at all."""
    data = path.read_bytes()
    expected = fold(module(name), request(name), sse_events(data))
    assert expected.events or expected.error, "the recording gives nothing at all"
    whole = through_transport(name, data)
    assert whole.events == expected.events
    assert (whole.error or ("",))[0] == (expected.error or ("",))[0]
    assert through_transport(name, data, awkward_offsets(data)) == whole
    crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert through_transport(name, crlf, awkward_offsets(crlf)) == whole


@st.composite
def cut_streams(draw: st.DrawFn) -> tuple[str, bytes, list[int]]:
    name, path = draw(st.sampled_from(STREAMS))
    data = path.read_bytes()
    if draw(st.booleans()):
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    anywhere = st.integers(1, len(data) - 1)
    awkward = awkward_offsets(data)
    cut = st.one_of(anywhere, st.sampled_from(awkward)) if awkward else anywhere
    return name, data, draw(st.lists(cut, max_size=16))


@settings(max_examples=150)
@given(cut_streams())
def test_chunk_boundaries_change_nothing(case: tuple[str, bytes, list[int]]) -> None:
    name, data, cuts = case
    assert through_transport(name, data, cuts) == through_transport(name, data)


@pytest.mark.parametrize(("name", "path"), STREAMS, ids=IDS)
def test_step_is_pure_and_states_are_frozen(name: str, path: Path) -> None:
    p = module(name)
    events = sse_events(path.read_bytes())
    assert fold(p, request(name), events, pure=True) == fold(p, request(name), events)
    s = p.start(request(name))
    for ev in events:
        assert isinstance(s, msgspec.Struct) and s.__struct_config__.frozen, type(s)
        try:
            s, _ = p.step(s, ev)
        except LlmkitError:
            break


@pytest.mark.parametrize(("name", "path"), TWINS, ids=[f"{n}/{p.name}" for n, p in TWINS])
def test_done_is_the_non_streamed_parse(name: str, path: Path) -> None:
    got = through_transport(name, path.read_bytes())
    assert got.error is None, got.error
    last = got.events[-1]
    assert isinstance(last, Done)
    assert last.response == module(name).parse_response(WIRES[name].twin(path) or b"")


def deltas_add_up(events: list[StreamEvent]) -> None:
    """Every delta's index is its part's position in Done, and a part's deltas
    add up to it: a text's or thinking's text, a call's arguments."""
    last = events[-1]
    assert isinstance(last, Done)
    content = last.response.message.content
    texts: dict[int, str] = {}
    for ev in events:
        if isinstance(ev, TextDelta | ThinkingDelta | ToolCallDelta | ToolCallStart):
            assert 0 <= ev.index < len(content), ev
        if isinstance(ev, TextDelta | ThinkingDelta):
            texts[ev.index] = texts.get(ev.index, "") + ev.text
        elif isinstance(ev, ToolCallDelta):
            texts[ev.index] = texts.get(ev.index, "") + ev.arguments
    for at, text in texts.items():
        part = content[at]
        if isinstance(part, ToolCall):
            assert (part.raw_arguments or text) == text, (at, part)
            assert part.error or json.loads(text or "{}") == part.arguments, (at, part)
        else:
            assert getattr(part, "text", None) == text, (at, part)


@pytest.mark.parametrize(("name", "path"), STREAMS, ids=IDS)
def test_deltas_add_up_to_done(name: str, path: Path) -> None:
    got = through_transport(name, path.read_bytes())
    if got.error is None:
        deltas_add_up(got.events)


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "path"), STREAMS, ids=IDS)
async def test_async_is_sync(name: str, path: Path) -> None:
    data = path.read_bytes()
    sync = through_transport(name, data)
    assert await athrough_transport(name, data) == sync
    assert await athrough_transport(name, data, [*awkward_offsets(data), 7, 300, 301]) == sync
