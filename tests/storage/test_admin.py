"""Staff accounts in the admin store (migration 5): counted by SQLite, disabled ones too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from qms.storage.admin import SqliteAdminStore, StoredAccount

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = StoredAccount("alice", "王丽", "staff", "$argon2id$x")
ROOT = StoredAccount("root", "管理员", "admin", "$argon2id$y")


def test_the_account_count_is_every_row_disabled_ones_too(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = SqliteAdminStore(tmp_path / "qms.sqlite3")
        await store.open()
        try:
            assert await store.account_count() == 0
            await store.seed([ALICE, ROOT], AT)
            assert await store.account_count() == 2
            disabled = StoredAccount("alice", "王丽", "staff", "$argon2id$x", disabled=True)
            await store.save_account("hall", disabled, ALICE, "root", AT)
            await store.save_account("hall", StoredAccount("bob", "李明", "staff", "$argon2id$z"), None, "root", AT)
            assert await store.account_count() == len(await store.accounts()) == 3
        finally:
            await store.close()

    asyncio.run(scenario())
