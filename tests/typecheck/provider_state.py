"""Checked by mypy in `test_provider_state.py`, never run: a module is a
`Provider[S]` only when its whole fold agrees on `S`."""

from llmkit.protocols import Provider
from tests import toy_wire
from tests.typecheck import wrong_state

good: Provider[toy_wire.State] = toy_wire
bad: Provider[wrong_state.State] = wrong_state  # error: step takes an Other
