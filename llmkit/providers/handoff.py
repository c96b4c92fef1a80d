"""What of one vendor's words may be sent to another: the cross-provider policy.

A conversation is one list of unified messages and any turn may go to any
vendor, but some parts only mean something to the vendor that made them:

- Thinking carries a signature (Anthropic, Gemini) or redacted data that only
  its producer can verify. Sent to its producer it goes back as it came. Sent
  anywhere else it is never passed off as that vendor's own thinking: by
  `Options.foreign_thinking` it is dropped ("drop", the default: reasoning is
  scratch work, and other vendors' models read it as if they had said it) or
  becomes plain text ("text", for callers who want the reasoning kept in view).
  Redacted thinking has no readable text, so elsewhere it is always dropped.
- Signatures riding on text and tool calls (Gemini's thought signatures) and
  citation objects on text (Anthropic's) go back only to their producer;
  elsewhere the part is sent as plain text or a plain call.
- `Raw` blocks (server tool results, citations, parts llmkit does not model)
  are replayed to their producer and dropped elsewhere.
- Tool-call ids cross as they are, except where the receiving vendor refuses
  them: its provider then sends a deterministic stand-in for the call and its
  result alike (`llmkit.providers._ids.fit_id`), so pairing survives.

Every provider runs each outgoing part through `carry` before mapping it to
its wire format, so this module is the one place the policy lives.
"""

from __future__ import annotations

from msgspec.structs import replace

from llmkit.types import ForeignThinking, Part, Raw, Text, Thinking, ToolCall


def carry(part: Part, to: str, foreign_thinking: ForeignThinking = "drop") -> Part | None:
    """`part` as it may be sent to vendor `to`, or None when it must not be."""
    match part:
        case Thinking(provider=producer) if producer == to:
            return part
        case Thinking(text=text):
            return Text(text=text) if foreign_thinking == "text" and text else None
        case Raw(provider=producer):
            return part if producer == to else None
        case Text(signature=sig, citations=cites, provider=producer) if producer != to and (
            sig is not None or cites is not None
        ):
            return Text(text=part.text)
        case ToolCall(signature=sig, provider=producer) if sig is not None and producer != to:
            return replace(part, signature=None, provider=None)
        case _:
            return part
