"""Streamed function-call arguments (Vertex AI, `streamFunctionCallArguments`).

A call opens with `{"functionCall": {"name": "f", "willContinue": true}}`,
its arguments follow as `partialArgs` entries, one JSONPath each
(`$.recipe.ingredients[0].amount`) with a `stringValue` (in fragments, the
last without `willContinue`), a `numberValue`, a `boolValue` or a
`nullValue`, and it closes with an empty `{"functionCall": {}}`, or with a
last `partialArgs` part that lacks `functionCall.willContinue` (both seen in
recorded Vertex traffic; https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/function-calling).

`Open` folds those parts: `add` returns the JSON text each one adds, so the
deltas of a call concatenate to its arguments' JSON, as every other wire's
do, and `arguments` builds the object. Paths arrive in document order; one
that goes back into a closed container still lands in `arguments`, though its
delta text then no longer matches. Pure: no I/O, no state outside `Open`.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, TypeAlias

import msgspec
from msgspec.structs import replace

from llmkit.errors import DecodeError
from llmkit.providers.google import _wire as w
from llmkit.providers.google._history import whole_floats

Key: TypeAlias = "str | int"
Path: TypeAlias = "tuple[Key, ...]"
_Leaves: TypeAlias = "tuple[tuple[Path, Any], _Leaves] | None"  # newest first

_ENCODE = msgspec.json.Encoder()
_STEP = re.compile(
    r"""\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]"""
)


class Open(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A call whose arguments are still arriving."""

    id: str
    name: str
    signature: str | None = None
    leaves: _Leaves = None
    # The JSON written so far: the containers open below the root (their
    # paths), how many members each open container has (root first), and
    # the path of a string still open.
    opened: tuple[tuple[Path, bool], ...] = ()  # (path, is an object)
    members: tuple[int, ...] = ()
    string: Path | None = None
    wrote: bool = False


def parse_path(path: str) -> Path:
    """`$.a.b[0]['c d']` → ("a", "b", 0, "c d"): the RFC 9535 shapes Vertex sends."""
    if not path.startswith("$"):
        raise DecodeError(f"partialArgs: not a JSONPath: {path[:80]!r}", provider="google")
    out: list[Key] = []
    at = 1
    while at < len(path):
        m = _STEP.match(path, at)
        if m is None:
            raise DecodeError(f"partialArgs: unreadable JSONPath {path[:80]!r}", provider="google")
        name, index, single, double = m.groups()
        if index is not None:
            out.append(int(index))
        else:
            quoted = single if single is not None else double
            out.append(name if quoted is None else re.sub(r"\\(.)", r"\1", quoted))
        at = m.end()
    if not out or not isinstance(out[0], str):
        raise DecodeError(
            f"partialArgs: not a path into the arguments: {path[:80]!r}", provider="google"
        )
    return tuple(out)


def start(fc: w.FunctionCall, call_id: str, signature: str | None) -> Open:
    return Open(id=fc.id or call_id, name=fc.name, signature=signature)


def _value(a: w.PartialArg) -> tuple[bool, Any]:
    """(is a string fragment, value)."""
    if a.string_value is not None:
        return True, a.string_value
    if a.number_value is not None:
        return False, whole_floats(a.number_value)
    if a.bool_value is not None:
        return False, a.bool_value
    return False, None  # nullValue: "NULL_VALUE"


def _close_string(o: Open) -> tuple[Open, str]:
    return (replace(o, string=None), '"') if o.string is not None else (o, "")


def _closers(opened: tuple[tuple[Path, bool], ...]) -> str:
    return "".join("}" if is_object else "]" for _, is_object in reversed(opened))


def _move_to(o: Open, path: Path) -> tuple[Open, str]:
    """Close and open containers so that the next member written is `path`'s leaf."""
    text: list[str] = []
    if not o.wrote:
        text.append("{")
        o = replace(o, wrote=True, members=(0,))
    parent = path[:-1]
    keep = 0
    while keep < min(len(o.opened), len(parent)) and o.opened[keep][0] == parent[: keep + 1]:
        keep += 1
    text.append(_closers(o.opened[keep:]))
    opened, members = o.opened[:keep], o.members[: keep + 1]
    for depth in range(keep, len(path)):
        key = path[depth]
        comma = "," if members[depth] else ""
        text.append(comma + (_ENCODE.encode(key).decode() + ":" if isinstance(key, str) else ""))
        members = (*members[:depth], members[depth] + 1)
        if depth < len(path) - 1:
            is_object = isinstance(path[depth + 1], str)
            text.append("{" if is_object else "[")
            opened, members = (*opened, (path[: depth + 1], is_object)), (*members, 0)
    return replace(o, opened=opened, members=members), "".join(text)


def add(o: Open, fc: w.FunctionCall) -> tuple[Open, str]:
    """Fold one part of an open call; the JSON text it adds."""
    text: list[str] = []
    for a in fc.partial_args:
        path = parse_path(a.json_path)
        is_str, value = _value(a)
        if not (is_str and o.string == path):  # not the next fragment of the open string
            o, closing = _close_string(o)
            o, moved = _move_to(o, path)
            text += [closing, moved]
            if is_str:
                text.append('"')
                o = replace(o, string=path)
        piece = _ENCODE.encode(value).decode()
        text.append(piece[1:-1] if is_str else piece)
        o = replace(o, leaves=((path, value), o.leaves))
        if is_str and not a.will_continue:
            o, closing = _close_string(o)
            text.append(closing)
    return o, "".join(text)


def done(fc: w.FunctionCall) -> bool:
    """The part ends its call: the empty close, or a last part without `willContinue`."""
    return not fc.will_continue


def end(o: Open) -> str:
    """The JSON text that closes the call (all of it for no arguments)."""
    if not o.wrote:
        return "{}"
    return _close_string(o)[1] + _closers(o.opened) + "}"


def arguments(o: Open) -> dict[str, Any]:
    leaves: list[tuple[Path, Any]] = []
    node = o.leaves
    while node is not None:
        leaves.append(node[0])
        node = node[1]
    root: dict[str, Any] = {}
    for path, value in reversed(leaves):
        _set(root, path, value)
    return root


def _set(root: Any, path: Path, value: Any) -> None:
    node = root
    for key, nxt in itertools.pairwise(path):
        fresh: Any = {} if isinstance(nxt, str) else []
        if isinstance(node, dict):
            node = node.setdefault(key, fresh)
        else:
            assert isinstance(key, int)
            while len(node) <= key:
                node.append(None)
            if node[key] is None:
                node[key] = fresh
            node = node[key]
    last = path[-1]
    if isinstance(node, dict):
        old = node.get(last)
        node[last] = old + value if isinstance(old, str) and isinstance(value, str) else value
    else:
        assert isinstance(last, int)
        while len(node) <= last:
            node.append(None)
        old = node[last]
        node[last] = old + value if isinstance(old, str) and isinstance(value, str) else value
