"""Provider modules: one wire format each, pure functions only.

Each module satisfies `llmkit.protocols.Provider`; the assignments below make
mypy check that structurally (they never run).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmkit.protocols import Provider
    from llmkit.providers import anthropic, google, openai, responses, xai, xai_responses

    _anthropic: Provider = anthropic
    _google: Provider = google
    _openai: Provider = openai
    _xai: Provider = xai
    _responses: Provider = responses
    _xai_responses: Provider = xai_responses
