"""Citizens' identifiers at rest: a keyed hash to count and find, masks to show.

An ID number is stored as HMAC-SHA256 under a key derived from the server's secret: equal
numbers give equal hashes, so limits, the blacklist and check-in by ID work, yet the stored
value cannot be turned back into the number, nor be checked against a guessed number
without the secret (a plain hash could: ID numbers are a small, structured space). Phones
are stored masked only. The plain values live in the request that carries them, nowhere
else; `mask_id_number` / `mask_phone` of `qms.core.identity` make the shown forms.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from qms.core import identity


@dataclass(frozen=True, slots=True)
class Person:
    """A validated citizen as the booking rules see them."""

    key: str  # hex HMAC of the ID number
    id_masked: str
    phone_masked: str


class PersonHasher:
    """Hashes ID numbers under a key derived from the server secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the server secret must have at least 16 bytes")
        self._key = hmac.new(secret, b"qms booking person v1", hashlib.sha256).digest()

    def key(self, id_number: str) -> str:
        """The keyed hash of a valid ID number (raises InvalidInput for an invalid one)."""
        return self._hash(identity.validate_id_number(id_number))

    def person(self, id_number: str, phone: str) -> Person:
        """Validate an ID number and a mobile phone into a `Person`."""
        number = identity.validate_id_number(id_number)
        return Person(
            self._hash(number), identity.mask_id_number(number), identity.mask_phone(identity.validate_phone(phone))
        )

    def _hash(self, number: str) -> str:
        return hmac.new(self._key, number.encode("ascii"), hashlib.sha256).hexdigest()
