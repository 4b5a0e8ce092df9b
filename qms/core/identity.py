"""Citizens' identifiers: the 18-digit resident ID (居民身份证号) and mobile numbers.

They are validated here, and from here on only their masked forms travel through the
hall (`4401**********1234`, `138****1234`): screens, logs and events never see them whole.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import InvalidInput

_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
_PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"  # GB 11643-1999, ISO 7064 MOD 11-2


def id_check_digit(first17: str) -> str:
    """The check digit of an ID number's first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> str:
    """The ID number, upper-cased, or InvalidInput if its form, birth date or check digit is wrong."""
    number = value.strip().upper()
    if not _ID_PATTERN.fullmatch(number):
        raise InvalidInput("an ID number has 17 digits and a digit or X at the end", code="invalid_id_number")
    birth_date(number)
    if id_check_digit(number[:17]) != number[17]:
        raise InvalidInput("the ID number's check digit is wrong: please check it", code="invalid_id_number")
    return number


def birth_date(number: str) -> date:
    """The birth date written in a (well-formed) ID number."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput("the ID number holds no valid birth date", code="invalid_id_number") from None


def age_on(number: str, day: date) -> int:
    """Age in whole years on `day` of the holder of a valid ID number."""
    born = birth_date(number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def mask_id_number(number: str) -> str:
    """`440103199003071234` -> `4401**********1234`."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def validate_phone(value: str) -> str:
    """A mainland mobile number (11 digits, 1[3-9]...), or InvalidInput."""
    phone = value.strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not _PHONE_PATTERN.fullmatch(phone):
        raise InvalidInput("a mobile number has 11 digits and starts with 13-19", code="invalid_phone")
    return phone


def mask_phone(phone: str) -> str:
    """`13812341234` -> `138****1234`."""
    return phone[:3] + "****" + phone[-4:]
