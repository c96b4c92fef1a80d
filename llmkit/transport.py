"""The one layer that touches the network (httpx, anyio): its public face.

It turns a provider's HttpRequest into an httpx request, adds the key last,
retries what is safe to retry, maps non-2xx answers through the provider's
`parse_error`, and drives the provider's streaming fold over the events of
the body's framing (SSE, `llmkit._sse`, unless a route says otherwise).

The work is done in private modules, one job each, every sync function with
its async twin right below it; the names stay importable from here:

- `llmkit._call`: the call and its settings (`Call`, `RetryPolicy`, `Limits`,
  `timeout_from`);
- `llmkit._sending`: sending with retries (`send`, `asend`), over
  `llmkit._failures` (errors, retry-after, when to retry, no key in errors),
  `llmkit._deadlines` and `llmkit._bodies` (bounded body reading);
- `llmkit._whole_answers`: `chat`, `list_models` and `fetch`, answered whole;
- `llmkit._streaming`: `stream`, `astream`, the fold over a framed body;
- `llmkit._clients`: the default clients and `using_transport`.
"""

from __future__ import annotations

from llmkit._call import Call as Call
from llmkit._call import Limits as Limits
from llmkit._call import RetryPolicy as RetryPolicy
from llmkit._call import _request as _request
from llmkit._call import timeout_from as timeout_from

# The default clients' home is llmkit._clients; these names stay importable here.
from llmkit._clients import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from llmkit._clients import _async_clients as _async_clients
from llmkit._clients import default_async_client as default_async_client
from llmkit._clients import default_client as default_client
from llmkit._clients import loop_local as loop_local
from llmkit._clients import using_transport as using_transport
from llmkit._failures import _delay as _delay
from llmkit._failures import retry_after as retry_after
from llmkit._sending import asend as asend
from llmkit._sending import send as send
from llmkit._streaming import Finish as Finish
from llmkit._streaming import astream as astream
from llmkit._streaming import stream as stream
from llmkit._whole_answers import achat as achat
from llmkit._whole_answers import afetch as afetch
from llmkit._whole_answers import alist_models as alist_models
from llmkit._whole_answers import chat as chat
from llmkit._whole_answers import fetch as fetch
from llmkit._whole_answers import list_models as list_models
