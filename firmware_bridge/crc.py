"""CRC-16/MODBUS: poly 0x8005 reflected (0xA001), init 0xFFFF, no final xor; check("123456789") == 0x4B37.

The same CRC as Modbus RTU, so a technician's RS-485 sniffer and every microcontroller library
already know it. Table-driven: a keypad press is a dozen bytes, but the fuzzer feeds megabytes.
"""

from __future__ import annotations


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def crc16_modbus(data: bytes | bytearray | memoryview) -> int:
    """The CRC-16/MODBUS of `data`, as an int in 0..0xFFFF (sent low byte first, as Modbus does)."""
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
