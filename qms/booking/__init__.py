"""Online booking outside the pure core: the statutory calendar, protected identifiers, the
booking actor's storage. The rules themselves are in `qms.core.booking` and `qms.core.ledger`."""
