"""データ識別番号 pseudonyms (dpc.pseudonymise, docs/pseudonymisation.md): construction v2 covers the facility.

Real HMAC throughout; the pinned vectors were computed once from the documented construction, so an accidental
change of the construction (domain tag, separators, stripping, encoding) fails here.
"""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pytest

from dpc import pseudonymise as P
from dpc.pseudonymise import PATIENT_KEY_DOMAIN, patient_key, patient_keys

KEY = b"pytest-only-pseudonymisation-key-not-a-secret"
FACILITY_A, FACILITY_B = "131000017", "271000025"
DATA_ID = "0123456789"  # the specification's own example of a データ識別番号 (p20)

# computed once with the construction of the module docstring (do not recompute: that is the point)
PINNED_V2 = {
    (FACILITY_A, DATA_ID): "22d30675d5c16bebb0cc3ca04de10b8ffe910e2225cdfaa7684587aeed0393ac",
    (FACILITY_B, DATA_ID): "336aa58049d210590eaacb7ff4a908cc1e7c464a8ba4470f1519747651b58725",
}
PINNED_V1 = "22752e533eb99399e8bfbafaba03af660fc1b6feb9c392d1e55a1efa915e6b3a"  # the retired v1 of DATA_ID


def test_same_number_at_two_facilities_is_two_patients() -> None:
    a, b = patient_key(FACILITY_A, DATA_ID, KEY), patient_key(FACILITY_B, DATA_ID, KEY)
    assert a != b


def test_pinned_vectors() -> None:
    for (facility, data_id), expected in PINNED_V2.items():
        assert patient_key(facility, data_id, KEY) == expected
    # v1 (HMAC-SHA256(key, data_id), facility-independent) is gone: the new construction never gives its value
    assert patient_key(FACILITY_A, DATA_ID, KEY) != PINNED_V1


def test_construction_is_the_documented_one() -> None:
    assert PATIENT_KEY_DOMAIN == b"dpc/patient/v2"
    message = b"dpc/patient/v2\x00" + FACILITY_A.encode() + b"\x00" + DATA_ID.encode()
    assert patient_key(FACILITY_A, DATA_ID, KEY) == hmac.new(KEY, message, hashlib.sha256).hexdigest()


def test_stable_lower_hex_and_whitespace_ignored() -> None:
    first = patient_key(FACILITY_A, DATA_ID, KEY)
    assert first == patient_key(FACILITY_A, f"  {DATA_ID}\t", KEY) == patient_key(FACILITY_A, DATA_ID, KEY)
    assert len(first) == 64 and first == first.lower() and int(first, 16) >= 0


def test_depends_on_key_and_differs_from_v1() -> None:
    assert patient_key(FACILITY_A, DATA_ID, KEY) != patient_key(FACILITY_A, DATA_ID, KEY + b"2")
    assert patient_key(FACILITY_A, DATA_ID, KEY) != hmac.new(KEY, DATA_ID.encode(), hashlib.sha256).hexdigest()


def test_no_ambiguity_between_facility_and_number() -> None:
    # a number that starts with another facility's digits cannot collide: the facility is exactly 9 digits
    assert patient_key("131000017", "1234567890", KEY) != patient_key("131000017", "12345678900", KEY)
    with pytest.raises(ValueError):
        patient_key("13100001", "71234567890", KEY)  # 8 digits: refused, not silently shifted


@pytest.mark.parametrize("facility", ["", "13100001", "1310000170", "13100001a", " 131000017", "１３１００００１７"])
def test_facility_code_must_be_nine_ascii_digits(facility: str) -> None:
    with pytest.raises(ValueError) as info:
        patient_key(facility, DATA_ID, KEY)
    assert DATA_ID not in str(info.value)
    if facility.strip():
        assert facility.strip() not in str(info.value)


def test_errors_do_not_echo_identifiers() -> None:
    with pytest.raises(ValueError) as info:
        patient_key(FACILITY_A, "   ", KEY)
    assert "data_id" in str(info.value)
    with pytest.raises(ValueError) as info:
        patient_key(FACILITY_A, DATA_ID, b"")
    assert DATA_ID not in str(info.value)
    with pytest.raises(ValueError) as info:
        patient_keys("bad", pa.array([DATA_ID]), KEY)
    assert DATA_ID not in str(info.value) and "bad" not in str(info.value)


def test_patient_keys_array_matches_scalar() -> None:
    ids = pa.array([DATA_ID, " 0000000001 ", None, "", "0000000001", DATA_ID])
    out = patient_keys(FACILITY_A, ids, KEY)
    assert isinstance(out, pa.Array) and out.type == pa.string()
    expected_1 = patient_key(FACILITY_A, "0000000001", KEY)
    assert out.to_pylist() == [PINNED_V2[(FACILITY_A, DATA_ID)], expected_1, None, None, expected_1, out[0].as_py()]


def test_patient_keys_chunked_and_dictionary_input() -> None:
    chunked = pa.chunked_array([[DATA_ID, None], ["0000000002", DATA_ID]])
    out = patient_keys(FACILITY_B, chunked, KEY)
    assert isinstance(out, pa.ChunkedArray) and out.num_chunks == 2
    b = PINNED_V2[(FACILITY_B, DATA_ID)]
    assert out.to_pylist() == [b, None, patient_key(FACILITY_B, "0000000002", KEY), b]
    large = patient_keys(FACILITY_B, pa.array([DATA_ID], pa.large_string()), KEY)
    assert large.to_pylist() == [b]


def test_patient_keys_one_hmac_per_distinct_id(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_new = hmac.new

    def counting_new(*args, **kwargs):  # the real HMAC, counted
        calls.append(1)
        return real_new(*args, **kwargs)

    monkeypatch.setattr(P.hmac, "new", counting_new)
    ids = pa.array([DATA_ID] * 500 + ["0000000001"] * 300 + [None] * 10)
    out = patient_keys(FACILITY_A, ids, KEY)
    assert len(calls) == 2
    assert out.null_count == 10
