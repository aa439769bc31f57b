"""The 互联互通 codec: spec §9 vectors, §8 tolerances, round-trip properties and refused input."""

from __future__ import annotations

import base64
import json as stdlib_json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from interconnect import codec
from interconnect.codec import CodecError, NotAnEnvelopeError, SignatureError
from interconnect.runtime import InterconnectError, KeySet, Ret

K = b"1234567890abcdef"  # spec §9: DataSecret, DataSecretIV and SigSecret of every vector
KEYS = KeySet(operator_secret="1234567890abcdef", data_secret=K, data_iv=K, sig_secret=K)

V1_PLAIN = (
    b'{"total":1,"stationStatusInfo":{"operationID":"123456789","stationID":"111111111111111",'
    b'"connectorStatusInfos":{"connectorID":1,"equipmentID":"10000000000000000000001","status":4,'
    b'"currentA":0,"currentB":0,"currentC":0,"voltageA":0,"voltageB":0,"voltageC":0,"soc":10,}}}'
)
V1_DATA = (
    "il7B0BSEjFdzpyKzfOFpvg/Se1CP802RItKYFPfSLRxJ3jf0bVl9hvYOEktPAYW2nd7S8MBcyHYyacHKbISq5iTmDzG+ivnR+SZJv3U"
    "SNTYVMz9rCQVSxd0cLlqsJauko79NnwQJbzDTyLooYoIwz75qBOH2/xOMirpeEqRJrF/EQjWekJmGk9RtboXePu2rka+Xm51syBPh"
    "iXJAq0GfbfaFu9tNqs/e2Vjja/ltE1M0lqvxfXQ6da6HrThsm5id4ClZFIi0acRfrsPLRixS/IQYtksxghvJwbqOsbIsITail9Ay"
    "y4tKcogeEZiOO+4Ed264NSKmk7l3wKwJLAFjCFogBx8GE3OBz4pqcAn/ydA="
)
V2_SIG = "745166E8C43C84D37FFEC0F529C4136F"
V7_PAYLOAD = {"ConnectorStatusInfo": {"ConnectorID": "1", "Status": 1}}
V7_DATA = "Bq+0LsmzLSCEoMjxBr7JEZiqs8Goy0eNs0xUSBu5loQUB1CIPsDgmwQ4bsnU4p7iYst47IdqHxioG1CohIl8kw=="
V7_SIG = "20611157988D9CAC2025772536A46F5D"
V7_ERROR_SIG = "4DEBB0A4054B198749F284D77FB60359"
V7_OK_DATA = "9MVkuXXxCLW2u0cUb7YXOA=="
V7_OK_SIG = "60B4D099B97D6A287F771EE9A5EDC578"


# --- spec §9 vectors -------------------------------------------------------------------------------------


def test_v1_aes_both_ways() -> None:
    assert len(V1_PLAIN) == 269
    assert codec.encrypt(V1_PLAIN, K, K) == V1_DATA
    assert codec.decrypt(V1_DATA, K, K) == V1_PLAIN


def test_v1_wrapped_at_76_columns_with_crlf_decrypts() -> None:
    wrapped = "\r\n".join(V1_DATA[i : i + 76] for i in range(0, len(V1_DATA), 76)) + "\r\n"
    assert codec.decrypt(wrapped, K, K) == V1_PLAIN


def test_v2_request_sig_and_its_lowercase_form_verifies() -> None:
    assert codec.request_sig("123456789", V1_DATA, "20160729142400", "0001", K) == V2_SIG
    fields = codec.RequestFields("123456789", V1_DATA, "20160729142400", "0001", V2_SIG.lower())
    codec.check_request_sig(fields, K)  # spec §8: lowercase hex accepted
    assert codec.sig_ok(V2_SIG, V2_SIG.lower())


def test_v5_short_aes() -> None:
    assert codec.encrypt(b"hello world!", K, K) == "cmljobIKHDAcF9uf3mgs/w=="
    assert codec.decrypt("cmljobIKHDAcF9uf3mgs/w==", K, K) == b"hello world!"


