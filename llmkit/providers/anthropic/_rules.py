"""Request rules the Messages API enforces with a 400, checked or repaired
before any I/O (https://platform.claude.com/docs/en/api/errors#common-validation-errors):
blank text, cache breakpoints, sampling.
Pure functions over the blocks `_request` builds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmkit.errors import Unsupported
from llmkit.types import ModelInfo, Options

from ._models import prefill_for, sampling_for
from ._wire import NAME

EPHEMERAL = {"type": "ephemeral"}
# Blocks that may not carry `cache_control`: 400 "thinking.cache_control: Extra
# inputs are not permitted" (https://platform.claude.com/docs/en/build-with-claude/prompt-caching#what-can-be-cached).
# Empty text may not either; it is
# never sent. Every other block may (blocks llmkit does not know included: the
# API itself sends them back with breakpoints).
_UNCACHEABLE = frozenset({"thinking", "redacted_thinking"})
# 400 "A maximum of 4 blocks with cache_control may be provided. Found 5." (8.1)
MAX_BREAKPOINTS = 4
SAMPLING_KEYS = ("temperature", "top_p", "top_k")
_DEFAULT_TEMPERATURE = 1.0
_THINKING_TOP_P = 0.95


def _unsupported(feature: str) -> Unsupported:
    return Unsupported(feature, provider=NAME)


def blank(text: str) -> bool:
    """Text the API refuses as a block: "" is `text content blocks must be
    non-empty`, whitespace only is `... must contain non-whitespace text`
    (https://platform.claude.com/docs/en/api/errors#common-validation-errors).
    Such text carries nothing, so it is not sent."""
    return not text.strip()


# ---- cache breakpoints --------------------------------------------------------


def cache_last(runs: Sequence[list[dict[str, Any]]]) -> None:
    """Put a breakpoint on the last block of `runs` (latest run last) that can
    carry one; one that already has its own `cache_control` keeps it."""
    for blocks in reversed(runs):
        for i in reversed(range(len(blocks))):
            if blocks[i].get("type") not in _UNCACHEABLE:
                if "cache_control" not in blocks[i]:
                    blocks[i] = {**blocks[i], "cache_control": dict(EPHEMERAL)}
                return


def keep_last_breakpoints(runs: Sequence[list[dict[str, Any]]]) -> None:
    """At most `MAX_BREAKPOINTS` blocks may carry `cache_control`, counted over
    tools, system and messages (`runs`, in that prefix order). The last ones
    are kept and earlier ones dropped: each breakpoint caches the whole prefix
    before it, and a lookup from a later one also finds a prefix cached at an
    earlier block, so the latest cover the most."""
    marked = [(blocks, i) for blocks in runs for i, b in enumerate(blocks) if "cache_control" in b]
    for blocks, i in marked[: max(0, len(marked) - MAX_BREAKPOINTS)]:
        blocks[i] = {k: v for k, v in blocks[i].items() if k != "cache_control"}


# ---- sampling -----------------------------------------------------------------


def sampling(o: Options, model: str, info: ModelInfo | None, thinking: bool) -> dict[str, Any]:
    """`temperature` / `top_p` from the options, and any of `temperature`,
    `top_p`, `top_k` in `extra` (which wins), checked against what the model
    takes (`_models.SAMPLING`; the catalog entry's own facts first) and what
    thinking allows. A temperature at its default, 1.0, is left out where
    sending it would be refused: without it the API samples the same way."""
    asked = {k: v for k, v in (("temperature", o.temperature), ("top_p", o.top_p)) if v is not None}
    asked.update({k: o.extra[k] for k in SAMPLING_KEYS if k in o.extra})
    s = info.sampling if info is not None and info.sampling is not None else sampling_for(model)
    exclusive = "top_p" in asked and not s.temperature_with_top_p
    if asked.get("temperature") == _DEFAULT_TEMPERATURE and (
        thinking or exclusive or "temperature" not in s.accepts
    ):
        del asked["temperature"]
    refused = [k for k in asked if k not in s.accepts]
    if refused:
        takes = ", ".join(s.accepts) if s.accepts else "no sampling parameters"
        raise _unsupported(f"{', '.join(refused)} on {model} (it takes {takes})")
    if exclusive and "temperature" in asked:
        raise _unsupported(
            f"temperature together with top_p on {model} (it takes one or the other)"
        )
    _check_ranges(asked, model)
    if thinking:
        _check_thinking_sampling(asked, model)
    return asked


# Claude's ranges, narrower than other vendors' 0..2 temperature: "temperature:
# Amount of randomness injected into the response. Ranges from 0.0 to 1.0";
# top_p 0..1; top_k a positive count (Messages API reference, create message).
_RANGES = {"temperature": (0.0, 1.0), "top_p": (0.0, 1.0), "top_k": (1, 2**31 - 1)}


def _check_ranges(asked: dict[str, Any], model: str) -> None:
    for key, value in asked.items():
        low, high = _RANGES[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise _unsupported(f"{key} {value!r} on {model} (it takes {low} to {high})")


def check_prefill(messages: Sequence[dict[str, Any]], model: str) -> None:
    """A conversation may end on an assistant turn (a prefill the model goes
    on from) only where the model allows it: from Claude 4.6 on it is a 400
    (https://platform.claude.com/docs/en/api/errors#common-validation-errors; `_models.PREFILL`)."""
    if messages and messages[-1].get("role") == "assistant" and not prefill_for(model):
        raise _unsupported(
            f"a conversation ending with an assistant message (prefill) on {model}; "
            "end it with a user message"
        )


def _check_thinking_sampling(asked: dict[str, Any], model: str) -> None:
    """Thinking "isn't compatible with temperature or top_k modifications",
    and takes top_p only from 0.95 to 1 (Anthropic's extended-thinking docs;
    400 "`temperature` may only be set to 1 when thinking is enabled or in
    adaptive mode", MartialBE/one-hub#529, dotCipher/opencode-claude-bridge#1)."""
    if "temperature" in asked or "top_k" in asked:
        which = "temperature other than 1" if "temperature" in asked else "top_k"
        raise _unsupported(f"{which} while thinking on {model}")
    top_p = asked.get("top_p")
    if isinstance(top_p, int | float) and not _THINKING_TOP_P <= top_p <= 1:
        raise _unsupported(f"top_p {top_p} while thinking on {model} (it takes 0.95 to 1)")
