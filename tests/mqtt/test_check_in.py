"""Booking check-in at the dispenser (`evt/checkin`): a real Mosquitto on loopback, the gateway,
a real hall with `[booking]` (its booking actor, SQLite), and the dispenser as an aiomqtt client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from firmware_bridge.bridge import Bridge
from firmware_bridge.emulators import BusDeviceEmulator, PrinterEmulator
from firmware_bridge.messages import AckResult, CheckInBy
from firmware_bridge.messages import DeviceKind as WireKind
from qms.config.devices import DeviceConfig
from qms.contract import Broker, DeviceKind
from qms.core.booking import BookableService, BookingRules, BookingState, LateCheckIn
from qms.core.model import Channel, PriorityClass
from qms.mqtt.broker import ManagedBroker, free_port
from qms.mqtt.gateway import Gateway
from qms.service import HallService
from qms.service.booking import Book, BookingService
from qms.storage import SqliteStore
from qms.storage.bookings import SqliteBookingStore
from qms.web.booking_desk import BookingDesk
from tests.core.test_booking import slot
from tests.factories import at, small_hall
from tests.fakes import FakeWorkingDays, JumpClock
from tests.firmware_bridge.chain import dispenser_config
from tests.service.test_booking_service import HASHER, RULES, make, valid_id

from .harness import DEVICES, HALL, PASSWORD, WAIT, device, running_hall

pytestmark = pytest.mark.slow


@dataclass
class BookingHall:
    service: HallService
    booking: BookingService
    clock: JumpClock
    broker: ManagedBroker

    @property
    def port(self) -> int:
        return self.broker.port


@asynccontextmanager
async def booking_hall(
    tmp: Path, rules: BookingRules = RULES, devices: Sequence[DeviceConfig] = DEVICES
) -> AsyncIterator[BookingHall]:
    """A hall with online booking on a clock the test moves, its broker and gateway."""
    clock = JumpClock(at(10))
    path = tmp / "qms.sqlite3"
    store, bookings = SqliteStore(path), SqliteBookingStore(path)
    await store.open()
    await bookings.open()
    hall = HallService(small_hall(), store, clock=clock)
    booking = BookingService(hall, rules, bookings, FakeWorkingDays())
    await hall.start()
    await booking.start()
    broker = ManagedBroker(tmp / "mqtt", HALL, devices, port=free_port())
    address = await broker.start()
    desk = BookingDesk(booking, HASHER)
    gateway = Gateway(hall, devices, address, ticket_url=lambda t: f"http://127.0.0.1:8000/t/{t}", booking=desk)
    await gateway.start()
    try:
        await asyncio.wait_for(gateway.connected.wait(), WAIT)
        yield BookingHall(hall, booking, clock, broker)
    finally:
        await gateway.stop()
        await broker.stop()
        await booking.stop()
        await hall.stop()
        await bookings.close()
        await store.close()


async def checked_in_events(h: BookingHall) -> int:
    return len(await h.booking.store.events(h.booking.id, ("BookingCheckedIn",)))


def test_check_in_at_the_dispenser_on_time_late_unknown_and_repeated(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with booking_hall(tmp_path) as h, device("dispenser-1", h.port) as dispenser:
            on_time = await h.booking.submit(Book(make(1)))
            by_id = await h.booking.submit(Book(make(2)))
            late = await h.booking.submit(Book(make(3)))
            tomorrow = await h.booking.submit(Book(make(4, start=slot(25, 9))))
            h.clock.jump(slot(24, 8, 45))

            ack = await dispenser.send("checkin", msg_id="c-1", code=on_time.code.lower())  # typed in lower case
            assert ack.ok and ack.message == "签到成功 A001（预约优先）", ack
            printed = await dispenser.expect("cmd/print", "p-c-1")
            assert (printed["number"], printed["service"], printed["service_name"]) == ("A001", "social", "社保卡办理")
            assert printed["people_ahead"] == 0 and printed["qr_url"].endswith("/t/" + printed["ticket"])
            hall = await h.service.committed()
            ticket = hall.ticket(printed["ticket"])
            assert (ticket.channel, ticket.priority) == (Channel.BOOKING, PriorityClass.BOOKING)
            ledger = await h.booking.committed()
            assert ledger.booking(on_time.code).state is BookingState.CHECKED_IN
            assert ledger.booking(on_time.code).ticket_id == ticket.id

            # delivered twice: the first answer and the same print msg_id; one check-in, one ticket
            assert await dispenser.send("checkin", msg_id="c-1", code=on_time.code) == ack
            assert await dispenser.expect("cmd/print", "p-c-1") == printed
            assert len((await h.service.committed()).tickets()) == 1
            assert await checked_in_events(h) == 1

            # refusals: the booking's stable code, a line for the screen, nothing changes
            for fields, code, text in [
                ({"code": "NOSUCH99"}, "unknown_booking", "未找到该预约，请核对预约码"),
                ({"code": tomorrow.code}, "booking_too_early", "未到签到时间，请在预约时段开始前30分钟内签到"),
                ({"id_number": valid_id(9)}, "no_booking_today", "该证件今日在本厅没有预约，请取普通号"),
                ({"id_number": valid_id(9)[:17] + "0"}, "bad_value", "预约码或身份证号码有误，请重试"),
                ({"code": on_time.code, "id_number": valid_id(1)}, "missing_field", "请输入预约码或读取身份证"),
            ]:
                refused = await dispenser.send("checkin", **fields)
                assert (refused.ok, refused.error, refused.message) == (False, code, text), fields
            assert len((await h.service.committed()).tickets()) == 1
            assert await checked_in_events(h) == 1
            assert (await h.booking.committed()).booking(tomorrow.code).state is BookingState.BOOKED

            # by ID number (read from the ID card)
            ack = await dispenser.send("checkin", msg_id="c-2", id_number=valid_id(2))
            assert ack.ok and ack.message == "签到成功 A002（预约优先）"
            printed = await dispenser.expect("cmd/print", "p-c-2")
            assert printed["number"] == "A002"
            assert (await h.booking.committed()).booking(by_id.code).ticket_id == printed["ticket"]
            assert await dispenser.send("checkin", msg_id="c-2", id_number=valid_id(2)) == ack
            assert await checked_in_events(h) == 2

            # too late: an ordinary ticket (late_check_in = "ordinary")
            h.clock.jump(slot(24, 9, 20))
            ack = await dispenser.send("checkin", msg_id="c-3", code=late.code)
            assert ack.ok and ack.message == "签到成功 A003（已过预约时间，按普通号排队）"
            printed = await dispenser.expect("cmd/print", "p-c-3")
            ticket = (await h.service.committed()).ticket(printed["ticket"])
            assert ticket.priority is not PriorityClass.BOOKING
            assert (await h.booking.committed()).booking(late.code).late
            assert await checked_in_events(h) == 3

    asyncio.run(scenario())


def test_late_check_in_refused_by_the_rules_and_a_hall_without_booking(tmp_path: Path) -> None:
    refuse = BookingRules(services=(BookableService("social", capacity=3),), late_check_in=LateCheckIn.REFUSE)

    for part in ("a", "b"):
        (tmp_path / part).mkdir()

    async def scenario() -> None:
        async with booking_hall(tmp_path / "a", refuse) as h, device("dispenser-1", h.port) as dispenser:
            late = await h.booking.submit(Book(make(1)))
            h.clock.jump(slot(24, 9, 20))
            refused = await dispenser.send("checkin", msg_id="late-1", code=late.code)
            assert (refused.ok, refused.error, refused.message) == (False, "booking_late", "已超过签到时间，请取普通号")
            assert await dispenser.send("checkin", msg_id="late-1", code=late.code) == refused
            assert not (await h.service.committed()).tickets()
            assert (await h.booking.committed()).booking(late.code).state is BookingState.BOOKED
            h.clock.jump(slot(24, 11))  # the slot has ended
            missed = await dispenser.send("checkin", code=late.code)
            assert (missed.error, missed.message) == ("booking_missed", "预约已过期，请取普通号")

        async with running_hall(tmp_path / "b") as hall, device("dispenser-1", hall.port) as dispenser:
            refused = await dispenser.send("checkin", code="ABCD2345")
            assert (refused.ok, refused.error) == (False, "booking_disabled")
            assert refused.message == "本大厅未开通网上预约，请取普通号"
            async with device("keypad-w1", hall.port) as keypad:
                wrong = await keypad.send("checkin", code="ABCD2345")
                assert wrong.error == "wrong_kind"
            assert not (await hall.service.committed()).tickets()

    asyncio.run(scenario())


BRIDGED = (
    DeviceConfig("bridge-1", DeviceKind.BRIDGE, password=PASSWORD),
    DeviceConfig("dispenser-1", DeviceKind.DISPENSER, bridge="bridge-1"),
)


def test_check_in_through_the_firmware_bridge_with_a_scanner_and_an_id_card_reader(tmp_path: Path) -> None:
    """Dispenser panel and printer emulated on ptys, the bridge, the broker, the gateway, the booking hall."""

    async def scenario() -> None:
        panel = BusDeviceEmulator(WireKind.DISPENSER, 4)
        printer = PrinterEmulator(tmp_path / "tickets")
        config = dispenser_config(panel.path, printer.path, tmp_path / "bridge")
        try:
            async with booking_hall(tmp_path, devices=BRIDGED) as h:
                made = await h.booking.submit(Book(make(1)))
                await h.booking.submit(Book(make(2)))
                h.clock.jump(slot(24, 8, 50))
                bridge = Bridge(config, HALL, Broker("127.0.0.1", h.port, "bridge-1", PASSWORD), reconnect_max=0.5)
                running = asyncio.create_task(bridge.run())
                try:
                    # scanned from the booking's QR code: the answer on the panel, the ticket on the printer
                    assert await panel.check_in(CheckInBy.CODE, made.code) is AckResult.OK
                    await panel.wait_for(lambda d: d.shown is not None and "签到成功 A001" in d.shown.text, WAIT)
                    (job,) = await printer.wait_for_jobs(1, WAIT)
                    assert "A001" in job.text and "社保卡办理" in job.text and len(job.qr_codes) == 1
                    ledger = await h.booking.committed()
                    assert ledger.booking(made.code).state is BookingState.CHECKED_IN

                    # read from the ID card
                    assert await panel.check_in(CheckInBy.ID_NUMBER, valid_id(2)) is AckResult.OK
                    await panel.wait_for(lambda d: d.shown is not None and "签到成功 A002" in d.shown.text, WAIT)
                    await printer.wait_for_jobs(2, WAIT)

                    # an unknown code: the reason on the panel, two beeps, nothing printed
                    beeps = panel.beeps
                    assert await panel.check_in(CheckInBy.CODE, "NOSUCH99") is AckResult.OK  # the hall has it
                    await panel.wait_for(lambda d: d.shown is not None and "未找到该预约" in d.shown.text, WAIT)
                    await panel.wait_for(lambda d: d.beeps == beeps + 2, WAIT)
                    with pytest.raises(ValueError):  # a misread ID number never leaves the panel
                        panel.check_in(CheckInBy.ID_NUMBER, valid_id(3)[:17] + "0")
                    await asyncio.sleep(0.3)
                    assert len(printer.jobs) == 2
                    assert len((await h.service.committed()).tickets()) == 2
                finally:
                    bridge.stop()
                    await asyncio.wait_for(running, WAIT)
        finally:
            panel.close()
            printer.close()

    asyncio.run(scenario())