def test_v7_request_data_and_sig() -> None:
    plain = b'{"ConnectorStatusInfo":{"ConnectorID":"1","Status":1}}'
    assert codec.dumps(V7_PAYLOAD) == plain
    assert codec.encrypt(plain, K, K) == V7_DATA
    assert codec.request_sig("123456789", V7_DATA, "20240101120000", "0001", K) == V7_SIG
    assert codec.build_request("123456789", V7_PAYLOAD, KEYS, "20240101120000", "0001") == {
        "OperatorID": "123456789",
        "Data": V7_DATA,
        "TimeStamp": "20240101120000",
        "Seq": "0001",
        "Sig": V7_SIG,
    }


def test_v7_error_response() -> None:
    assert codec.response_sig(4002, "Token错误", "", K) == V7_ERROR_SIG
    assert codec.response_sig(Ret.TOKEN, "Token错误", "", K) == V7_ERROR_SIG
    envelope = codec.build_response(Ret.TOKEN, "Token错误", None, KEYS)
    assert envelope == {"Ret": 4002, "Msg": "Token错误", "Data": "", "Sig": V7_ERROR_SIG}
    assert codec.read_response(envelope, KEYS, verify_sig=True) == (4002, "Token错误", None)


def test_v7_success_response() -> None:
    assert codec.encrypt(b'{"Status":0}', K, K) == V7_OK_DATA
    assert codec.response_sig(0, "请求成功", V7_OK_DATA, K) == V7_OK_SIG
    envelope = codec.build_response(Ret.OK, "请求成功", {"Status": 0}, KEYS)
    assert envelope == {"Ret": 0, "Msg": "请求成功", "Data": V7_OK_DATA, "Sig": V7_OK_SIG}
    answer = codec.read_response(envelope, KEYS, verify_sig=True)
    assert (answer.ret, answer.msg, answer.data) == (0, "请求成功", {"Status": 0})
    assert answer == (0, "请求成功", {"Status": 0})  # a plain tuple too


def test_msg_null_signs_as_empty() -> None:
    sig = codec.response_sig(4002, "", "", K)
    assert codec.read_response({"Ret": 4002, "Msg": None, "Data": None, "Sig": sig}, KEYS, True) == (
        4002,
        "",
        None,
    )
    assert codec.read_response({"Ret": 4002, "Data": "", "Sig": sig.lower()}, KEYS, True) == (4002, "", None)


# --- envelope reading (spec §2.2, §2.3, §8) --------------------------------------------------------------


def test_response_tolerances() -> None:
    # Ret as a string (signed as received), camelCase/padded keys, an unsigned extra OperatorID.
    body = {" ret ": "0", "msg": "请求成功", "DATA": V7_OK_DATA, "sig": V7_OK_SIG, "OperatorID": "123456789"}
    assert codec.read_response(body, KEYS, verify_sig=True) == (0, "请求成功", {"Status": 0})
    raw = stdlib_json.dumps({"Ret": 0, "Msg": "请求成功", "Data": V7_OK_DATA, "Sig": V7_OK_SIG}).encode()
    assert codec.read_response(raw, KEYS, verify_sig=True).data == {"Status": 0}  # \u escapes sign decoded


def test_response_sig_refused_or_skipped() -> None:
    wrong = {"Ret": 0, "Msg": "请求成功", "Data": V7_OK_DATA, "Sig": V7_ERROR_SIG}
    with pytest.raises(SignatureError, match="Sig") as caught:
        codec.read_response(wrong, KEYS, verify_sig=True)
    assert caught.value.ret == Ret.SIGNATURE
    unsigned = {"Ret": 0, "Msg": "请求成功", "Data": V7_OK_DATA}
    with pytest.raises(SignatureError):
        codec.read_response(unsigned, KEYS, verify_sig=True)
    assert codec.read_response(unsigned, KEYS, verify_sig=False).data == {"Status": 0}


