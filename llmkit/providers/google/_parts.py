"""The part converters' old home: they live in `_history` (one Gemini part as
one llmkit part, both ways), beside the history that uses them. The stream
fold still imports them from here (it is edited on another branch)."""

from llmkit.providers.google._history import (
    NAME,
    SYNTH,
    from_wire,
    result_from_wire,
    result_to_wire,
    synth_id,
    text_from_wire,
    tool_result,
    whole_floats,
)

__all__ = [
    "NAME",
    "SYNTH",
    "from_wire",
    "result_from_wire",
    "result_to_wire",
    "synth_id",
    "text_from_wire",
    "tool_result",
    "whole_floats",
]
