"""Tool-call ids each vendor accepts: one pure, deterministic mapping.

A history may hold ids made anywhere (another vendor, an OpenAI-compatible
server, the caller), and each vendor refuses some. `fit_id` leaves an id its
vendor accepts untouched and replaces any other with a stand-in that obeys the
rule: the id's safe characters (others become `_`), cut to fit, then `_` and
16 hex digits of its SHA-256. The stand-in depends on the id alone, so a call
and its result map alike wherever they sit in the history and pairing
survives; two different ids differ in their hash, so they cannot meet in one
stand-in (short of a 64-bit collision). Stand-ins only live in request bodies.

The rules (ids are checked in UTF-8 bytes, never fewer than one):
- Anthropic: `tool_use.id` and `tool_result.tool_use_id` must match
  `^[a-zA-Z0-9_-]+$` (400 "String should match pattern"; the `tool_use.id` pattern in
  https://platform.claude.com/docs/en/api/messages), so
  `functions.get_forecast:0` (some compatible servers) or `call_x|fc_y` cannot
  go back as they are. `server_tool_use` ids (`^srvtoolu_[a-zA-Z0-9_]+$`) are
  Anthropic's own and travel only back to Anthropic, inside Raw blocks: never
  mapped.
- OpenAI Chat Completions: `tool_calls[].id` at most 40 characters: 400
  "Invalid 'messages[2].tool_calls[0].id': string too long. Expected a string
  with maximum length 40" (code `string_above_max_length`) [vercel/ai#5171,
  Portkey-AI/gateway#1062, openclaw/openclaw#875]. That `tool_call_id` of a
  tool message has the same limit is [UNCONFIRMED]; it is mapped alike, which
  pairing needs anyway. No character rule is documented.
- xAI and other compatible servers (Chat Completions): no rule documented;
  OpenAI's is applied [UNCONFIRMED]; it changes only ids over 40 bytes, and
  some servers forward to OpenAI (openclaw/openclaw#875 saw the 400 through
  OpenRouter). Mistral's nine-alphanumerics rule is not handled.
- OpenAI Responses (OpenAI, xAI, Azure): `input[].call_id` at most 64
  characters: 400 "string too long. Expected a string with maximum length
  64" [decolua/9router#393, NousResearch/hermes-agent#73538]; no character
  rule is documented. Applied to xAI's Responses alike [UNCONFIRMED].
- Gemini: no rule documented (it echoes client ids; the corpus has a 200 for
  the id "1"), so ids go as they are.
"""

from __future__ import annotations

import hashlib
import re

import msgspec

_HASH_DIGITS = 16  # 64 bits of SHA-256: no collision in any real history
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")  # every vendor accepts these characters


class IdRule(msgspec.Struct, frozen=True, kw_only=True):
    """What a vendor accepts as a tool-call id: `pattern` (a regex the whole id
    must match; None: any characters) and `max_bytes` (None: any length)."""

    pattern: str | None = None
    max_bytes: int | None = None


ANTHROPIC = IdRule(pattern=r"[a-zA-Z0-9_-]+")
CHAT_COMPLETIONS = IdRule(max_bytes=40)
RESPONSES = IdRule(max_bytes=64)


def _utf8(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")  # total: lone surrogates too


def obeys(id: str, rule: IdRule) -> bool:
    """Whether the vendor with `rule` accepts `id` as it is."""
    if not id or (rule.max_bytes is not None and len(_utf8(id)) > rule.max_bytes):
        return False
    return rule.pattern is None or re.fullmatch(rule.pattern, id) is not None


def fit_id(id: str, rule: IdRule) -> str:
    """`id` when `rule` accepts it, else its stand-in (see the module docstring):
    deterministic, and made of `[a-zA-Z0-9_-]` only."""
    if obeys(id, rule):
        return id
    digest = hashlib.sha256(_utf8(id)).hexdigest()[:_HASH_DIGITS]
    stem = _UNSAFE.sub("_", id)
    if rule.max_bytes is not None:
        stem = stem[: max(0, rule.max_bytes - _HASH_DIGITS - 1)]
    return f"{stem}_{digest}" if stem else digest
