"""The model catalog: what each OpenAI and xAI model accepts on Responses.

Facts per model-id prefix, longest prefix wins
(https://platform.openai.com/docs/guides/reasoning,
https://docs.x.ai/developers/model-capabilities/text/reasoning; Nov 2026).
Only facts with a vendor error text or several independent sources are
encoded; for a model not covered (a newer id) `efforts` is None and the
vendor decides. `check` turns these facts into `Unsupported` before
any I/O, naming the model and what it accepts.
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.errors import Unsupported
from llmkit.providers._common import longest_prefix
from llmkit.providers.responses._wire import Dialect, Facts
from llmkit.types import ChatRequest, Effort, ModelInfo

_ALL: frozenset[Effort] = frozenset({"none", "low", "medium", "high", "xhigh", "max"})
_NO_NONE: frozenset[Effort] = _ALL - {"none"}
_CLASSIC: frozenset[Effort] = frozenset({"low", "medium", "high"})
_OUT = 128_000


def _reasoning(efforts: frozenset[Effort] | None, out: int | None = _OUT) -> Facts:
    return Facts(efforts=efforts, sampling="effort_none", max_output=out)


OPENAI: Mapping[str, Facts] = dict(
    {
        "gpt-4o": Facts(efforts=frozenset(), max_output=16_384, encrypted=False),
        "gpt-4.1": Facts(efforts=frozenset(), max_output=32_768, encrypted=False),
        "chatgpt-": Facts(efforts=frozenset(), encrypted=False),
        "o1": _reasoning(_CLASSIC, 100_000),
        "o3": _reasoning(_CLASSIC, 100_000),
        "o4": _reasoning(_CLASSIC, 100_000),
        "gpt-5": _reasoning(_CLASSIC | {"minimal"}),  # gpt-5, -mini, -nano (Aug 2025)
        "gpt-5.": _reasoning(None),  # 5.1 ... 5.5: sets differ by third-party report
        "gpt-5.6": _reasoning(_ALL),  # the vendor's own 400 lists these
        "gpt-6": _reasoning(None),
        "gpt-6-sol": _reasoning(_ALL),
        "gpt-6-luna": _reasoning(_ALL),
        "gpt-6-astra": _reasoning(_NO_NONE),
        "gpt-6.1-sol": _reasoning(_NO_NONE),
        "gpt-6.1-terra": _reasoning(_ALL),
        "gpt-6.2-astra": _reasoning(_NO_NONE),
    }
)

# xAI's reasoning models take temperature/top_p; stop and penalties are not on
# Responses at all (see `_request`).
XAI: Mapping[str, Facts] = dict(
    {
        "grok-3-mini": Facts(efforts=frozenset({"low", "high"})),
        "grok-4": Facts(efforts=frozenset()),  # grok-4 itself
        "grok-4-": Facts(efforts=frozenset()),  # grok-4-fast-*, grok-4-1-fast-*
        "grok-4.": Facts(efforts=None),  # newer, not listed below
        "grok-4.3": Facts(efforts=frozenset({"none", "low", "medium", "high"})),
        "grok-4.5": Facts(efforts=_CLASSIC),
        "grok-4.6": Facts(efforts=_CLASSIC | {"xhigh"}),
        "grok-4.7": Facts(efforts=_CLASSIC | {"xhigh"}),
        "grok-4.20": Facts(efforts=frozenset()),  # every value rejected, `none` included
        "grok-4.20-multi-agent": Facts(efforts=_CLASSIC | {"xhigh"}),
        "grok-code-fast": Facts(efforts=frozenset()),
    }
)

_NOT_REASONING_SUFFIX = "-chat-latest"
_ANYTHING = Facts()


def facts(model: str, d: Dialect) -> Facts:
    if model.endswith(_NOT_REASONING_SUFFIX):
        return Facts(efforts=frozenset(), encrypted=False)
    found: Facts = longest_prefix(d.catalog, model, _ANYTHING)
    return found


def _listed(efforts: frozenset[Effort]) -> str:
    order = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
    return ", ".join(e for e in order if e in efforts) or "no reasoning effort"


def check(req: ChatRequest, d: Dialect) -> None:
    """Raise Unsupported for what this model would reject."""
    o, model = req.options, req.model
    f = facts(model, d)
    effort = o.reasoning.effort if o.reasoning is not None else None
    if o.reasoning is not None and effort is None and o.reasoning.budget is not None:
        raise Unsupported(
            "a reasoning token budget on the Responses API (set an effort)", provider=d.provider
        )
    if effort is not None and f.efforts is not None and effort not in f.efforts:
        raise Unsupported(
            f"reasoning effort {effort!r} on {model} (it takes: {_listed(f.efforts)})",
            provider=d.provider,
        )
    sampling = [k for k in ("temperature", "top_p") if getattr(o, k) is not None]
    if sampling and (f.sampling == "never" or (f.sampling == "effort_none" and effort != "none")):
        takes_none = f.efforts is None or "none" in f.efforts
        when = "only with reasoning effort 'none'" if takes_none else "never"
        raise Unsupported(
            f"{'/'.join(sampling)} on reasoning model {model} (it takes them {when})",
            provider=d.provider,
        )
    if o.max_tokens is not None and f.max_output is not None and o.max_tokens > f.max_output:
        raise Unsupported(
            f"max_tokens={o.max_tokens} on {model} (it writes at most {f.max_output})",
            provider=d.provider,
        )


TEXT = ["text", "images", "tools", "json_schema", "streaming"]
REASONING = [*TEXT, "reasoning"]


def catalog(d: Dialect, rows: tuple[tuple[str, int, str, list[str]], ...]) -> tuple[ModelInfo, ...]:
    """ModelInfo rows (id, context window, name, capabilities), each with the
    output limit of its facts above."""
    return tuple(
        ModelInfo(
            id=id,
            provider=d.provider,
            name=name,
            context_window=context,
            max_output=facts(id, d).max_output,
            capabilities=caps,
        )
        for id, context, name, caps in rows
    )
