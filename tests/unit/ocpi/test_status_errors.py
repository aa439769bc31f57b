"""Status codes and the exception tree (§3, RF-05, RF-07)."""

from __future__ import annotations

import pytest

from ocpi_modules.common import errors
from ocpi_modules.common.status import StatusCode, is_success

EXPECTED = [
    (errors.ClientError, 2000, 400),
    (errors.InvalidParametersError, 2001, 200),
    (errors.NotEnoughInformationError, 2002, 200),
    (errors.UnknownLocationError, 2003, 200),
    (errors.UnknownTokenError, 2004, 404),
    (errors.ServerError, 3000, 200),
    (errors.UnableToUseClientApiError, 3001, 200),
    (errors.UnsupportedVersionError, 3002, 200),
    (errors.NoMatchingEndpointsError, 3003, 200),
    (errors.HubGenericError, 4000, 200),
    (errors.UnknownReceiverError, 4001, 200),
    (errors.ForwardTimeoutError, 4002, 200),
    (errors.ReceiverNotConnectedError, 4003, 200),
    (errors.UnauthorizedError, 2000, 401),
    (errors.MethodNotAllowedError, 2000, 405),
    (errors.NotFoundError, 2000, 404),
    (errors.InvalidJsonError, 2000, 400),
]


def test_sc_every_standard_code_is_defined() -> None:
    assert sorted(int(c) for c in StatusCode) == [
        1000,
        2000,
        2001,
        2002,
        2003,
        2004,
        3000,
        3001,
        3002,
        3003,
        4000,
        4001,
        4002,
        4003,
    ]


@pytest.mark.parametrize(("cls", "code", "http"), EXPECTED)
def test_sc_exception_per_code(cls: type[errors.OcpiError], code: int, http: int) -> None:
    exc = cls()
    assert isinstance(exc, errors.OcpiError)
    assert (exc.status_code, exc.http_status) == (code, http)
    assert exc.message
    custom = cls("why", http_status=200, data={"x": 1})
    assert (custom.message, custom.http_status, custom.data, str(custom)) == ("why", 200, {"x": 1}, "why")


def test_rf05_invalid_parameters_with_http_200() -> None:
    assert errors.InvalidParametersError("unusable", http_status=400).http_status == 400


def test_rf07_not_found_can_carry_2001() -> None:
    exc = errors.NotFoundError("no charging preferences", status_code=StatusCode.INVALID_PARAMETERS)
    assert (exc.status_code, exc.http_status) == (2001, 404)


def test_sc_success_range() -> None:
    assert is_success(1000)
    assert is_success(1999)
    assert not is_success(2000)
    assert not is_success(None)
    assert not is_success(999)
