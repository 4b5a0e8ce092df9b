"""The one error of the contract: a topic or payload that does not fit."""

from __future__ import annotations


class ContractError(ValueError):
    """A topic or payload breaks the contract. `code` is stable (it goes into acks and logs):
    bad_topic, bad_id, too_large, bad_json, bad_payload, missing_field, unknown_field,
    bad_value, unknown_event, unknown_command, wrong_kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
