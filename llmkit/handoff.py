"""The cross-provider policy's old home: it lives beside the providers that
apply it, in `llmkit.providers.handoff`; this path keeps working."""

from llmkit.providers.handoff import carry

__all__ = ["carry"]
