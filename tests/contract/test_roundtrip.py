"""Wire <-> unified round-trips, for every wire module that reads histories
back (`messages_from_wire`): a history sent, read back and sent again is the
same wire history. (What each wire keeps of a unified history, exactly, is in
tests/providers/ and tests/test_roundtrip.py.)"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import LlmkitError
from llmkit.types import Message
from tests import strategies as s
from tests.contract.table import NAMES, module, short

READERS = [n for n in NAMES if hasattr(module(n), "messages_from_wire")]


def test_the_chat_wires_read_histories_back() -> None:
    assert {short(n) for n in READERS} >= {"anthropic", "openai", "xai", "google"}


def _send(p: Any, history: list[Message]) -> Any:
    return p.messages_to_wire(history)


def _read(p: Any, wire: Any) -> list[Message]:
    # Some wires put the system prompt beside the messages: (system, messages).
    return p.messages_from_wire(*wire) if isinstance(wire, tuple) else p.messages_from_wire(wire)


@pytest.mark.parametrize("name", READERS, ids=[short(n) for n in READERS])
def test_wire_to_unified_to_wire_is_the_identity(name: str) -> None:
    p = module(name)
    seen: Counter[str] = Counter()

    @settings(max_examples=max(20, settings.default.max_examples // 3))
    @given(s.conversations(s.TOOL_NAMES))
    def run(history: list[Message]) -> None:
        try:
            wire = _send(p, history)
        except LlmkitError:
            seen["refused"] += 1
            return
        assert _send(p, _read(p, wire)) == wire
        seen["round-tripped"] += 1

    run()
    assert seen["round-tripped"] >= max(1, sum(seen.values()) // 8), seen


@given(st.data())
def test_reading_back_is_stable(data: st.DataObject) -> None:
    """unified -> wire -> unified -> wire -> unified: the second reading is the first."""
    name = data.draw(st.sampled_from(READERS))
    p = module(name)
    try:
        wire = _send(p, data.draw(s.conversations(s.TOOL_NAMES)))
    except LlmkitError:
        return
    once = _read(p, wire)
    assert _read(p, _send(p, once)) == once
