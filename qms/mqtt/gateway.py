"""The server's MQTT gateway: devices in, displays out (see DESIGN.md and `qms.contract`).

Theory of operation

- One connection per hall, kept by an explicit loop: connect with a last will (`$server` =
  `lost`, retained), subscribe to the devices' events and presence, republish every retained
  state (each window's display, each zone's screen), then announce `$server` = `ready` and
  clear what the broker still keeps of windows and zones the layout no longer has
  (`leftovers.py`); on `MqttError` wait (0.2 s doubling to 2 s) and start over. State
  published while the broker was away is therefore never lost: it is recomputed and
  republished on reconnect.
- Device events become hall commands through `HallService.submit` with the request key
  `mqtt/<device>/<msg_id>`: the actor's durable idempotency keys make a duplicate delivery
  answer the first result and change nothing. Refusals are not stored by the actor, so the
  gateway remembers recent refused msg_ids and answers a duplicate with the same refusal.
  Each message gets a task whose first await is `submit`, so one device's events reach the
  hall in the order they arrived, and the commands of many devices share a group commit.
- A dispenser's `evt/checkin` goes to the hall's booking desk instead (`qms.service.check_in`,
  the API's own path): the booking actor makes the ticket, idempotent by booking code, and the
  gateway remembers which booking each device's msg_id checked in, so a repeated delivery asks
  for that booking again and gets the same ticket and the same `cmd/print` msg_id.
- Displays follow the hall's stored events (`HallService.subscribe`, fan-out after commit):
  an event marks windows and zones dirty, and their views are computed from the committed
  hall and published retained when they changed, each with a new `seq` (milliseconds since
  the epoch, strictly increasing, and above an earlier run's even after the clock was set
  back: `seq.py`). Screens are
  coalesced (at most one publish per zone every `screen_interval` seconds); LED bars are
  published at once, since a citizen watches them for their number.
- A layout change (`LayoutChanged`) recomputes every window's display (an idle bar names its
  window's number) and every zone's screen, a new zone included. The retained state of a
  window or zone that is gone is cleared (an empty retained payload, MQTT's way to delete it),
  and again by the scan at every connect, which also finds those removed while the server was
  stopped: no bar or screen subscribing later is shown a window the hall no longer has.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import aiomqtt

from qms.config.devices import DeviceConfig
from qms.contract import (
    Ack,
    BookingCheckIn,
    ContractError,
    DeviceState,
    PrintTicket,
    Reconnect,
    ScreenState,
    ServerState,
    TakeTicket,
    Topic,
    TopicKind,
    VoiceAnnouncement,
    WindowDisplay,
    parse_topic,
    presence,
    topics,
)
from qms.core import events as e
from qms.core.errors import QmsError, Refused
from qms.core.estimate import estimate
from qms.core.model import Ticket
from qms.core.wording import staff_refusal
from qms.service import HallService
from qms.service.check_in import CheckInDesk, check_in
from qms.service.fanout import Subscription

from .broker import NO_DELAY, BrokerAddress
from .check_in import checked_in_text, refusal_text
from .leftovers import LeftoverScan, scan_filters
from .requests import StaffAccountLike, command_for, decode_for, success_message
from .seq import SeqClock
from .views import DisplayView, recent_by_zone, window_view, zone_lines

log = logging.getLogger(__name__)
# aiomqtt warns at every publish while more than ten await their PUBACK, which a burst of
# dispenser tickets does by design: only its errors are worth the server's log
client_log = logging.getLogger("qms.mqtt.client")
client_log.setLevel(logging.ERROR)

MIN_BACKOFF = 0.2
MAX_BACKOFF = 2.0  # a broker back after a restart may hold stale retained state: return soon
KEEPALIVE = 10  # seconds; a connection that held this long was a real one (`Reconnect.stable`)
REFUSALS_KEPT = 10_000
TicketUrl = Callable[[str], str]
V = TypeVar("V")


class Gateway:
    """One hall's MQTT gateway (see the module docstring); `start()` then `stop()`."""

    def __init__(
        self,
        service: HallService,
        devices: Sequence[DeviceConfig],
        address: BrokerAddress,
        *,
        ticket_url: TicketUrl,
        screen_interval: float = 0.5,
        client_id: str | None = None,
        staff: Sequence[StaffAccountLike] = (),
        booking: CheckInDesk | None = None,
        seq_file: Path | None = None,
    ) -> None:
        self.service = service
        self.booking = booking  # the hall's booking desk, for a dispenser's check-in (evt/checkin)
        self.hall_id = service.id
        self.devices = {d.id: d for d in devices}
        self.staff: Mapping[str, StaffAccountLike] = {a.username: a for a in staff}
        self.address = address
        self.ticket_url = ticket_url
        self.screen_interval = screen_interval
        self.client_id = client_id or f"qms-server-{self.hall_id}"
        self.connected = asyncio.Event()
        self.presence: dict[str, DeviceState] = {}
        self.stats = {"events": 0, "refused": 0, "published": 0, "connections": 0}
        self._client: aiomqtt.Client | None = None
        self._seq = SeqClock(seq_file)  # with a file: above what an earlier run sent (seq.py)
        self._windows = {w.id: w for w in service.config.windows}
        self._displays: dict[str, tuple[DisplayView, WindowDisplay]] = {}
        self._screens: dict[str, ScreenState] = {}
        self._dirty_zones: set[str] = set()
        # removed on the admin pages, to be cleared now (at connect `leftovers.py` finds them all)
        self._clearing_windows: set[str] = set()
        self._clearing_zones: set[str] = set()
        self._screen_wakeup = asyncio.Event()
        self._refusals: OrderedDict[str, Ack] = OrderedDict()
        self._check_ins: OrderedDict[str, str] = OrderedDict()  # request key -> the booking it checked in
        self._tasks: list[asyncio.Task[None]] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._scan: LeftoverScan | None = None  # the connection's, while it runs

    # ---- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Compute every display from the stored hall and start connecting (in the background)."""
        await self.service.committed()
        for window_id in self._windows:
            self._refresh_window(window_id)
        self._dirty_zones.update(self.service.config.zones())
        self._refresh_screens()
        subscription = self.service.subscribe(maxsize=100_000)
        self._tasks = [
            asyncio.create_task(self._follow_hall(subscription), name=f"mqtt-hall-{self.hall_id}"),
            asyncio.create_task(self._screens_loop(), name=f"mqtt-screens-{self.hall_id}"),
            asyncio.create_task(self._connection_loop(), name=f"mqtt-{self.hall_id}"),
        ]

    async def stop(self) -> None:
        """Say `$server` = `disconnected` (an orderly stop, not a loss) and disconnect."""
        client = self._client
        if client is not None:
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                await client.publish(
                    topics.server(self.hall_id), presence(ServerState.DISCONNECTED), qos=1, retain=True, timeout=2
                )
        for task in [*self._tasks, *self._handlers]:
            task.cancel()
        for task in [*self._tasks, *self._handlers]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def announce(self, zone: str, text: str, audio_url: str | None = None) -> bool:
        """Publish a call for a zone's speakers (`voice/<zone>`, not retained: a late player
        must not replay an old call). False when the broker is away: the call is not queued."""
        payload = VoiceAnnouncement(self._seq.next(), text, audio_url)
        if self._client is None:
            return False
        await self._publish(topics.voice(self.hall_id, zone), payload.encode())
        return True

    # ---- the connection ----------------------------------------------------------------

    async def _connection_loop(self) -> None:
        # the wait grows also when the broker closes each connection at once (a second server of
        # this hall with the same client id): the two would otherwise swap five times a second
        retry = Reconnect(first=MIN_BACKOFF, most=MAX_BACKOFF, stable=KEEPALIVE)
        a = self.address
        will = aiomqtt.Will(topics.server(self.hall_id), presence(ServerState.LOST), qos=1, retain=True)
        while True:
            scanning: asyncio.Task[None] | None = None
            try:
                async with aiomqtt.Client(
                    a.host,
                    a.port,
                    username=a.username,
                    password=a.password,
                    identifier=self.client_id,
                    will=will,
                    keepalive=KEEPALIVE,
                    clean_session=True,  # device events missed while away are retried by the devices
                    timeout=5,
                    socket_options=NO_DELAY,
                    logger=client_log,
                ) as client:
                    await client.subscribe(
                        [
                            (topics.all_device_events(self.hall_id), 1),
                            (topics.all_device_states(self.hall_id), 1),
                            *[(f, 1) for f in scan_filters(self.hall_id)],  # briefly: LeftoverScan
                        ]
                    )
                    self._client = client
                    await self._republish(client)
                    await client.publish(topics.server(self.hall_id), presence(ServerState.READY), qos=1, retain=True)
                    self.stats["connections"] += 1
                    self.connected.set()
                    log.info("hall %s: connected to the broker at %s", self.hall_id, a.url())
                    retry.connected(time.monotonic())
                    self._scan = LeftoverScan(client, self.hall_id, self._in_layout)
                    scanning = self._keep_handler(self._scan.clear())
                    async for message in client.messages:
                        self._dispatch(message)
            except aiomqtt.MqttError as exc:
                if self.connected.is_set():
                    log.warning("hall %s: lost the broker at %s: %s", self.hall_id, a.url(), exc)
                else:
                    log.debug("hall %s: cannot reach the broker at %s: %s", self.hall_id, a.url(), exc)
            finally:
                if scanning is not None:  # a scan of a connection lost: the next one scans again
                    scanning.cancel()
                self._client = self._scan = None
                self.connected.clear()
            wait, note = retry.lost(time.monotonic(), self.client_id)
            if note:
                log.warning("hall %s: the broker closed the connection%s; again in %.1f s", self.hall_id, note, wait)
            await asyncio.sleep(wait)

    async def _republish(self, client: aiomqtt.Client) -> None:
        """Every retained state again: the broker may have lost it, or kept an older one."""
        for window_id, (_, display) in self._displays.items():
            await client.publish(topics.window_display(self.hall_id, window_id), display.encode(), qos=1, retain=True)
        for zone, state in self._screens.items():
            await client.publish(topics.screen(self.hall_id, zone), state.encode(), qos=1, retain=True)

    def _in_layout(self, topic: Topic) -> bool:
        """Whether a display or screen topic is of a window or zone the hall has now."""
        if topic.kind is TopicKind.DISPLAY:
            return topic.window in self._windows
        return topic.zone in self.service.config.zones()

    async def _publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish if connected; state is republished on reconnect, answers are retried by devices."""
        client = self._client
        if client is None:
            return
        try:
            await client.publish(topic, payload, qos=1, retain=retain)
            self.stats["published"] += 1
        except aiomqtt.MqttError as exc:
            log.debug("hall %s: publishing %s failed: %s", self.hall_id, topic, exc)

    # ---- devices in --------------------------------------------------------------------

    def _dispatch(self, message: aiomqtt.Message) -> None:
        payload = message.payload
        data = bytes(payload) if isinstance(payload, bytes | bytearray) else str(payload or "").encode()
        try:
            topic = parse_topic(message.topic.value)
        except ContractError as err:
            log.warning("hall %s: ignored a message on %r: %s", self.hall_id, message.topic.value, err)
            return
        if topic.hall != self.hall_id:
            return
        if topic.device is None:
            if self._scan is not None:
                self._scan.offer(topic, message)
            return
        if topic.kind is TopicKind.DEVICE_STATE:
            self._note_presence(topic.device, data)
        elif topic.kind is TopicKind.EVENT and topic.name is not None:
            self._keep_handler(self._handle_event(topic.device, topic.name, data))

    def _keep_handler(self, work: Coroutine[None, None, None]) -> asyncio.Task[None]:
        """Run `work` as a task that `stop()` cancels."""
        task = asyncio.create_task(work)
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        return task

    def _note_presence(self, device_id: str, data: bytes) -> None:
        try:
            state = DeviceState.decode(data)
        except ContractError as err:
            log.warning("hall %s: device %s sent a bad $state: %s", self.hall_id, device_id, err)
            return
        if self.presence.get(device_id) is not state:
            level = logging.WARNING if state is DeviceState.LOST else logging.INFO
            log.log(level, "hall %s: device %s is %s", self.hall_id, device_id, state.value)
        self.presence[device_id] = state

    async def _handle_event(self, device_id: str, name: str, data: bytes) -> None:
        self.stats["events"] += 1
        msg_id = _msg_id_of(data)
        device = self.devices.get(device_id)
        key = f"mqtt/{device_id}/{msg_id}"
        try:
            event = decode_for(device, device_id, name, data)
            assert device is not None
            refused = self._refusals.get(key)
            if refused is not None:  # a duplicate of a refused event: the same answer, no new try
                await self._ack(device_id, refused)
                return
            if isinstance(event, BookingCheckIn):
                await self._check_in(device_id, key, event)
                return
            command = command_for(device, event, self.staff)
            events = await self.service.submit(command, actor=device_id, request_key=key)  # the first await
        except (ContractError, QmsError) as err:
            self.stats["refused"] += 1
            code = err.code
            message = err.message
            if name == "checkin":  # for the citizen at the dispenser's screen
                early = self.booking.service.ledger.hall.policy.booking_early_minutes if self.booking else 0
                message = refusal_text(code, message, early)
            elif name == "button":  # for the staff member at the keypad's small display
                message = staff_refusal(code, message)
            log.info("hall %s: refused evt/%s of %s (%s): %s", self.hall_id, name, device_id, code, message)
            ack = Ack.refusal(msg_id, code, message)
            if isinstance(err, ContractError) or err.code not in ("storage_unavailable", "hall_stopped"):
                _keep(self._refusals, key, ack)
            await self._ack(device_id, ack)
            return
        except Exception:  # a bug must not end the gateway: answer, log, go on
            log.exception("hall %s: evt/%s of %s failed", self.hall_id, name, device_id)
            await self._ack(device_id, Ack(msg_id, ok=False, error="internal_error", message="please try again"))
            return
        if isinstance(event, TakeTicket):
            await self._print(device_id, msg_id, events)
        await self._ack(device_id, Ack(msg_id, ok=True, message=success_message(device, event, events)))

    async def _check_in(self, device_id: str, key: str, event: BookingCheckIn) -> None:
        """A booking's check-in at a dispenser, through the same path as the API's. A repeated
        msg_id checks in the booking it checked in the first time (whose repeated check-in
        answers the same ticket), so it neither checks in twice nor prints a second ticket."""
        if self.booking is None:
            raise Refused(f"hall {self.hall_id} takes no online bookings", code="booking_disabled")
        code, id_number = event.code, event.id_number
        earlier = self._check_ins.get(key)
        if earlier is not None:
            code, id_number = earlier, None
        done = await check_in(self.booking, code=code, id_number=id_number, actor=device_id)  # the first await
        _keep(self._check_ins, key, done.booking.code)
        await self._print_ticket(device_id, event.msg_id, done.ticket)
        await self._ack(device_id, Ack(event.msg_id, ok=True, message=checked_in_text(done)))

    async def _ack(self, device_id: str, ack: Ack) -> None:
        await self._publish(topics.device_ack(self.hall_id, device_id), ack.encode())

    async def _print(self, device_id: str, msg_id: str, events: Sequence[e.Event]) -> None:
        issued = next((ev for ev in events if isinstance(ev, e.TicketIssued)), None)
        if issued is not None:
            await self._print_ticket(device_id, msg_id, issued.ticket)

    async def _print_ticket(self, device_id: str, msg_id: str, ticket: Ticket) -> None:
        """`cmd/print` of `ticket` with people ahead, the wait and the QR link; its msg_id
        follows the event's, so a printer prints a repeated answer once."""
        hall = await self.service.committed()
        now = self.service.now()
        try:
            est = estimate(hall, ticket.id, now)
            ahead, eta = est.people_ahead, est.eta_minutes
        except QmsError:  # replayed after the day rolled over
            ahead, eta = 0, None
        service = hall.services[ticket.service]
        command = PrintTicket(
            msg_id=("p-" + msg_id)[:64],  # the same for a repeated take: a printer prints once
            ticket=ticket.id,
            number=ticket.number,
            service=service.id,
            service_name=service.name,
            hall_name=hall.config.name,
            issued_at=hall.local(ticket.issued_at).isoformat(),
            people_ahead=ahead,
            eta_minutes=eta,
            qr_url=self.ticket_url(ticket.id),
        )
        await self._publish(topics.device_command(self.hall_id, device_id, "print"), command.encode())

    # ---- displays out ------------------------------------------------------------------

    async def _follow_hall(self, sub: Subscription) -> None:
        while True:
            async for event in sub:
                windows = self._note(event)
                if isinstance(event, e.LayoutChanged):
                    await self._clear_windows()
                if windows:
                    await self.service.committed()
                    await self._publish_windows(windows)
            if not sub.overflowed:
                return  # the hall stopped
            # fell behind: start over from the stored state
            log.warning("hall %s: the MQTT gateway fell behind the hall; recomputing every display", self.hall_id)
            sub = self.service.subscribe(maxsize=100_000)
            await self.service.committed()
            self._follow_layout()  # a LayoutChanged may be among the events missed; marks every zone
            await self._publish_windows(list(self._windows))
            await self._clear_windows()
            self._screen_wakeup.set()

    async def _publish_windows(self, windows: Sequence[str]) -> None:
        """Publish the displays of `windows` that changed: all computed from the one committed
        state at hand before the first publish awaits."""
        views = [(w, self._refresh_window(w)) for w in windows]
        for window_id, view in views:
            if view is not None:
                await self._publish(topics.window_display(self.hall_id, window_id), view.encode(), retain=True)

    def _note(self, event: e.Event) -> list[str]:
        """Mark what `event` changes; returns the windows whose display may have changed."""
        if isinstance(event, e.ServiceRated | e.HelpRequested):
            return []
        self._dirty_zones.update(self._screens)  # waiting counts and estimates move with everything else
        self._screen_wakeup.set()
        if isinstance(event, e.DayOpened):
            return list(self._windows)
        if isinstance(event, e.LayoutChanged):  # windows added, removed or renamed on the admin pages
            self._follow_layout()
            return list(self._windows)
        found = [getattr(event, name, None) for name in ("window", "from_window")]
        return [w for w in found if isinstance(w, str) and w in self._windows]

    def _follow_layout(self) -> None:
        """Take the hall's windows and zones as they are now: a removed one's display or
        screen is to be cleared, a new zone's screen to be published."""
        config = self.service.config
        self._windows = {w.id: w for w in config.windows}
        zones = config.zones()
        for window_id in [w for w in self._displays if w not in self._windows]:
            del self._displays[window_id]
            self._clearing_windows.add(window_id)
        for zone in [z for z in self._screens if z not in zones]:
            del self._screens[zone]
            self._clearing_zones.add(zone)
        self._clearing_windows -= self._windows.keys()  # a window back (the same id) is not cleared
        self._clearing_zones -= set(zones)
        self._dirty_zones = set(zones)  # every zone's screen again, and none of a gone zone

    async def _clear_windows(self) -> None:
        """Clear the retained displays of the windows just removed (those missed while the broker
        was away are found at the next connect: `LeftoverScan`)."""
        while self._clearing_windows:
            window_id = self._clearing_windows.pop()
            await self._publish(topics.window_display(self.hall_id, window_id), b"", retain=True)

    def _refresh_window(self, window_id: str) -> WindowDisplay | None:
        """The window's display if it changed (with a new seq), else None."""
        view = window_view(self.service.hall, self._windows[window_id])
        old = self._displays.get(window_id)
        if old is not None and old[0] == view:
            return None
        display = WindowDisplay(self._seq.next(), view.ticket, view.text, view.state)
        self._displays[window_id] = (view, display)
        return display

    def _refresh_screens(self) -> list[tuple[str, ScreenState]]:
        hall, now = self.service.hall, self.service.now()
        changed = []
        recent_calls = recent_by_zone(hall) if self._dirty_zones else {}
        for zone in sorted(self._dirty_zones):
            waiting, eta = zone_lines(hall, zone, now)
            recent = recent_calls.get(zone, ())
            old = self._screens.get(zone)
            if old is not None and (old.recent, old.waiting, old.eta) == (recent, waiting, eta):
                continue
            state = ScreenState(self._seq.next(), recent, waiting, eta)
            self._screens[zone] = state
            changed.append((zone, state))
        self._dirty_zones.clear()
        return changed

    async def _screens_loop(self) -> None:
        while True:
            await self._screen_wakeup.wait()
            self._screen_wakeup.clear()
            await self.service.committed()
            while self._clearing_zones:  # here, so that no state of the zone can come after
                await self._publish(topics.screen(self.hall_id, self._clearing_zones.pop()), b"", retain=True)
            for zone, state in self._refresh_screens():
                await self._publish(topics.screen(self.hall_id, zone), state.encode(), retain=True)
            await asyncio.sleep(self.screen_interval)


def _keep(kept: OrderedDict[str, V], key: str, value: V) -> None:
    """Note `value` under `key`, forgetting the oldest beyond REFUSALS_KEPT (a device retries
    within seconds, so only recent answers are ever asked for again)."""
    kept[key] = value
    while len(kept) > REFUSALS_KEPT:
        kept.popitem(last=False)


def _msg_id_of(data: bytes) -> str:
    """The msg_id to answer, even from a payload that is otherwise bad."""
    try:
        value = json.loads(data).get("msg_id")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return "-"
    return value if isinstance(value, str) and 0 < len(value) <= 64 else "-"
