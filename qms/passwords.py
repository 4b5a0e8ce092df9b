"""Staff password hashing with argon2id (argon2-cffi's recommended defaults).

Hashing is slow on purpose (tens of milliseconds); do it once per login or per account
change, never in a loop over requests.
"""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Demo passwords are published ("admin123"): a costly hash would protect nothing and only slow
# every demo start (argon2-cffi's defaults take ~50-300 ms a hash), so they get a low cost.
_demo_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def hash_password(plain: str) -> str:
    """An argon2id hash of `plain`, such as `$argon2id$v=19$m=65536,t=3,p=4$...`, salted anew each time."""
    if not plain:
        raise ValueError("a password must not be empty")
    return _hasher.hash(plain)


def hash_demo_password(plain: str) -> str:
    """A cheap argon2id hash, for the published passwords of demo halls only.

    `verify_password` accepts it like any other; `needs_rehash` reports it as weak.
    """
    if not plain:
        raise ValueError("a password must not be empty")
    return _demo_hasher.hash(plain)


def verify_password(password_hash: str, plain: str) -> bool:
    """True if `plain` matches `password_hash`; False for a wrong password or a malformed hash."""
    try:
        return _hasher.verify(password_hash, plain)
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with weaker parameters than today's: rehash after a good login."""
    return _hasher.check_needs_rehash(password_hash)


def is_password_hash(value: str) -> bool:
    """True if `value` is a well-formed argon2 hash (it says nothing of which password)."""
    try:
        params = extract_parameters(value)
    except InvalidHashError:
        return False
    # extract_parameters reads only the header; a truncated copy-paste still parses, so check
    # that salt and hash have plausible lengths (argon2-cffi makes 16 and 32 bytes).
    return params.salt_len >= 8 and params.hash_len >= 16
