"""JSON Schema dialects: the subset each vendor's constrained decoding takes.

msgspec (and users) write standard JSON Schema; each vendor accepts only part
of it (each vendor's structured-output page, cited per dialect below). One
pure function per dialect returns a new schema and never mutates its input:

- `openai_strict`: OpenAI `strict: true` (response formats, strict tools) and
  xAI response formats. Every object closed (`additionalProperties: false`)
  with every property required; an optional property becomes a union with
  null (decoding maps that null back to the field's default), `default` goes.
  `openai_response_schema` adds the fallback for response formats: a schema
  it cannot express goes as given with `strict: false`.
- `xai_tool`: xAI tool parameters, always constrained by xAI; it rejects
  `additionalProperties: false` on objects with properties, and its objects
  are closed anyway, so that key goes.
- `anthropic_strict`: Claude `output_config.format` and `strict` tools, as the
  Anthropic SDK's `transform_schema` does: objects closed, `required` as
  given, `oneOf` -> `anyOf`.
- `gemini`: `responseJsonSchema`/`parametersJsonSchema`: `const` -> a one-value
  `enum`, enum values other than strings and numbers as `anyOf` branches, a
  `$ref` with sibling keywords wrapped in `anyOf`.

A keyword a dialect does not take is moved into `description` as
`{key: value}` (what Anthropic's SDK does): the model still reads it, and
llmkit's decoding still enforces it for a `response_format` type or a tool's
parameters. That makes the schema looser, never narrower. What a dialect
cannot express without losing values the schema accepts (a free-form dict
or a required key without a schema under a closed-object rule, tuples, a
multi-branch `allOf`, a keyword given both beside and inside an `allOf` or
`$ref`, recursion on Claude, `{}` = anything) raises `NotStrict` before any I/O; callers then send
the schema unchanged without strict mode, or refuse (see each provider).
"""

from llmkit.errors import NotStrict as NotStrict  # defined in errors; kept importable here
from llmkit.providers._schema._anthropic import anthropic_strict
from llmkit.providers._schema._gemini import gemini
from llmkit.providers._schema._openai import openai_response_schema, openai_strict, xai_tool

__all__ = [
    "NotStrict",
    "anthropic_strict",
    "gemini",
    "openai_response_schema",
    "openai_strict",
    "xai_tool",
]
