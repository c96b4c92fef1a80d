"""Hypothesis builders for llmkit's unified types."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from llmkit.types import (
    Document,
    Image,
    Message,
    Part,
    Raw,
    Text,
    Thinking,
    Tool,
    ToolCall,
    ToolResult,
    Usage,
)

PROVIDERS = st.sampled_from(["anthropic", "openai", "xai", "google"])
text = st.text(max_size=40)
ident = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
b64 = st.binary(max_size=24).map(lambda b: __import__("base64").b64encode(b).decode())
opt = st.none() | text

json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10)
json_value: st.SearchStrategy[Any] = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
json_object = st.dictionaries(st.text(max_size=8), json_value, max_size=4)

texts = st.builds(
    Text,
    text=text,
    signature=st.none() | b64,
    citations=st.none() | st.lists(json_object, max_size=2),
    provider=st.none() | PROVIDERS,
)
images = st.one_of(
    st.builds(Image, media_type=st.sampled_from(["image/png", "image/jpeg"]), data=b64),
    st.builds(Image, url=st.just("https://example.com/cat.png")),
)
documents = st.one_of(
    st.builds(Document, data=b64, title=st.none() | text),
    st.builds(Document, url=st.just("https://example.com/a.pdf")),
)
tool_calls = st.builds(
    ToolCall,
    id=ident,
    name=ident,
    arguments=json_object,
    raw_arguments=st.none() | text,
    error=st.none() | text,
    signature=st.none() | b64,
    provider=st.none() | PROVIDERS,
)
tool_results = st.builds(
    ToolResult,
    tool_call_id=ident,
    content=text | st.lists(texts | images, max_size=2),
    name=st.none() | ident,
    is_error=st.booleans(),
)
thinking = st.builds(
    Thinking,
    text=text,
    signature=st.none() | b64,
    redacted=st.none() | b64,
    provider=st.none() | PROVIDERS,
)
raws = st.builds(Raw, provider=PROVIDERS, data=json_object)
parts: st.SearchStrategy[Part] = st.one_of(
    texts, images, documents, tool_calls, tool_results, thinking, raws
)
messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool"]),
    content=st.lists(parts, max_size=4),
    name=st.none() | ident,
    cache=st.booleans(),
    provider=st.none() | PROVIDERS,
    model=st.none() | ident,
)
tools = st.builds(Tool, name=ident, description=text, parameters=json_object)
counts = st.integers(0, 10**7)
usages = st.builds(
    Usage,
    input_tokens=counts,
    output_tokens=counts,
    cache_read_tokens=counts,
    cache_write_tokens=counts,
    reasoning_tokens=counts,
)
