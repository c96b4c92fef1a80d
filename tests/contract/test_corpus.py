"""The corpus contract: every recording in a wire's corpus dirs (see the table)
parses through the real transport, cutting its bytes anywhere changes nothing,
and a stream equals its non-streamed twin where the recording holds one. What
each vendor's answers must contain is checked in tests/providers/."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import ApiError
from llmkit.types import Done
from tests.contract.drive import chat_through_transport, through_transport
from tests.contract.table import UNREAD, WIRES, corpus_rows, module, short
from tests.contract.test_streams import awkward_offsets, deltas_add_up
from tests.replay import corpus_params

ROWS = corpus_rows()


def _marks(name: str, row: dict[str, str]) -> list[pytest.MarkDecorator]:
    why = dict(WIRES[name].gaps).get(row["file"])
    return [] if why is None else [pytest.mark.xfail(reason=why, strict=True)]


CASES = [
    pytest.param(c.values[0], id=c.id, marks=_marks(*c.values[0]) if c.values[0] else [])
    for c in corpus_params(ROWS, [f"{short(n)}/{r['file']}" for n, r in ROWS])
]


@pytest.mark.parametrize("case", CASES)
def test_every_recording_parses(corpus: Path, case: tuple[str, dict[str, str]]) -> None:
    name, row = case
    p, data = module(name), (corpus / row["file"]).read_bytes()
    if row["kind"] == "error":
        err = p.parse_error(int(row["http_status"]), {}, data)
        assert isinstance(err, ApiError) and err.status == int(row["http_status"])
        return
    if row["kind"] == "json":
        assert chat_through_transport(name, data) == p.parse_response(data)
        return
    got = through_transport(name, data)
    assert got.error is None, got.error
    last = got.events[-1]
    assert isinstance(last, Done)
    deltas_add_up(got.events)
    twin = WIRES[name].twin(corpus / row["file"])
    if twin is not None:
        assert last.response == p.parse_response(twin)
    # cut inside every multibyte character and CRLF, and byte by byte at the start
    assert through_transport(name, data, awkward_offsets(data)) == got
    assert through_transport(name, data, range(1, 3000)) == got


def test_corpus_streams_cut_anywhere_change_nothing(corpus: Path) -> None:
    cases = [
        (name, (corpus / row["file"]).read_bytes())
        for name, row in ROWS
        if row["kind"] == "stream" and row["file"] not in dict(WIRES[name].gaps)
    ]

    @settings(max_examples=60)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        name, raw = data.draw(st.sampled_from(cases))
        cuts = data.draw(st.lists(st.integers(1, len(raw) - 1), max_size=20))
        assert through_transport(name, raw, cuts) == through_transport(name, raw)

    run()


def test_the_table_reads_every_sse_and_json_recording(corpus: Path) -> None:
    """A recording no wire reads is a route the table forgot (or says why not)."""
    read = {r["file"] for _, r in ROWS}
    recorded = {
        str(p.relative_to(corpus))
        for p in corpus.rglob("*")
        if p.suffix in (".sse", ".json") and not p.name.endswith(".request.json")
        and p.parent.name not in UNREAD
    }  # fmt: skip
    assert recorded - read == set()