@pytest.mark.parametrize(
    "body",
    [b"<html>502</html>", b"", "[1]", [], {"Msg": "x"}, {"Ret": "zero"}, {"Ret": True}, {"Ret": 1.5}],
)
def test_response_that_is_no_envelope(body: Any) -> None:
    with pytest.raises(NotAnEnvelopeError) as caught:
        codec.read_response(body, KEYS, verify_sig=False)
    assert caught.value.ret == Ret.ENVELOPE


def test_response_data_that_does_not_open() -> None:
    with pytest.raises(CodecError) as caught:
        codec.read_response({"Ret": 0, "Msg": "", "Data": "not base64!"}, KEYS, verify_sig=False)
    assert caught.value.ret == Ret.ENVELOPE
    with pytest.raises(CodecError) as caught:
        codec.read_response({"Ret": 0, "Msg": "", "Data": {"Status": 0}}, KEYS, verify_sig=False)


def test_request_fields_exact_and_tolerant() -> None:
    body = {
        "OperatorID": "123456789",
        "Data": V7_DATA,
        "TimeStamp": "20240101120000",
        "Seq": "0001",
        "Sig": V7_SIG,
    }
    fields = codec.read_request_fields(body)
    assert fields == codec.RequestFields("123456789", V7_DATA, "20240101120000", "0001", V7_SIG)
    codec.check_request_sig(fields, K)
    assert codec.open_data(fields.data, KEYS) == V7_PAYLOAD
    odd = {
        "operatorId ": "123456789",
        " data": V7_DATA,
        "timestamp": 20240101120000,
        "SEQ": "0001",
        "sig": V7_SIG,
    }
    assert codec.read_request_fields(odd) == fields
    assert codec.parse_request(codec.dumps(body)) == fields


@pytest.mark.parametrize("drop", ["OperatorID", "Data", "TimeStamp", "Seq", "Sig"])
def test_request_field_missing(drop: str) -> None:
    body = {
        "OperatorID": "123456789",
        "Data": V7_DATA,
        "TimeStamp": "20240101120000",
        "Seq": "0001",
        "Sig": V7_SIG,
    }
    del body[drop]
    with pytest.raises(NotAnEnvelopeError, match=drop) as caught:
        codec.read_request_fields(body)
    assert caught.value.ret == Ret.ENVELOPE


@pytest.mark.parametrize(
    "body",
    [
        None,
        ["OperatorID"],
        {"OperatorID": "", "Data": "x", "TimeStamp": "1", "Seq": "1", "Sig": ""},
        {"OperatorID": "123456789", "Data": "", "TimeStamp": "1", "Seq": "1", "Sig": ""},
        {"OperatorID": "123456789", "Data": {"a": 1}, "TimeStamp": "1", "Seq": "1", "Sig": ""},
        {"OperatorID": True, "Data": "x", "TimeStamp": "1", "Seq": "1", "Sig": ""},
    ],
)
def test_request_envelope_malformed(body: Any) -> None:
    with pytest.raises(NotAnEnvelopeError):
        codec.read_request_fields(body)


def test_request_body_not_json_is_an_envelope_error() -> None:
    with pytest.raises(NotAnEnvelopeError) as caught:
        codec.parse_request(b"OperatorID=123456789&Data=x")
    assert caught.value.ret == Ret.ENVELOPE


def test_wrong_request_sig() -> None:
    fields = codec.RequestFields("123456789", V7_DATA, "20240101120000", "0002", V7_SIG)
    with pytest.raises(SignatureError) as caught:
        codec.check_request_sig(fields, K)
    assert caught.value.ret == Ret.SIGNATURE
    assert isinstance(caught.value, InterconnectError)
    assert not codec.sig_ok(V7_SIG, None)
    assert not codec.sig_ok(V7_SIG, "")
    assert not codec.sig_ok(V7_SIG, "２0611157988D9CAC2025772536A46F5D")


def test_payload_that_is_not_json_is_4004() -> None:
    with pytest.raises(CodecError) as caught:
        codec.open_data(V1_DATA, KEYS)  # V1's plaintext has a trailing comma
    assert caught.value.ret == Ret.PAYLOAD


