"""ID numbers at rest: keyed hashes and masks, never the number."""

from __future__ import annotations

import pytest

from qms.booking.people import PersonHasher
from qms.core.errors import InvalidInput

ID = "11010519491231002X"


def test_the_key_is_stable_per_secret_and_hides_the_number() -> None:
    a, b = PersonHasher(b"0123456789abcdef-one"), PersonHasher(b"0123456789abcdef-two")
    assert a.key(ID) == a.key(ID.lower()) == a.key(f" {ID} ")
    assert a.key(ID) != b.key(ID)
    assert ID not in a.key(ID) and len(a.key(ID)) == 64


def test_a_person_is_validated_and_masked() -> None:
    person = PersonHasher(b"0123456789abcdef").person(ID, "+86 138-1234-1234")
    assert (person.id_masked, person.phone_masked) == ("1101**********002X", "138****1234")
    assert person.key == PersonHasher(b"0123456789abcdef").key(ID.lower())  # check-in by ID finds this person
    with pytest.raises(InvalidInput) as bad_id:
        PersonHasher(b"0123456789abcdef").person("110105194912310021", "13812341234")
    assert bad_id.value.code == "invalid_id_number"
    with pytest.raises(InvalidInput) as bad_phone:
        PersonHasher(b"0123456789abcdef").person(ID, "12345")
    assert bad_phone.value.code == "invalid_phone"
    with pytest.raises(ValueError):
        PersonHasher(b"short")
