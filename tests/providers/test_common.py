"""The shared provider helpers: the persistent list and the longest-prefix lookup."""

from __future__ import annotations

from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from llmkit.providers._common import (
    Cons,
    cons_add,
    cons_items,
    longest_prefix,
    rope_add,
    rope_text,
)
from llmkit.providers.anthropic._models import model_info


@given(st.lists(st.integers()))
def test_cons_keeps_every_item_in_order(items: list[int]) -> None:
    cons: Cons[int] = reduce(cons_add, items, None)
    assert cons_items(cons) == items


@given(st.lists(st.text()))
def test_a_rope_is_its_chunks_joined(chunks: list[str]) -> None:
    assert rope_text(reduce(rope_add, chunks, None)) == "".join(chunks)


@given(st.dictionaries(st.text(max_size=4), st.integers(), max_size=8), st.text(max_size=8))
def test_longest_prefix_is_the_longest_matching_key(table: dict[str, int], model: str) -> None:
    hits = sorted((k for k in table if model.startswith(k)), key=len)
    assert longest_prefix(table, model, None) == (table[hits[-1]] if hits else None)


def test_a_dated_snapshot_finds_its_catalog_entry() -> None:
    info = model_info("claude-haiku-4-5-20251001")
    assert info is not None and info.id == "claude-haiku-4-5"
    assert model_info("claude-haiku-4-5x") is None  # a snapshot is the id, "-", a date


@given(st.lists(st.text(max_size=3), max_size=200), st.integers(1, 70))
def test_merging_a_ropes_newest_chunks_keeps_its_text(chunks: list[str], top: int) -> None:
    from llmkit.providers._common import Rope, cons_items, rope_add, rope_merged, rope_text

    rope: Rope = None
    for c in chunks:
        rope = rope_add(rope, c)
    merged = rope_merged(rope, top)
    assert rope_text(merged) == rope_text(rope) == "".join(chunks)
    assert len(cons_items(merged)) == max(1, len(cons_items(rope)) - top + 1)