def test_plain_token_data_flag() -> None:
    payload = {"OperatorID": "123456789", "OperatorSecret": "s3cret"}
    body = codec.build_request("123456789", payload, KEYS, "20240101120000", "0001", plain=True)
    assert body["Data"] == '{"OperatorID":"123456789","OperatorSecret":"s3cret"}'
    codec.check_request_sig(codec.read_request_fields(body), K)
    assert codec.open_data(body["Data"], KEYS, plain=True) == payload
    assert codec.open_data(codec.encrypt(codec.dumps(payload), K, K), KEYS, plain=True) == payload
    with pytest.raises(CodecError):
        codec.open_data(body["Data"], KEYS)  # without the flag Data must be ciphertext
    answer = codec.build_response(0, "请求成功", {"SuccStat": 0}, KEYS, plain=True)
    assert answer["Data"] == '{"SuccStat":0}'
    assert codec.read_response(answer, KEYS, verify_sig=True, plain=True).data == {"SuccStat": 0}


def test_unidentifiable_caller_answer_has_no_sig() -> None:
    assert codec.build_response(Ret.ENVELOPE, "POST参数不合法", None, None) == {
        "Ret": 4003,
        "Msg": "POST参数不合法",
        "Data": "",
        "Sig": "",
    }
    with pytest.raises(ValueError, match="keys"):
        codec.build_response(0, "", {"Status": 0}, None)


# --- refused ciphertext ------------------------------------------------------------------------------------


def _raw_cbc(padded: bytes, key: bytes = K) -> str:
    context = Cipher(algorithms.AES(key), modes.CBC(K)).encryptor()
    return base64.b64encode(context.update(padded) + context.finalize()).decode()


@pytest.mark.parametrize(
    "data",
    [
        _raw_cbc(b"hello world!\x00\x00\x00\x00"),  # zero padding (spec §8: reject)
        _raw_cbc(b"hello world!\x04\x04\x03\x04"),  # inconsistent PKCS#7
        _raw_cbc(b"0123456789abcdef"),  # a whole block, no padding block
        _raw_cbc(b"hello world!\x00\x00\x00\x11"),  # pad byte 17 > block
        V1_DATA[:-4],  # truncated at a Base64 quantum: not whole blocks
        V1_DATA[:-1],  # truncated mid-quantum: not Base64
        "cmljobIKHDAcF9uf3mgs/w",  # padding stripped
        "cmljobIKHDAcF9uf3mgs*w==",  # not the Base64 alphabet
        "cmljobIKHDAcF9uf3mgs_w==",  # URL-safe alphabet
        "cmljobIKHDAcF9uf3mgs/w==cmlj",  # data after the padding
        "",
        "错误",
    ],
)
def test_bad_ciphertext_is_4003(data: str) -> None:
    with pytest.raises(CodecError) as caught:
        codec.decrypt(data, K, K)
    assert caught.value.ret == Ret.ENVELOPE


def test_wrong_key_does_not_decrypt() -> None:
    with pytest.raises(CodecError):
        codec.decrypt(V1_DATA, b"abcdef1234567890", K)
    # A wrong IV garbles only the first block (CBC): the padding holds, the JSON does not.
    with pytest.raises(CodecError):
        codec.open_data(V7_DATA, KeySet("x", K, b"abcdef1234567890", K))


def test_keys_must_be_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        codec.encrypt(b"x", b"1234567890abcdef1234567890abcdef", K)
    with pytest.raises(ValueError, match="16 bytes"):
        codec.decrypt(V7_DATA, K, b"short")


# --- round trips ------------------------------------------------------------------------------------------

keys16 = st.binary(min_size=16, max_size=16)


