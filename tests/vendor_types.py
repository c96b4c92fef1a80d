"""The vendors' own published request types, as strict validators (test-only).

- Anthropic and OpenAI: the official SDKs' request TypedDicts
  (`MessageCreateParams*`, `CompletionCreateParams*`, `ResponseCreateParams*`).
  As published they are lenient in three ways that would hide a 400, so each
  TypedDict graph is rewritten once into a strict copy: every TypedDict gets
  `extra="forbid"` (a stray key is a 400 on these APIs) and `strict=True`;
  `Iterable[X]` becomes `list[X]` (pydantic validates iterables lazily, i.e.
  not at all unless consumed); and the SDK's response *models* that the param
  unions also admit (`TextBlock`, ...: BaseModels that allow extra keys) are
  dropped from those unions, leaving the param types.
- Gemini: google-genai's pydantic types (`Content`, `Tool`, `ToolConfig`,
  `GenerationConfig`, ...; extra keys forbidden, camelCase aliases, bytes as
  base64) under the top-level keys of the REST `GenerateContentRequest`.
  Chosen over google-ai-generativelanguage's v1beta proto (which knows
  `responseJsonSchema`/`parametersJsonSchema`) because that proto's
  `ThinkingConfig` has no `thinkingLevel`, which Gemini 3+ require. The genai
  types also cover Vertex-only fields, so they are a superset: what they
  reject is wrong, Vertex-only keys are caught by the rules instead.
  Their lenient enums (unknown value -> warning) are made errors here.

Nothing here is imported by llmkit.
"""

from __future__ import annotations

import collections.abc
import json
import types
import typing
import warnings
from functools import cache
from typing import Any, Optional

import pydantic
import typing_extensions
from anthropic.types import message_create_params as anthropic_params
from google.genai import _common as genai_common
from google.genai import types as genai
from openai.types.chat import completion_create_params as chat_params
from openai.types.responses import response_create_params as responses_params
from pydantic import ConfigDict, TypeAdapter

_STRICT = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)  # IO: file uploads
_SEQUENCES = {collections.abc.Iterable, collections.abc.Sequence, list, typing.List}  # noqa: UP006
_made: dict[Any, Any] = {}


def _strict_typeddict(td: Any) -> Any:
    if td in _made:
        return _made[td]
    hints = typing.get_type_hints(td, include_extras=True)
    required = td.__required_keys__
    fields: dict[str, Any] = {}
    new = typing_extensions.TypedDict(td.__name__, fields, total=False)  # type: ignore[operator]
    new.__pydantic_config__ = _STRICT  # type: ignore[attr-defined]
    _made[td] = new
    for key, hint in hints.items():
        inner = strict(_unrequired(hint))
        fields[key] = typing_extensions.Required[inner] if key in required else inner
    new.__annotations__.update(fields)
    new.__required_keys__ = frozenset(required)
    new.__optional_keys__ = frozenset(set(hints) - set(required))
    return new


def _unrequired(hint: Any) -> Any:
    while typing_extensions.get_origin(hint) in (typing_extensions.Required,
                                                 typing_extensions.NotRequired):  # fmt: skip
        hint = typing_extensions.get_args(hint)[0]
    return hint


def _is_model(tp: Any) -> bool:
    """An SDK response model, or a union (maybe Annotated) made only of them."""
    if isinstance(tp, type):
        return issubclass(tp, pydantic.BaseModel)
    origin = typing_extensions.get_origin(tp)
    args = typing_extensions.get_args(tp)
    if origin is typing_extensions.Annotated:
        return _is_model(args[0])
    return origin in (typing.Union, types.UnionType) and all(_is_model(a) for a in args)


def strict(tp: Any) -> Any:
    """The strict copy of an SDK type annotation (see the module docstring)."""
    if typing_extensions.is_typeddict(tp):
        return _strict_typeddict(tp)
    origin = typing_extensions.get_origin(tp)
    args = typing_extensions.get_args(tp)
    if origin is typing_extensions.Annotated:
        return typing_extensions.Annotated[(strict(args[0]), *tp.__metadata__)]
    if origin in (typing.Union, types.UnionType):
        kept = [strict(a) for a in args if not _is_model(a)]
        return typing.Union[tuple(kept)] if kept else tp  # noqa: UP007
    if origin in _SEQUENCES or getattr(origin, "__name__", "") == "SequenceNotStr":
        return list[strict(args[0])] if args else list  # type: ignore[misc]
    if origin in (dict, collections.abc.Mapping, typing.Dict):  # noqa: UP006
        return dict[args[0], strict(args[1])] if args else dict  # type: ignore[misc]
    return tp


@cache
def sdk_adapter(td: Any) -> TypeAdapter[Any]:
    return TypeAdapter(strict(td))


class GeminiRequest(genai_common.BaseModel):
    """`GenerateContentRequest`'s body keys (REST v1beta), typed by google-genai."""

    contents: list[genai.Content]
    system_instruction: Optional[genai.Content] = None  # noqa: UP045 - pydantic on 3.10
    tools: Optional[list[genai.Tool]] = None  # noqa: UP045
    tool_config: Optional[genai.ToolConfig] = None  # noqa: UP045
    safety_settings: Optional[list[genai.SafetySetting]] = None  # noqa: UP045
    generation_config: Optional[genai.GenerationConfig] = None  # noqa: UP045
    cached_content: Optional[str] = None  # noqa: UP045


class _Sampling2023(typing_extensions.TypedDict, total=False):
    """What `anthropic-version: 2023-06-01` still takes and the SDK's types
    (written for 2026-10-21, which removed them) no longer list
    (https://platform.claude.com/docs/en/api/versioning)."""

    temperature: float
    top_p: float
    top_k: int


@cache
def _anthropic_adapter(stream: bool, version: str) -> TypeAdapter[Any]:
    td = strict(
        anthropic_params.MessageCreateParamsStreaming
        if stream
        else anthropic_params.MessageCreateParamsNonStreaming
    )
    if version == "2023-06-01":
        hints = {**td.__annotations__, **_Sampling2023.__annotations__}
        both = typing_extensions.TypedDict(td.__name__, hints, total=False)  # type: ignore[operator]
        both.__pydantic_config__ = _STRICT  # type: ignore[attr-defined]
        both.__required_keys__ = td.__required_keys__
        both.__optional_keys__ = td.__optional_keys__ | _Sampling2023.__optional_keys__
        td = both
    return TypeAdapter(td)


def validate_anthropic(body: bytes, version: str) -> None:
    """`version` is the request's `anthropic-version` header."""
    data = json.loads(body)
    _anthropic_adapter(bool(data.get("stream")), version).validate_python(data)


def validate_chat(body: bytes) -> None:
    td = (
        chat_params.CompletionCreateParamsStreaming
        if json.loads(body).get("stream")
        else chat_params.CompletionCreateParamsNonStreaming
    )
    sdk_adapter(td).validate_python(json.loads(body))


def validate_responses(body: bytes) -> None:
    td = (
        responses_params.ResponseCreateParamsStreaming
        if json.loads(body).get("stream")
        else responses_params.ResponseCreateParamsNonStreaming
    )
    sdk_adapter(td).validate_python(json.loads(body))


def validate_gemini(body: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # an unknown enum value
        GeminiRequest.model_validate_json(body)
