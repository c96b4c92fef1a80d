"""The contract every wire format passes (issue 14).

One suite, parametrized over every wire module in `llmkit.registry.DEFAULT`
plus the toy wire (`tests/toy_wire.py`). `table.py` is the only place that
names wires: a new wire format or route is one row there (its fixture dirs,
its corpus dirs, a model its `build_request` takes), plus its recordings.

- test_streams: chunk-boundary invariance (cuts anywhere, inside multibyte
  characters, between CR and LF, CRLF line ends), fold purity and frozen
  states, Done == parse_response of the non-streamed twin, every delta adds
  up to its part in Done, async == sync, all through the real transport.
- test_fuzz: bent, dropped, repeated and truncated recorded events, invented
  events, arbitrary bodies, generated histories; each counts what it reached
  per wire and fails when a wire refuses (nearly) everything.
- test_roundtrip: history -> wire -> unified -> wire is the identity.
- test_corpus: every recording in the wire's corpus dirs, behind the one
  `corpus` fixture (tests/conftest.py).
"""