@given(plain=st.binary(max_size=600), key=keys16, iv=keys16, width=st.integers(1, 80), crlf=st.booleans())
def test_encrypt_decrypt_round_trip(plain: bytes, key: bytes, iv: bytes, width: int, crlf: bool) -> None:
    data = codec.encrypt(plain, key, iv)
    assert "\n" not in data
    assert len(data) % 4 == 0
    assert codec.decrypt(data, key, iv) == plain
    wrapped = ("\r\n" if crlf else "\n").join(data[i : i + width] for i in range(0, len(data), width))
    assert codec.decrypt(wrapped, key, iv) == plain


text = st.text() | st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF))
decimals = st.decimals(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | decimals | text,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
    max_leaves=20,
)


@given(value=json_values)
def test_dumps_loads_round_trip(value: Any) -> None:
    body = codec.dumps(value)
    assert codec.loads(body) == value
    assert codec.dumps(codec.loads(body)) == body  # exact digits survive
    assert stdlib_json.loads(body, parse_float=Decimal) == value  # any Decimal-aware peer reads the same


@given(places=st.integers(0, 6), units=st.integers(-(10**12), 10**12))
def test_decimals_keep_their_places(places: int, units: int) -> None:
    amount = Decimal(units).scaleb(-places)
    assert codec.dumps({"Money": amount}) == b'{"Money":' + format(amount, "f").encode() + b"}"
    assert str(codec.loads(codec.dumps(amount))) == str(amount) or places == 0


def test_dumps_is_compact_utf8_and_exact() -> None:
    value = {
        "StationName": "世纪大道充电站",
        "Lng": Decimal("121.473701"),
        "Money": Decimal("5.50"),
        "N": [1, None],
    }
    assert (
        codec.dumps(value)
        == '{"StationName":"世纪大道充电站","Lng":121.473701,"Money":5.50,"N":[1,null]}'.encode()
    )
    assert codec.dumps([Decimal("1E+2"), Decimal("1E-7"), Decimal("1E+400")]) == b"[100,0.0000001,1E+400]"
    # A payload string that merely looks like our internal number marker stays a string.
    assert codec.loads(codec.dumps(["\x00abc:1.5", Decimal("1.5")])) == ["\x00abc:1.5", Decimal("1.5")]
    for bad in (Decimal("NaN"), Decimal("-Infinity"), float("nan"), datetime.now(UTC)):
        with pytest.raises((TypeError, ValueError)):
            codec.dumps({"x": bad})


def test_loads_tolerates_bom_crlf_pretty() -> None:
    pretty = '\ufeff{\r\n  "Status": 0,\r\n  "TotalPower": 1.52,\r\n  "Name": "充电"\r\n}\r\n'.encode()
    assert codec.loads(pretty) == {"Status": 0, "TotalPower": Decimal("1.52"), "Name": "充电"}
    assert isinstance(codec.loads(b"[1.0]")[0], Decimal)


@pytest.mark.parametrize("body", [b"", b"{", b'{"a":1,}', b"NaN", b'{"a":Infinity}', b"\xff\xfe{}", b"{} {}"])
def test_loads_refuses_non_json(body: bytes) -> None:
    with pytest.raises(CodecError) as caught:
        codec.loads(body)
    assert caught.value.ret == Ret.PAYLOAD


# --- times, Seq and sequence numbers (spec §2.2, §3) --------------------------------------------------------

