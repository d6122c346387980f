#!/usr/bin/python3
"""Modbus TCP test peer for linewise, written for Debian's python3-pymodbus
(3.0.x; the packaged `pymodbus.server` command is broken on Python 3.11).

Run with Debian's interpreter: /usr/bin/python3 pymodbus_server.py --port N
It serves unit 1 with known values (see LAYOUT below; the Go test holds the
same table) and answers "illegal data address" outside the preloaded blocks.
Prints "ready <port>" on stdout once it is about to serve.
"""
import argparse
import asyncio
import logging
import struct
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server import StartAsyncTcpServer


def words_be(fmt, value):
    """Registers of value packed big-endian: high word first."""
    raw = struct.pack(">" + fmt, value)
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


def layout():
    # Holding registers 0..19 (20 and above answer "illegal data address").
    hr = [0] * 20
    hr[0] = 1234                                   # uint16
    hr[1] = 0xFFFE                                 # int16 -2
    hr[2:4] = words_be("f", 12.5)                  # float32, high word first
    hr[4:6] = list(reversed(words_be("f", 12.5)))  # float32, low word first
    hr[6:8] = words_be("i", -123456)               # int32, high word first
    hr[8:10] = list(reversed(words_be("i", -123456)))  # int32, low word first
    hr[10:12] = words_be("I", 3000000000)          # uint32, high word first
    hr[12:16] = words_be("d", -3.25)               # float64
    # Input registers 0..9.
    ir = [0] * 10
    ir[0] = 4321
    ir[1:3] = words_be("f", -7.75)
    ir[3:5] = list(reversed(words_be("i", 70000)))
    # Coils 0..15 and discrete inputs 0..15.
    co = [False] * 16
    co[0], co[3], co[9] = True, True, True
    di = [False] * 16
    di[1], di[15] = True, True
    return hr, ir, co, di


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    hr, ir, co, di = layout()
    slave = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, hr),
        ir=ModbusSequentialDataBlock(0, ir),
        co=ModbusSequentialDataBlock(0, co),
        di=ModbusSequentialDataBlock(0, di),
        zero_mode=True,  # address 0 on the wire is element 0 of the block
    )
    ctx = ModbusServerContext(slaves={1: slave}, single=False)
    print("ready", args.port, flush=True)
    await StartAsyncTcpServer(context=ctx, address=(args.host, args.port), allow_reuse_address=True)


if __name__ == "__main__":
    asyncio.run(main())
