"""Cloud routes: the same wire formats reached through a cloud account.

Each module here is a `RouteShape` (see `llmkit.protocols`): pure functions
that say where a route's requests go (from the cloud's usual env vars) and
how its requests differ from the wire's own (the model id in the URL, a
version field in the body). Credentials, signers and stream framings are
named by the route's `Endpoint` (see `llmkit.registry`) and added by the
transport. Nothing here imports a cloud SDK.
"""

from llmkit.routes._google_auth import from_google

__all__ = ["from_google"]
