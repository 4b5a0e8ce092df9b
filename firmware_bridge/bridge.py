"""The bridge: the hall's serial devices on one side, the MQTT broker on the other.

One task per serial port (`serial_ports`), one MQTT connection with a reconnect loop. What a
person does at a device becomes `dev/<dev>/evt/<name>` with a fresh `msg_id`, and the device is
acknowledged once the broker has the event (PUBACK), or once `CONFIRM_WITHIN` has passed while a
slow broker has it on the way (the bridge owns it then), always before the device gives up; a
press the bridge could not send makes the keypad report a failure instead of vanishing. Each
event is in the outbox on disk before it is sent, until the server answers it (`outbox`). The
server's `dev/<dev>/ack` to that event is shown on the device's display for a few seconds (with
two beeps when it is a refusal). Commands (`cmd/show`, `cmd/beep`, `cmd/print`) are answered on
`dev/<dev>/ack`; a repeated `msg_id` gets the first answer again and is not acted on twice, so a
ticket is printed once.

Presence: the bridge is the presence root of the devices behind it. Its own `dev/<bridge>/$state`
is `ready` while it is connected, with a last will of `lost`; each device's `$state` (retained) is
`init` until it first answers, `ready` while it answers, and `lost` when it stops answering or its
port goes away. Each device's `$meta` names the bridge as `parent`, so whoever reads a device's
state also reads its bridge's: a device behind a lost bridge is lost, whatever its last `$state`.
On an orderly stop the bridge marks every device and itself `lost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

import aiomqtt

from firmware_bridge import mapping
from firmware_bridge import messages as wire
from firmware_bridge.answers import Answers, msg_id_of
from firmware_bridge.config import BridgeConfig, DeviceConfig, PortKind
from firmware_bridge.host import (
    CommandResult,
    DeviceAbsent,
    DeviceDown,
    DeviceHello,
    DeviceInput,
    DeviceStatus,
    DeviceUp,
    FrameRejected,
    HostLink,
    LinkEvent,
)
from firmware_bridge.mqtt_session import MqttSession
from firmware_bridge.outbox import Outbox, OutboxError
from firmware_bridge.presence import Part, Presence
from firmware_bridge.printer import PrinterDown, PrinterEvent, PrinterLink, PrinterPaper, PrinterUp
from firmware_bridge.serial_ports import BusPort, PrinterPort, PrinterUnavailable
from firmware_bridge.ticket import render_ticket
from firmware_bridge.unanswered import Unanswered
from qms.contract import (
    Ack,
    Beep,
    Broker,
    ContractError,
    DeviceKind,
    DeviceState,
    HelpPressed,
    PrintTicket,
    ShowText,
    TopicKind,
    WindowDisplay,
    decode_command,
    parse_topic,
    topics,
)

log = logging.getLogger(__name__)

RESULT_SECONDS = 5  # how long a keypad shows the server's answer to a press
REMEMBERED_MSG_IDS = 256  # per device: the events whose server acks are shown on the device
COMMAND_TIMEOUT = 5.0
#: A device gives up on an event 1 s after its first try (PROTOCOL.md: 5 tries, 200 ms apart); the
#: bridge answers within this, so that the answer is heard and a lost ACK can still be repeated.
CONFIRM_WITHIN = 0.5
SUPPLY_NOTES = (
    (wire.StatusFlag.PAPER_OUT, "取号机缺纸，请更换纸卷"),
    (wire.StatusFlag.PAPER_LOW, "取号机纸将用完，请准备纸卷"),
    (wire.StatusFlag.FAULT, "取号机故障，请检查"),
)


class Bridge:
    """Serial devices <-> MQTT for one hall. `await run()` until `stop()`."""

    def __init__(self, config: BridgeConfig, hall: str, broker: Broker, *, reconnect_max: float = 10.0) -> None:
        self.config = config
        self.hall = topics.check_id("hall", hall)
        self.broker = broker
        self.reconnect_max = reconnect_max
        self.devices = {d.id: d for d in config.devices}
        self.presence = Presence(config.devices)
        # msg_ids are "<boot>-<counter>" and must never repeat: the server acts on a msg_id once and
        # remembers it, and events of an earlier start are sent again after this one. The start time
        # tells starts apart; the random part covers two in one second or a clock set back.
        self._boot = f"{int(time.time()):x}{os.urandom(4).hex()}"
        self._counter = 0
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._firmware: dict[str, str] = {}
        self._flags: dict[tuple[str, str], wire.StatusFlag] = {}
        self._displays: dict[str, WindowDisplay] = {}  # window -> the last display state
        self._answers = {d: Answers() for d in self.devices}
        self._sent_events: OrderedDict[str, str] = OrderedDict()  # msg_id -> device, for the server's acks
        self._unanswered = Unanswered()  # events sent again until the server answers them
        self._results: dict[tuple[str, int], asyncio.Future[wire.AckResult | None]] = {}
        self._buses: dict[str, BusPort] = {}
        self._printers: dict[str, PrinterPort] = {}
        self._by_address: dict[tuple[str, int], DeviceConfig] = {}
        self.mqtt = MqttSession(
            config,
            self.hall,
            broker,
            self.presence,
            lambda topic, payload: self._spawn(self._on_message(topic, payload)),
            lambda device_id: self._firmware.get(device_id, ""),
            reconnect_max,
        )
        loop = asyncio.get_running_loop()
        for port in config.ports:
            if port.kind is PortKind.RS485:
                on_bus = [d for d in config.devices if d.port == port.name]
                self._by_address.update({(port.name, d.address): d for d in on_bus if d.address is not None})
                link = HostLink(
                    [d.address for d in on_bus if d.address is not None],
                    nonce=int.from_bytes(os.urandom(2), "big"),
                    now=loop.time(),
                    poll_interval=config.poll_interval,
                    lost_after=config.lost_after,
                )
                self._buses[port.name] = BusPort(port, link, functools.partial(self._bus_events, port.name))
            else:
                owner = next(d for d in config.devices if d.printer == port.name)
                plink = PrinterLink(loop.time(), config.poll_interval, config.lost_after)
                self._printers[owner.id] = PrinterPort(port, plink, functools.partial(self._printer_events, owner))
        self.outbox = Outbox(config.data / f"outbox-{config.id}.sqlite3")  # OutboxError: the folder is unusable
        kept = self.outbox.load(self._unanswered.give_up_after)
        for event in kept:  # sent again (the same msg_id) by `_resend_unanswered` once the broker is there
            self._unanswered.restored(event.msg_id, event.device, event.topic, event.payload, loop.time() - event.age)
            self._remember_event(event.msg_id, event.device)  # its answer is shown on the device, as before
        if kept:
            log.warning("%d confirmed events from before this start are sent again", len(kept))

    # ---- running -------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until `stop()`; serial ports and the broker are reopened whenever they drop."""
        ports = [*self._buses.values(), *self._printers.values()]
        workers = [asyncio.create_task(p.run(), name=f"port {p.config.name}") for p in ports]
        workers.append(asyncio.create_task(self.mqtt.run(self._stopping), name="mqtt"))
        workers.append(asyncio.create_task(self._resend_unanswered(), name="resend"))
        try:
            await self._stopping.wait()
            if self.mqtt.client is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(3):
                        await self.mqtt.farewell.wait()
        finally:
            for task in [*workers, *self._tasks]:
                task.cancel()
            await asyncio.gather(*workers, *self._tasks, return_exceptions=True)
            self.outbox.close()

    @property
    def connected(self) -> asyncio.Event:
        """Set while the bridge is connected to the broker."""
        return self.mqtt.connected

    @property
    def _client(self) -> aiomqtt.Client | None:
        return self.mqtt.client

    @property
    def states(self) -> dict[str, DeviceState]:
        """Each device's presence now."""
        return self.presence.states

    async def wait_for_state(self, device_id: str, state: DeviceState) -> None:
        """Wait until the device's presence is `state` (wrap it in a timeout)."""
        await self.presence.wait_for(device_id, state)

    def stop(self) -> None:
        """Ask `run()` to mark every device and the bridge `lost` and return."""
        self._stopping.set()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bridge task failed", exc_info=task.exception())

    # ---- presence ------------------------------------------------------------------------

    # ---- serial side -----------------------------------------------------------------------

    def _bus_events(self, port: str, events: list[LinkEvent]) -> None:
        for event in events:
            device = self._by_address.get((port, event.address))
            if device is None:
                continue
            match event:
                case DeviceUp(_, kind):
                    if kind is not None and mapping.KINDS.get(kind) is not device.kind:
                        log.error("%s: the device at address %s is a %s", device.id, event.address, kind.name)
                    self.presence.set(device.id, Part.BUS, True)
                    if device.kind is DeviceKind.LED_BAR and device.window in self._displays:
                        self._spawn(self._show_display(device, self._displays[device.window]))
                case DeviceHello(_, _, firmware):
                    self._firmware[device.id] = firmware
                    self._spawn(self.mqtt.publish_meta(device))
                case DeviceDown():
                    self.presence.set(device.id, Part.BUS, False)
                case DeviceInput():
                    self._spawn(self._device_input(port, device, event))
                case CommandResult(_, token, result):
                    future = self._results.pop((port, token), None)
                    if future is not None and not future.done():
                        future.set_result(result)
                case DeviceStatus(_, flags):
                    log.warning("%s reports %s", device.id, flags)
                    self._supplies(device, "panel", flags)
                case FrameRejected(_, code, text):
                    log.warning("%s sent a frame that makes no sense: %s: %s", device.id, code, text)

    def _printer_events(self, device: DeviceConfig, events: list[PrinterEvent]) -> None:
        for event in events:
            match event:
                case PrinterUp():
                    self.presence.set(device.id, Part.PRINTER, True)
                case PrinterDown():
                    self.presence.set(device.id, Part.PRINTER, False)
                case PrinterPaper(flags):
                    log.warning("%s printer reports %s", device.id, flags or "paper and printer fine again")
                    self._supplies(device, "printer", flags)

    def _supplies(self, device: DeviceConfig, part: str, flags: wire.StatusFlag) -> None:
        """Paper running out or a fault calls a staff member to the device, once per new trouble.

        The contract has no topic for supplies; a dispenser may send `evt/help`, and a person with
        a roll of paper is exactly the help it needs, so the note says what to bring.
        """
        before = self._flags.get((device.id, part), wire.StatusFlag.NONE)
        self._flags[device.id, part] = flags
        new = flags & ~before
        if device.kind is not DeviceKind.DISPENSER or not new:
            return
        flag, note = next((flag, text) for flag, text in SUPPLY_NOTES if new & flag)
        self._spawn(self._publish_help(device, part, flag, note))

    def _new_msg_id(self) -> str:
        """A `msg_id` for a new device event: "<boot>-<counter>", never used before."""
        self._counter += 1
        return f"{self._boot}-{self._counter}"

    async def _publish_help(self, device: DeviceConfig, part: str, flag: wire.StatusFlag, note: str) -> None:
        """Call staff as the help button would: once the broker is there (the paper stays out
        until someone comes), and again until the server answers, unless the trouble is over."""
        msg_id = self._new_msg_id()
        topic, payload = topics.device_event(self.hall, device.id, "help"), HelpPressed(msg_id, note).encode()
        loop = asyncio.get_running_loop()
        while self._flags.get((device.id, part), wire.StatusFlag.NONE) & flag:
            client = self._client
            if client is None or not self.connected.is_set():
                log.warning("%s: %s (said once the broker is back)", device.id, note)
                await self.connected.wait()
                continue
            try:
                await client.publish(topic, payload, qos=1)
            except aiomqtt.MqttError:
                await asyncio.sleep(self._unanswered.resend_after)  # the connection is going: the next one
                continue
            # Not in the outbox: no device was told OK, and a restarted bridge finds the paper out
            # again and calls staff anew.
            await self.outbox.remove(self._unanswered.sent(msg_id, device.id, topic, payload, loop.time()))
            return

    async def _device_input(self, port: str, device: DeviceConfig, press: DeviceInput) -> None:
        bus = self._buses[port]
        msg_id = self._new_msg_id()
        ok = False
        try:
            name, event = mapping.device_event(device, press.message, msg_id, self.config.transfer_window)
            client = self._client
            if client is None:
                log.warning("%s: %s while the broker is away; the device is told it failed", device.id, name)
            else:
                topic, payload = topics.device_event(self.hall, device.id, name), event.encode()
                # On disk before it is sent, so before the device hears OK: a kill -9 or a power cut
                # from here on cannot lose a press the person was told counts (`outbox`).
                await self.outbox.keep(msg_id, device.id, topic, payload)
                self._remember_event(msg_id, device.id)
                sent_at = asyncio.get_running_loop().time()
                try:
                    async with asyncio.timeout(CONFIRM_WITHIN):
                        await client.publish(topic, payload, qos=1)
                except TimeoutError:
                    # Handed to a connected client, so it may well arrive: refusing it now could make a
                    # press happen that the keypad called failed. Kept and sent again instead (below).
                    log.warning("%s: the broker is slow to take %s; the bridge keeps it", device.id, msg_id)
                except aiomqtt.MqttError:
                    await self.outbox.remove([msg_id])  # the keypad says it failed: never sent after a restart
                    raise
                await self.outbox.remove(self._unanswered.sent(msg_id, device.id, topic, payload, sent_at))
                ok = True
        except mapping.Refused as refused:
            log.warning("%s: %s", device.id, refused)
        except (aiomqtt.MqttError, ContractError) as error:
            log.warning("%s: event not published: %s", device.id, error)
        except OutboxError as error:
            log.error("%s: event not kept, so not sent; the device is told it failed: %s", device.id, error)
        finally:
            bus.confirm(press, ok)

    async def _resend_unanswered(self) -> None:
        """Publish again (the same msg_id) each event the server has not answered; see `unanswered`."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._unanswered.resend_after / 2)
            client = self._client
            if client is None or not self._unanswered:
                continue
            again, dropped = self._unanswered.due(loop.time())
            for msg_id, event in dropped:
                log.warning("%s: the server never answered event %s; dropped", event.device, msg_id)
            await self.outbox.remove([msg_id for msg_id, _ in dropped])
            for msg_id, event in again:
                log.info("%s: no answer to event %s yet; sent again", event.device, msg_id)
                with contextlib.suppress(aiomqtt.MqttError):
                    await client.publish(event.topic, event.payload, qos=1)

    def _remember_event(self, msg_id: str, device_id: str) -> None:
        self._sent_events[msg_id] = device_id
        while len(self._sent_events) > REMEMBERED_MSG_IDS * max(len(self.devices), 1):
            self._sent_events.popitem(last=False)

    # ---- MQTT side -----------------------------------------------------------------------

    async def _on_message(self, topic_text: str, payload: bytes) -> None:
        try:
            topic = parse_topic(topic_text)
        except ContractError as error:
            log.warning("ignored %s: %s", topic_text, error)
            return
        if topic.kind is TopicKind.DISPLAY and topic.window is not None:
            await self._on_display(topic.window, payload)
        elif topic.kind is TopicKind.COMMAND and topic.device in self.devices and topic.name is not None:
            await self._on_command(self.devices[topic.device], topic.name, payload)
        elif topic.kind is TopicKind.ACK and topic.device in self.devices:
            await self._on_server_ack(self.devices[topic.device], payload)

    async def _on_display(self, window: str, payload: bytes) -> None:
        if not payload:
            return  # the retained display was cleared: keep what the bar shows
        try:
            display = WindowDisplay.decode(payload)
        except ContractError as error:
            log.warning("window %s: display ignored: %s", window, error)
            return
        last = self._displays.get(window)
        if last is not None and display.seq <= last.seq:
            return  # a late or repeated frame
        self._displays[window] = display
        bars = [d for d in self.config.devices if d.kind is DeviceKind.LED_BAR and d.window == window]
        await asyncio.gather(*(self._show_display(bar, display) for bar in bars))

    async def _show_display(self, bar: DeviceConfig, display: WindowDisplay) -> None:
        result = await self._send(bar, mapping.display_show(display))
        if result is not wire.AckResult.OK:
            log.warning("%s did not take the display %r: %s", bar.id, display.text, result)

    async def _on_command(self, device: DeviceConfig, name: str, payload: bytes) -> None:
        try:
            command = decode_command(name, payload)
        except ContractError as error:
            log.warning("%s: bad cmd/%s: %s", device.id, name, error)
            msg_id = msg_id_of(payload)
            if msg_id is not None:
                await self._answer(device, Ack.refusal(msg_id, error.code, error.message))
            return
        ack = await self._answers[device.id].once(
            command.msg_id, functools.partial(self._execute_safely, device, command)
        )
        await self._answer(device, ack)  # a repeated msg_id gets the same answer; nothing is done twice

    async def _execute_safely(self, device: DeviceConfig, command: Any) -> Ack:
        try:
            return await self._execute(device, command)
        except Exception as error:  # a bug must not leave the server without an answer
            log.exception("%s: %s failed", device.id, type(command).__name__)
            return Ack(command.msg_id, False, "bridge_error", str(error)[:200])

    async def _execute(self, device: DeviceConfig, command: Any) -> Ack:
        msg_id = command.msg_id
        try:
            if isinstance(command, PrintTicket):
                if device.kind is not DeviceKind.DISPENSER or device.id not in self._printers:
                    raise mapping.Refused("unsupported", f"a {device.kind.value} has no printer")
                job = render_ticket(mapping.ticket_print(command))
                self._printers[device.id].print_job(job)
                return Ack(msg_id, True, message=f"已打印 {command.number}")
            if isinstance(command, ShowText | Beep):
                if device.address is None:
                    raise mapping.Refused("unsupported", f"{device.id} has no display or buzzer on the bus")
                result = await self._send(device, mapping.bus_command(device, command))
                if result is wire.AckResult.OK:
                    return Ack(msg_id, True)
                code = "device_lost" if result is None else f"device_{result.name.lower()}"
                return Ack(msg_id, False, code, f"{device.id} answered {result.name if result else 'nothing'}")
            raise mapping.Refused("unsupported", f"{type(command).__name__} is not for a bridge device")
        except mapping.Refused as refused:
            return Ack.refusal(msg_id, refused.code, refused.message)
        except PrinterUnavailable as error:
            return Ack(msg_id, False, error.code, str(error))

    async def _send(self, device: DeviceConfig, message: wire.Show | wire.Beep) -> wire.AckResult | None:
        assert device.port is not None and device.address is not None
        bus = self._buses[device.port]
        try:
            token = bus.send(device.address, message)
        except DeviceAbsent:
            return None
        future: asyncio.Future[wire.AckResult | None] = asyncio.get_running_loop().create_future()
        self._results[device.port, token] = future
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                return await future
        except TimeoutError:
            self._results.pop((device.port, token), None)
            return None

    async def _answer(self, device: DeviceConfig, ack: Ack) -> None:
        client = self._client
        if client is None:
            return
        with contextlib.suppress(aiomqtt.MqttError):
            await client.publish(topics.device_ack(self.hall, device.id), ack.encode(), qos=1)

    async def _on_server_ack(self, device: DeviceConfig, payload: bytes) -> None:
        try:
            ack = Ack.decode(payload)
        except ContractError:
            return
        self._unanswered.answered(ack.msg_id)
        self._spawn(self.outbox.remove([ack.msg_id]))  # beside showing the answer, which waits for the device
        if self._sent_events.pop(ack.msg_id, None) != device.id:
            return  # our own answer to a command, or an answer to somebody else
        if device.address is None or device.kind is DeviceKind.LED_BAR:
            return
        text = ack.message or ("" if ack.ok else f"失败: {ack.error}")
        if text and device.kind in (DeviceKind.KEYPAD, DeviceKind.RATING_PAD, DeviceKind.DISPENSER):
            await self._send(device, mapping.show(text, seconds=RESULT_SECONDS))
        if not ack.ok:
            await self._send(device, wire.Beep(2))
