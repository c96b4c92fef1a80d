"""The OpenAI Chat Completions dialect of the gateway, as pure functions.

The reverse of `llmkit.providers.openai`: an OpenAI-shaped request body
becomes llmkit messages, tools and options (`parse_request`); an llmkit
`Response` becomes a `chat.completion` body (`completion_body`); llmkit stream
events become `chat.completion.chunk` frames through a fold (`start`, `step`)
ending in `data: [DONE]`; any error becomes OpenAI's envelope
`{"error": {"message", "type", "param", "code"}}` (`error_body`).

Chunks follow what the openai SDK's `accumulate_delta` expects
(openai-python `lib/streaming/chat/_completions.py`): it concatenates
repeated strings, so `role`, and a tool call's `id`,
`type` and `function.name`, are sent once; every tool-call fragment carries
its call's `index` (0, 1, ... in the order calls start). No I/O, clock or
randomness here: ids and timestamps come from the caller.

Continuity: Claude's signed thinking (and other vendors' opaque reasoning) must
go back with the turn's tool calls (Anthropic refuses a tool loop with thinking
on whose last assistant turn starts without it), but Chat Completions has no
field for it. It rides in the first tool call's id, which every client echoes
(`call_x.lk1.<base64url(zlib(msgpack(parts)))>`), and is restored from there;
a Gemini call's own thought signature rides in that call's id. In a stream
that has shown thinking, tool calls are therefore sent whole at the end, once
the signatures are known; with `whole_calls` (Gemini), each at its own end.
"""

from llmkit.server.openai_compat._answer import (
    DONE,
    ChunkState,
    completion_body,
    model_body,
    models_body,
    start,
    step,
)
from llmkit.server.openai_compat._carry import carry_id
from llmkit.server.openai_compat._errors import (
    BadParam,
    envelope,
    error_body,
    error_frame,
    error_status,
    error_type,
)
from llmkit.server.openai_compat._request import ChatCompletionsCall, parse_request

__all__ = [
    "DONE",
    "BadParam",
    "ChatCompletionsCall",
    "ChunkState",
    "carry_id",
    "completion_body",
    "envelope",
    "error_body",
    "error_frame",
    "error_status",
    "error_type",
    "model_body",
    "models_body",
    "parse_request",
    "start",
    "step",
]
