"""Provider modules: one wire format each, pure functions only.

Each module satisfies `llmkit.protocols.Provider[S]` for its own fold state
`S`; the assignments below make mypy check that structurally (they never run),
`step` and `finish` taking exactly the state `start` makes.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmkit.protocols import Provider
    from llmkit.providers import anthropic, google, openai, responses, xai, xai_responses

    _anthropic: Provider[anthropic.State] = anthropic
    _google: Provider[google.State] = google
    _openai: Provider[openai.State] = openai
    _xai: Provider[openai.State] = xai
    _responses: Provider[responses.State] = responses
    _xai_responses: Provider[responses.State] = xai_responses
