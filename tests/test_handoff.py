"""The cross-provider policy, `llmkit.handoff.carry`: table tests and a property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmkit.providers.handoff import carry
from llmkit.types import Image, Part, Raw, Text, Thinking, ToolCall, ToolResult
from tests import strategies as s

SIGNED = Thinking(text="hmm", signature="sig", provider="anthropic")
REDACTED = Thinking(redacted="opaque", provider="anthropic")
GEMINI_TEXT = Text(text="hi", signature="ts", provider="google")
CITED = Text(text="Paris.", citations=[{"type": "char_location"}], provider="anthropic")
XAI_PLAN = Thinking(text="plan", provider="xai")
GEMINI_CALL = ToolCall(id="c", name="f", signature="ts", provider="google")


@pytest.mark.parametrize(
    ("part", "to", "policy", "expected"),
    [
        (SIGNED, "anthropic", "drop", SIGNED),
        (REDACTED, "anthropic", "drop", REDACTED),
        (SIGNED, "google", "drop", None),
        (SIGNED, "google", "text", Text(text="hmm")),
        (REDACTED, "openai", "text", None),  # nothing readable to keep
        (Thinking(text="", provider="xai"), "openai", "text", None),
        (XAI_PLAN, "xai", "drop", XAI_PLAN),
        (Thinking(text="plan"), "xai", "text", Text(text="plan")),  # no producer: foreign
        (GEMINI_TEXT, "google", "drop", GEMINI_TEXT),
        (CITED, "anthropic", "drop", CITED),
        (CITED, "openai", "drop", Text(text="Paris.")),
        (GEMINI_TEXT, "anthropic", "drop", Text(text="hi")),
        (GEMINI_CALL, "openai", "drop", ToolCall(id="c", name="f")),
        (GEMINI_CALL, "google", "drop", GEMINI_CALL),
        (Raw(provider="anthropic", data={"type": "x"}), "anthropic", "drop",
         Raw(provider="anthropic", data={"type": "x"})),
        (Raw(provider="anthropic", data={"type": "x"}), "google", "text", None),
        (Image(url="https://x/y.png"), "google", "drop", Image(url="https://x/y.png")),
        (ToolResult(tool_call_id="c", content="1"), "xai", "drop",
         ToolResult(tool_call_id="c", content="1")),
    ],
)  # fmt: skip
def test_carry(part: Part, to: str, policy: str, expected: Part | None) -> None:
    assert carry(part, to, policy) == expected  # type: ignore[arg-type]


@given(s.parts, s.PROVIDERS, st.sampled_from(["drop", "text"]))
def test_nothing_signed_crosses_vendors(part: Part, to: str, policy: str) -> None:
    got = carry(part, to, policy)  # type: ignore[arg-type]
    if got is None:
        return
    own = getattr(part, "provider", None) == to
    if own or not isinstance(part, (Thinking, Raw, Text, ToolCall)):
        assert got == part  # a vendor's own words, and plain content, go as they are
    else:
        assert getattr(got, "signature", None) is None
        assert getattr(got, "citations", None) is None
        assert not isinstance(got, (Thinking, Raw))


def test_the_old_import_path_keeps_working() -> None:
    import llmkit.handoff

    assert llmkit.handoff.carry is carry