# hypothesis takes naive bounds and attaches the zone itself
moments = st.datetimes(
    min_value=datetime(2000, 1, 2),  # noqa: DTZ001
    max_value=datetime(2098, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(now=moments)
def test_timestamps_are_beijing(now: datetime) -> None:
    beijing = now + timedelta(hours=8)
    assert codec.beijing_timestamp(now) == beijing.strftime("%Y%m%d%H%M%S")
    assert codec.business_time(now) == beijing.strftime("%Y-%m-%d %H:%M:%S")
    whole = now.replace(microsecond=0)
    assert codec.parse_timestamp(codec.beijing_timestamp(now)) == whole
    assert codec.parse_business_time(codec.business_time(now)) == whole
    assert codec.beijing_timestamp(now.astimezone(timezone(timedelta(hours=-5)))) == codec.beijing_timestamp(
        now
    )


def test_time_formats_fixed_examples() -> None:
    noon = datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    assert codec.beijing_timestamp(noon) == "20240101120000"
    assert codec.business_time(noon) == "2024-01-01 12:00:00"
    assert codec.parse_business_time("2024-01-01 12:00:00").tzinfo is UTC
    for variant in (
        "2024/1/1 12:00:00",
        "2024-01-01T12:00:00",
        " 2024-01-01 12:00 ",
        "2024-01-01 12:00:00.000",
    ):
        assert codec.parse_business_time(variant) == noon
    with pytest.raises(ValueError, match="aware"):
        codec.beijing_timestamp(datetime(2024, 1, 1))  # noqa: DTZ001 - a naive datetime is refused


@pytest.mark.parametrize(
    "bad", ["", "2024-01-01", "2024-13-01 12:00:00", "yesterday", "2024-01-01 12:00:00Z"]
)
def test_bad_business_time_is_4004(bad: str) -> None:
    with pytest.raises(CodecError) as caught:
        codec.parse_business_time(bad)
    assert caught.value.ret == Ret.PAYLOAD


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240101120000", datetime(2024, 1, 1, 4, tzinfo=UTC)),
        ("202401011200", datetime(2024, 1, 1, 4, tzinfo=UTC)),  # yyyyMMddHHmm
        ("240101120000", datetime(2024, 1, 1, 4, tzinfo=UTC)),  # yyMMddHHmmss
        ("1704081600", datetime(2024, 1, 1, 4, tzinfo=UTC)),  # Unix seconds
        ("1704081600000", datetime(2024, 1, 1, 4, tzinfo=UTC)),  # Unix milliseconds
        (" 20240101120000 ", datetime(2024, 1, 1, 4, tzinfo=UTC)),
        ("20241301120000", None),
        ("2024-01-01", None),
        ("", None),
        ("0001", None),
        ("２0240101120000", None),
    ],
)
def test_parse_timestamp_tolerant(text: str, expected: datetime | None) -> None:
    assert codec.parse_timestamp(text) == expected


def test_timestamp_window() -> None:
    now = datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    assert codec.timestamp_within("20240101120459", now, 300)
    assert not codec.timestamp_within("20240101120501", now, 300)
    assert not codec.timestamp_within("garbage", now, 300)


@given(now=moments, count=st.integers(1, 400))
def test_seq_unique_within_a_second_and_restarting(now: datetime, count: int) -> None:
    counter = codec.SeqCounter()
    seqs = [
        counter.next(now + timedelta(microseconds=i)) for i in range(min(count, 999_999 - now.microsecond))
    ]
    assert seqs == [f"{i:04d}" for i in range(1, len(seqs) + 1)]
    assert counter.next(now.replace(microsecond=0) + timedelta(seconds=1)) == "0001"


def test_seq_past_9999_borrows_the_next_second() -> None:
    counter = codec.SeqCounter()
    now = datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    stamps = [counter.stamp(now) for _ in range(10_001)]
    assert len(set(stamps)) == len(stamps)
    assert stamps[9998] == ("20240101120000", "9999")
    assert stamps[9999] == ("20240101120001", "0001")
    assert counter.stamp(now - timedelta(seconds=5)) == ("20240101120001", "0003")  # never back in time


def test_mint_sequence() -> None:
    counter = codec.SeqCounter()
    now = datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    first, second = (codec.mint_sequence("MA01H3BQ2", now, counter) for _ in range(2))
    assert first == "MA01H3BQ2202401011200000001"
    assert len(second) == 27
    assert second != first
    with pytest.raises(ValueError, match="9 characters"):
        codec.mint_sequence("TOO-LONG-ID", now, counter)


def test_codec_error_is_a_ret_error_naming_the_problem() -> None:
    error = CodecError("Data is 3 bytes, not whole AES blocks")
    assert isinstance(error, InterconnectError)
    assert (error.ret, error.msg) == (Ret.ENVELOPE, "POST参数不合法")
    assert str(error) == "Data is 3 bytes, not whole AES blocks"
