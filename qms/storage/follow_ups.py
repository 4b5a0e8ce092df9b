"""The SQL of the stored reads reports need beyond the projections: the day's calls (who
called which ticket, for reports by staff member) and the follow-ups of bad ratings.

Functions of an open aiosqlite connection; `SqliteStore` calls them under its lock.
"""

from __future__ import annotations

from datetime import date, datetime

import aiosqlite

from qms.core.codec import event_from_json
from qms.core.events import TicketCalled
from qms.core.follow_up import FollowUp, FollowUpStatus

from .stored import read_stored

# The day's events lie between its first DayOpened and the next day's (seqs grow); the ticket
# id's day prefix keeps out a call of another day when the hall never opened one.
_DAY_OPENED = "SELECT min(seq) FROM events WHERE hall = ? AND type = 'DayOpened' AND day = ?"
_NEXT_DAY = "SELECT min(seq) FROM events WHERE hall = ? AND type = 'DayOpened' AND seq > ? AND day != ?"
_CALLS = "SELECT seq, data FROM events WHERE hall = ? AND type = 'TicketCalled' AND seq >= ? AND seq < ? ORDER BY seq"
_FOLLOW_UPS = "SELECT ticket, step, status, note, changed_by, changed_at FROM rating_follow_ups WHERE hall = ?"
_SAVE = (
    "INSERT INTO rating_follow_ups (hall, ticket, step, day, status, note, changed_by, changed_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hall, ticket, step) DO UPDATE SET "
    "status = excluded.status, note = excluded.note, changed_by = excluded.changed_by, changed_at = excluded.changed_at"
)


async def _value(db: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> int | None:
    async with db.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


async def calls(db: aiosqlite.Connection, hall: str, day: date) -> list[TicketCalled]:
    """The TicketCalled events of the hall's business day `day`, in order."""
    first = await _value(db, _DAY_OPENED, (hall, day.isoformat())) or 0
    after = await _value(db, _NEXT_DAY, (hall, first, day.isoformat())) or 2**62
    found = await db.execute_fetchall(_CALLS, (hall, first, after))
    prefix = day.strftime("%Y%m%d") + "-"
    out = []
    for seq, data in found:
        event = read_stored(event_from_json, data, f"event {seq}")
        if isinstance(event, TicketCalled) and event.ticket_id.startswith(prefix):
            out.append(event)
    return out


async def follow_ups(db: aiosqlite.Connection, hall: str, day: date | None) -> list[FollowUp]:
    """The hall's recorded follow-ups, of one business day's ratings if given."""
    sql, params = _FOLLOW_UPS, [hall]
    if day is not None:
        sql += " AND day = ?"
        params.append(day.isoformat())
    rows = await db.execute_fetchall(sql + " ORDER BY rowid", params)
    return [
        FollowUp(ticket, step, FollowUpStatus(status), note, by, datetime.fromisoformat(at))
        for ticket, step, status, note, by, at in rows
    ]


async def save_follow_up(
    db: aiosqlite.Connection, hall: str, day: date, follow_up: FollowUp, previous: FollowUpStatus | None
) -> bool:
    """Store `follow_up` if the rating's follow-up still stands at `previous` (None: none was
    recorded); False, storing nothing, when someone moved it meanwhile. Run it in a write
    transaction, so that nobody moves it between the check and the write."""
    rows = list(
        await db.execute_fetchall(
            "SELECT status FROM rating_follow_ups WHERE hall = ? AND ticket = ? AND step = ?",
            (hall, follow_up.ticket_id, follow_up.step),
        )
    )
    if (FollowUpStatus(rows[0][0]) if rows else None) != previous:
        return False
    f = follow_up
    await db.execute(_SAVE, (hall, f.ticket_id, f.step, day.isoformat(), f.status, f.note, f.by, f.at.isoformat()))
    return True
