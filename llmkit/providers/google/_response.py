"""Non-streamed answers: a `generateContent` body is one chunk of the stream
holding every part, so its Response is the stream fold (`_stream`) over that
one chunk (https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse)."""

from __future__ import annotations

from llmkit.providers._common import decode
from llmkit.providers.google import _errors
from llmkit.providers.google import _wire as w
from llmkit.providers.google._history import NAME
from llmkit.providers.google._stream import State, _fold_fast, _map_finish, _response, fold
from llmkit.types import Finish, Response


def parse_response(body: bytes) -> Response:
    """The Response for a `generateContent` body."""
    folded = _fold_fast(State(), body)
    if folded is None:
        c = decode(w.CHUNK, body, NAME)
        if c.error is not None:
            raise _errors.from_error(c.error, c.error.code, body.decode("utf-8", "replace"))
        folded = fold(State(), c)
    s, _ = folded
    return _response(s, _map_finish(s) or Finish(reason="other"))
