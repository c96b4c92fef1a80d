"""Every history is checked before sending: each tool call answered once before
the next assistant turn, each result paired with a call."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.messages import InvalidMessages, check_history
from llmkit.types import Message, Part, Text, ToolCall, ToolResult


@st.composite
def answered_histories(draw: st.DrawFn) -> list[Message]:
    """User, then turns of an assistant's calls and their results: all of
    them, in any order, in one or several messages of role tool or user."""
    out = [Message(role="user", content=[Text(text="go")])]
    n = 0
    for _ in range(draw(st.integers(1, 4))):
        ids = [f"call_{n + k}" for k in range(draw(st.integers(0, 3)))]
        n += len(ids)
        calls: list[Part] = [ToolCall(id=i, name="f") for i in ids]
        out.append(Message(role="assistant", content=[Text(text="hm"), *calls]))
        results = draw(st.permutations([ToolResult(tool_call_id=i) for i in ids]))
        cut = draw(st.integers(0, len(results)))
        for chunk in (results[:cut], results[cut:]):
            if chunk:
                out.append(Message(role=draw(st.sampled_from(["tool", "user"])),
                                   content=list(chunk)))  # fmt: skip
    return out


def _results(history: list[Message]) -> list[tuple[int, int]]:
    return [(i, k) for i, m in enumerate(history) for k, p in enumerate(m.content)
            if isinstance(p, ToolResult)]  # fmt: skip


def _without(history: list[Message], i: int, k: int) -> list[Message]:
    m = history[i]
    return [*history[:i], Message(role=m.role, content=m.content[:k] + m.content[k + 1 :]),
            *history[i + 1 :]]  # fmt: skip


@given(answered_histories())
def test_answered_histories_pass(history: list[Message]) -> None:
    check_history(history)


@given(answered_histories(), st.data())
def test_a_missing_duplicated_or_stray_result_is_refused(
    history: list[Message], data: st.DataObject
) -> None:
    spots = _results(history)
    if spots:
        i, k = data.draw(st.sampled_from(spots))
        with pytest.raises(InvalidMessages, match="has no result"):
            check_history(_without(history, i, k))
        with pytest.raises(InvalidMessages, match="answered twice"):
            check_history([*history, history[i]])
    stray = Message(role="tool", content=[ToolResult(tool_call_id="nobody")])
    with pytest.raises(InvalidMessages, match="answers no call"):
        check_history([*history, stray])
