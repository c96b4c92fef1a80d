"""Provider modules: one wire format each, pure functions only.

Each module satisfies `llmkit.protocols.Provider`; the list below makes mypy
check that structurally.
"""
