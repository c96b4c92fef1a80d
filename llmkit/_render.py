"""Printing a stream for a person: what `llmkit chat` and `llmkit demo` show.
Its own module so that the CLI and the demo both use it without importing
each other."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

import msgspec

from llmkit.types import (
    Done,
    StreamEvent,
    TextDelta,
    TextStart,
    ThinkingDelta,
    ThinkingEnd,
    ThinkingStart,
    ToolCallEnd,
)

if TYPE_CHECKING:
    from llmkit.types import Response, Usage

_encode = msgspec.json.Encoder().encode


class Style(msgspec.Struct, frozen=True):
    """ANSI styling, empty when the output is not a terminal."""

    dim: str = ""
    bold: str = ""
    cyan: str = ""
    reset: str = ""


def style_for(out: TextIO) -> Style:
    if out.isatty():
        return Style(dim="\033[2m", bold="\033[1m", cyan="\033[36m", reset="\033[0m")
    return Style()


def render(events: Iterable[StreamEvent], out: TextIO, st: Style) -> Response | None:
    """Print a stream as a person wants to read it: thinking dimmed until its
    block ends, tool calls on their own lines, text as it arrives. Returns the
    final Response."""
    mode = ""  # what the cursor is in the middle of: "", "text", "thinking"
    for ev in events:
        if isinstance(ev, (TextDelta, ThinkingDelta)):
            out.write(ev.text)
        elif isinstance(ev, ThinkingStart):
            out.write(f"{chr(10) if mode else ''}{st.dim}[thinking] ")
            mode = "thinking"
        elif isinstance(ev, ThinkingEnd):
            out.write(f"{st.reset}\n")
            mode = ""
        elif isinstance(ev, TextStart):  # text blocks in a row read as one (citations)
            mode = "text"
        elif isinstance(ev, ToolCallEnd):
            args = _encode(ev.call.arguments).decode() if ev.call.ok else ev.call.raw_arguments
            out.write(f"{st.reset}{chr(10) if mode else ''}{st.cyan}[tool call] {ev.call.name}"
                      f"({args}){st.reset}\n")  # fmt: skip
            mode = ""
        elif isinstance(ev, Done):
            out.write(f"{st.reset}\n" if mode else "")
            out.flush()
            return ev.response
        out.flush()
    return None


def usage_line(resp: Response) -> str:
    u: Usage = resp.usage
    extra = [
        f"{name} {n}"
        for name, n in (
            ("cache read", u.cache_read_tokens),
            ("cache write", u.cache_write_tokens),
            ("reasoning", u.reasoning_tokens),
        )
        if n
    ]
    more = f" ({', '.join(extra)})" if extra else ""
    raw = f" [{resp.finish.raw}]" if resp.finish.raw else ""
    cost = resp.cost
    price = "" if cost is None else f"; {dollars(cost.total)}"
    return (
        f"{resp.provider}/{resp.model}: {u.input_tokens} in, {u.output_tokens} out{more}; "
        f"finish: {resp.finish.reason}{raw}{price}"
    )


def dollars(amount: Decimal) -> str:
    """`$0.004215`: six decimals, enough for one short answer."""
    return f"${amount:.6f}"
