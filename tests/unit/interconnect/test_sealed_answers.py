"""The server's cache of sealed answers: only the same payload object of a page interface, per partner,
bounded."""

from __future__ import annotations

from interconnect.server import _Attempt, _SealedAnswers


def attempt(interface: str = "query_stations_info", operator_id: str = "MA005DBW1") -> _Attempt:
    return _Attempt(requested=interface, remote="127.0.0.1", operator_id=operator_id, interface=interface)


def test_the_same_payload_object_gets_its_bytes_back_and_an_equal_copy_does_not() -> None:
    cache = _SealedAnswers()
    page = {"PageNo": 1, "StationInfos": []}
    cache.put(attempt(), page, b"sealed")

    assert cache.get(attempt(), page) == b"sealed"
    assert cache.get(attempt(), dict(page)) is None  # equal, but not the object that was sealed
    assert cache.get(attempt(operator_id="MA0OTHER1"), page) is None  # sealed with another partner's keys


def test_other_interfaces_are_never_cached() -> None:
    cache = _SealedAnswers()
    answer = {"SuccStat": 0}
    cache.put(attempt("query_start_charge"), answer, b"sealed")

    assert cache.get(attempt("query_start_charge"), answer) is None


def test_the_oldest_answer_leaves_first() -> None:
    cache = _SealedAnswers(limit=2)
    pages = [{"PageNo": n} for n in range(3)]
    for n, page in enumerate(pages):
        cache.put(attempt(), page, f"page {n}".encode())

    assert [cache.get(attempt(), page) for page in pages] == [None, b"page 1", b"page 2"]
