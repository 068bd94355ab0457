import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.vault.crypto import DecryptionError, open_sealed, seal

KEY = os.urandom(32)


@given(st.text(max_size=5000), st.binary(max_size=64))
def test_any_text_round_trips(text, aad):
    assert open_sealed(KEY, seal(KEY, text.encode(), aad), aad).decode() == text


def test_empty_and_long_values_round_trip():
    for value in [b"", b"x" * 1_000_000]:
        assert open_sealed(KEY, seal(KEY, value, b"ad"), b"ad") == value


def test_each_seal_uses_a_fresh_nonce():
    assert seal(KEY, b"same", b"ad") != seal(KEY, b"same", b"ad")


@pytest.mark.parametrize("change", ["aad", "key", "flip", "truncate", "version"])
def test_a_changed_value_or_context_fails_loudly(change):
    sealed = seal(KEY, b"Wanjiku Kamau", b"table|col|row1")
    aad, key = b"table|col|row1", KEY
    if change == "aad":
        aad = b"table|col|row2"
    elif change == "key":
        key = os.urandom(32)
    elif change == "flip":
        sealed = sealed[:-1] + bytes([sealed[-1] ^ 1])
    elif change == "truncate":
        sealed = sealed[:10]
    elif change == "version":
        sealed = b"\x02" + sealed[1:]
    with pytest.raises(DecryptionError):
        open_sealed(key, sealed, aad)
