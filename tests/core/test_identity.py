from __future__ import annotations

from datetime import date

import pytest

from qms.core import identity
from qms.core.errors import ConfigError, InvalidInput
from qms.core.model import check_id


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "11010519491231002x"])
def test_valid_id_numbers(number: str) -> None:
    assert identity.validate_id_number(number) == number.upper()


@pytest.mark.parametrize(
    "number",
    ["110105194912310021", "11010519491231002", "1101051949123100XX", "110105194913310029", "abc", ""],
)
def test_invalid_id_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidInput) as err:
        identity.validate_id_number(number)
    assert err.value.code == "invalid_id_number"


def test_age_and_masks() -> None:
    assert identity.age_on("11010519491231002X", date(2026, 12, 30)) == 76
    assert identity.age_on("11010519491231002X", date(2026, 12, 31)) == 77
    assert identity.mask_id_number("440103199003071234") == "4401**********1234"
    assert identity.mask_phone(identity.validate_phone("+86 138-1234-1234")) == "138****1234"
    with pytest.raises(InvalidInput):
        identity.validate_phone("12812341234")


def test_a_trailing_newline_is_not_part_of_a_valid_value() -> None:
    with pytest.raises(ConfigError):
        check_id("window", "w1\n")
