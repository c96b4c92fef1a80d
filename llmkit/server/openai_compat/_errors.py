"""Errors in OpenAI's envelope `{"error": {"message", "type", "param", "code"}}`."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmkit.errors import ApiError, UnknownModel
from llmkit.registry import Registry
from llmkit.server._errors import Rejected, error_info, http_status


class BadParam(Rejected):
    """A 400 naming the request field at fault (OpenAI's `param`)."""

    def __init__(self, param: str, message: str, code: str = "invalid_value") -> None:
        super().__init__(400, code, message)
        self.param = param


# ---- errors and models --------------------------------------------------------------

_ERROR_TYPES: Mapping[int, str] = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}


def error_status(e: Exception) -> int:
    """A vendor's status passes through unchanged (a 529 stays a 529); an
    unknown model is OpenAI's 404; the rest as the server maps them."""
    if isinstance(e, ApiError) and e.status is not None:
        return e.status
    if isinstance(e, UnknownModel):
        return 404
    return http_status(e)


def error_type(status: int) -> str:
    if status >= 500:
        return "api_error"
    return _ERROR_TYPES.get(status, "invalid_request_error")


def envelope(status: int, message: str, code: str | None, param: str | None = None) -> bytes:
    """OpenAI's error envelope."""
    info = {"message": message, "type": error_type(status), "param": param, "code": code}
    return _enc.encode({"error": info})


def error_body(e: Exception, reg: Registry) -> tuple[int, bytes]:
    """(HTTP status, OpenAI error JSON) for any exception, key values redacted."""
    status, info = error_status(e), error_info(e, reg)
    code = info.vendor_type or ("model_not_found" if status == 404 else info.type)
    return status, envelope(status, info.message, code, getattr(e, "param", None))


def error_frame(e: Exception, reg: Registry) -> bytes:
    """A failure after the stream began: one `data: {"error": ...}` frame (the
    SDK raises on it); no `[DONE]` follows."""
    return b"data: " + error_body(e, reg)[1] + b"\n\n"


_enc = msgspec.json.Encoder()
