"""A pymodbus server that integration tests script: register maps per unit id, exception
ranges, response delays, silent units, all changeable at run time through stdin.

Usage:
  pymodbus_peer.py tcp [--framer socket|rtu] MAP.json        (prints "READY <port>")
  pymodbus_peer.py serial --port /dev/pts/N --baud 19200 --parity E MAP.json   ("READY serial")

MAP.json: {"units": {"1": {"holding": {"100": [1, 2]}, "input": {...}, "coils": {"0": [1, 0]},
"discrete_inputs": {...}, "strict": true, "exceptions": [{"table": "holding", "from": 5,
"to": 6, "code": 2}], "delay": 0.0, "silent": false}}}

Commands on stdin, one JSON object per line, applied in order:
  {"unit": 2, "delay": 0.3}    {"unit": 3, "silent": true}    {"unit": 4, "remove": true}
  {"unit": 1, "set": {"table": "holding", "address": 10, "values": [1, 2]}}
  {"dump": 1}   prints "DUMP <json of unit 1>" on stdout
Written values (FC 5, 6, 15, 16) update the map.
"""

import argparse
import asyncio
import json
import logging
import sys
import threading

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

TABLE_OF_FC = {1: "coils", 5: "coils", 15: "coils", 2: "discrete_inputs",
               3: "holding", 6: "holding", 16: "holding", 22: "holding", 23: "holding",
               4: "input"}
TABLE_NAMES = {"coil": "coils", "coils": "coils", "discrete_input": "discrete_inputs",
               "discrete_inputs": "discrete_inputs", "holding": "holding", "input": "input"}


class Unit:
    def __init__(self, spec):
        self.tables = {name: {} for name in ("coils", "discrete_inputs", "holding", "input")}
        for name in self.tables:
            for start, values in spec.get(name, {}).items():
                self.set(name, int(start), values)
        self.strict = spec.get("strict", True)
        self.exceptions = spec.get("exceptions", [])
        self.delay = float(spec.get("delay", 0))
        self.silent = bool(spec.get("silent", False))

    def set(self, table, address, values):
        for i, v in enumerate(values):
            self.tables[table][address + i] = int(v)

    def exception_for(self, table, address, count):
        for e in self.exceptions:
            if TABLE_NAMES[e["table"]] == table and address < e["to"] and address + count > e["from"]:
                return ExcCodes(e["code"])
        return None

    def dump(self):
        return {name: {str(a): v for a, v in sorted(t.items())} for name, t in self.tables.items()}


class ScriptedContext(ModbusServerContext):
    """The datastore the server calls (async_getValues / async_setValues per request)."""

    def __init__(self, spec):  # pylint: disable=super-init-not-called
        self.old_simulator = True  # take this object as it is
        self.simdevices = []
        self.units = {int(k): Unit(v) for k, v in spec.get("units", {}).items()}

    def device_ids(self):
        return list(self.units.keys())

    async def _unit(self, device_id):
        unit = self.units.get(device_id)
        if unit is None:
            raise NoSuchIdException(f"device id {device_id} is not served")
        if unit.delay:
            await asyncio.sleep(unit.delay)
        if unit.silent:
            # Never answer: the client times out. (Sleeping past any client timeout keeps the
            # server's request handling simple.)
            await asyncio.sleep(3600)
        return unit

    async def async_getValues(self, device_id, func_code, address, count=1):
        unit = await self._unit(device_id)
        table = TABLE_OF_FC[func_code]
        exc = unit.exception_for(table, address, count)
        if exc is not None:
            return exc
        out = []
        for a in range(address, address + count):
            if a not in unit.tables[table] and unit.strict:
                return ExcCodes.ILLEGAL_ADDRESS
            v = unit.tables[table].get(a, 0)
            out.append(bool(v) if table in ("coils", "discrete_inputs") else v)
        return out

    async def async_setValues(self, device_id, func_code, address, values):
        unit = await self._unit(device_id)
        table = TABLE_OF_FC[func_code]
        exc = unit.exception_for(table, address, len(values))
        if exc is not None:
            return exc
        unit.set(table, address, [int(v) for v in values])
        return None


def apply(ctx, cmd):
    if "dump" in cmd:
        unit = ctx.units.get(int(cmd["dump"]))
        print("DUMP " + json.dumps(unit.dump() if unit else None), flush=True)
        return
    uid = int(cmd["unit"])
    if cmd.get("remove"):
        ctx.units.pop(uid, None)
        return
    unit = ctx.units.setdefault(uid, Unit({}))
    if "delay" in cmd:
        unit.delay = float(cmd["delay"])
    if "silent" in cmd:
        unit.silent = bool(cmd["silent"])
    if "set" in cmd:
        s = cmd["set"]
        unit.set(TABLE_NAMES[s["table"]], int(s["address"]), s["values"])
    if "exceptions" in cmd:
        unit.exceptions = cmd["exceptions"]
    print("OK", flush=True)


def read_commands(loop, ctx):
    for line in sys.stdin:
        line = line.strip()
        if line:
            loop.call_soon_threadsafe(apply, ctx, json.loads(line))
    loop.call_soon_threadsafe(loop.stop)  # stdin closed: the test is gone


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["tcp", "serial"])
    p.add_argument("map")
    p.add_argument("--framer", default="socket", choices=["socket", "rtu"])
    p.add_argument("--port", default="")
    p.add_argument("--baud", type=int, default=19200)
    p.add_argument("--parity", default="E")
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with open(args.map, encoding="utf-8") as f:
        ctx = ScriptedContext(json.load(f))
    loop = asyncio.get_running_loop()
    if args.mode == "tcp":
        framer = FramerType.SOCKET if args.framer == "socket" else FramerType.RTU
        # Port 0: the kernel picks a free port while binding (no window for another process).
        server = ModbusTcpServer(ctx, framer=framer, address=("127.0.0.1", 0))
    else:
        server = ModbusSerialServer(ctx, framer=FramerType.RTU, port=args.port,
                                    baudrate=args.baud, parity=args.parity, timeout=0.05)
    # READY only once the server listens (TCP) or has the port open (serial): the test connects
    # right after it. A server that cannot start raises here, and the test sees no READY.
    await server.serve_forever(background=True)
    if args.mode == "tcp":
        print(f"READY {server.transport.sockets[0].getsockname()[1]}", flush=True)
    else:
        print("READY serial", flush=True)
    threading.Thread(target=read_commands, args=(loop, ctx), daemon=True).start()
    try:
        await server.serving
    except asyncio.CancelledError:
        pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except RuntimeError:
        pass  # loop stopped when stdin closed
