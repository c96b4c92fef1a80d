"""The old name of `llmkit.providers.google._stream`, kept so imports keep working."""

from llmkit.providers.google._stream import (
    State,
    _map_finish,
    _map_usage,
    finish,
    fold,
    parse_response,
    snapshot,
    start,
    step,
)

__all__ = [
    "State",
    "_map_finish",
    "_map_usage",
    "finish",
    "fold",
    "parse_response",
    "snapshot",
    "start",
    "step",
]
