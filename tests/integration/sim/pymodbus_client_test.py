"""`streamforge sim` against pymodbus's client, an independent Modbus implementation.

The simulator prints its register map with the values at a frozen time (--print-map --time T);
a server started with the same options and --time T must serve exactly those values, decoded by
pymodbus according to the map (float32 ABCD, scaled int16, uint16/uint32, bits). Then exceptions,
writes, unit-id policies, live time and a clean SIGTERM shutdown.

Usage: pymodbus_client_test.py STREAMFORGE_BINARY
"""

import json
import math
import re
import signal
import subprocess
import sys
import time
import unittest

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusIOException
from pymodbus.pdu import ExceptionResponse

BIN = None
FROZEN = 4321.0
PLANT_ARGS = ["--seed", "5", "--units", "1,2", "--pumps", "2", "--tanks", "1",
              "--compressors", "2", "--scale-registers", "50"]


class Sim:
    """A `streamforge sim` process on a free port."""

    def __init__(self, *extra):
        self.proc = subprocess.Popen(
            [BIN, "sim", "--listen", "127.0.0.1:0", *PLANT_ARGS, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = None
        self.banner = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line)
            m = re.search(r"modbus tcp:\s+127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if line.startswith("Press Ctrl-C"):
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("simulator did not start: %s %s"
                               % ("".join(self.banner), self.proc.stderr.read()))

    def client(self, **kw):
        c = ModbusTcpClient("127.0.0.1", port=self.port, timeout=kw.get("timeout", 3),
                            retries=kw.get("retries", 3))
        if not c.connect():
            raise RuntimeError("cannot connect to the simulator")
        return c

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


def print_map(*extra):
    out = subprocess.run([BIN, "sim", *PLANT_ARGS, "--print-map", "--format", "json", *extra],
                         check=True, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


def read_tag(client, tag):
    """Reads one tag as a gateway would from the map entry; returns the engineering value."""
    unit, addr, table, kind = tag["unit_id"], tag["address"], tag["table"], tag["type"]
    if table in ("coil", "discrete_input"):
        fn = client.read_coils if table == "coil" else client.read_discrete_inputs
        rr = fn(addr, count=1, device_id=unit)
        assert not rr.isError(), (tag["tag"], rr)
        return 1.0 if rr.bits[0] else 0.0
    fn = client.read_holding_registers if table == "holding_register" else client.read_input_registers
    rr = fn(addr, count=tag["count"], device_id=unit)
    assert not rr.isError(), (tag["tag"], rr)
    dt = client.DATATYPE
    data_type = {"float32": dt.FLOAT32, "int16": dt.INT16, "uint16": dt.UINT16,
                 "uint32": dt.UINT32}[kind]
    if tag.get("word_order", "ABCD") != "ABCD":
        raise AssertionError("unexpected word order " + tag["word_order"])
    raw = client.convert_from_registers(rr.registers, data_type, word_order="big")
    return raw * tag["scale"]


class FrozenPlant(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.map = print_map("--time", str(FROZEN), "--tags", "all")
        cls.sim = Sim("--time", str(FROZEN))
        cls.client = cls.sim.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        assert cls.sim.stop() == 0

    def test_banner(self):
        text = "".join(self.sim.banner)
        self.assertIn("units:      1-2", text)
        self.assertIn("2 pumps, 1 tank, 2 compressors", text)

    def test_map_shape(self):
        tags = self.map["tags"]
        self.assertEqual(self.map["simulator"]["seed"], 5)
        self.assertEqual(self.map["simulator"]["time"], FROZEN)
        names = {(t["unit_id"], t["tag"]) for t in tags}
        self.assertEqual(len(names), len(tags))
        for want in ["pump1.flow", "pump2.motor_current", "tank1.level", "tank1.high_level_switch",
                     "compressor2.vibration", "compressor1.run_enable", "plant.sim_time",
                     "pump1.flow_ir", "load.hr10049", "load.ir10000"]:
            self.assertIn((2, want), names)
        level = next(t for t in tags if t["tag"] == "tank1.level" and t["unit_id"] == 1)
        self.assertEqual(level["alarm"], {"lo_lo": 5, "lo": 10, "hi": 85, "hi_hi": 95})
        self.assertEqual((level["table"], level["function"], level["address"], level["type"],
                          level["word_order"], level["unit"]),
                         ("holding_register", 3, 1000, "float32", "ABCD", "%"))

    def test_every_value_matches_the_map(self):
        checked = 0
        for tag in self.map["tags"]:
            got = read_tag(self.client, tag)
            want = tag["value"]
            self.assertTrue(math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12),
                            "%s unit %d: pymodbus read %r, map says %r"
                            % (tag["tag"], tag["unit_id"], got, want))
            checked += 1
        self.assertGreater(checked, 200)

    def test_block_reads_and_time(self):
        rr = self.client.read_holding_registers(3000, count=10, device_id=2)
        self.assertFalse(rr.isError())
        dt = self.client.DATATYPE
        self.assertEqual(self.client.convert_from_registers(rr.registers[0:2], dt.UINT32), 4321)
        self.assertEqual(rr.registers[2], 43210)  # 100 ms ticks
        self.assertEqual(rr.registers[3:7], [2, 2, 1, 2])
        rr = self.client.read_input_registers(10000, count=50, device_id=1)
        self.assertEqual(rr.registers, [(65535 - i - 4321) % 65536 for i in range(50)])
        rr = self.client.read_coils(0, count=20, device_id=1)  # two pump blocks
        self.assertEqual(rr.bits[:20], [True] + [False] * 9 + [True] + [False] * 9)

    def test_exceptions(self):
        # No third pump, no third tank... outside any block: illegal data address (02).
        for fn, addr in [(self.client.read_holding_registers, 20),
                         (self.client.read_holding_registers, 1010),
                         (self.client.read_input_registers, 3000),
                         (self.client.read_holding_registers, 10050)]:
            rr = fn(addr, count=1, device_id=1)
            self.assertTrue(rr.isError(), addr)
            self.assertIsInstance(rr, ExceptionResponse)
            self.assertEqual(rr.exception_code, 2, addr)
        # A read running past the last pump.
        rr = self.client.read_holding_registers(15, count=10, device_id=1)
        self.assertEqual(rr.exception_code, 2)
        # Measured values are read-only.
        rr = self.client.write_register(0, 1, device_id=1)
        self.assertEqual(rr.exception_code, 2)
        # A unit id that is not served: gateway target failed to respond (0x0B).
        rr = self.client.read_holding_registers(0, count=2, device_id=9)
        self.assertEqual(rr.exception_code, 0x0B)

    def test_writes(self):
        rr = self.client.write_registers(4010, [1, 2, 65535], device_id=2)
        self.assertFalse(rr.isError())
        self.assertEqual(self.client.read_holding_registers(4010, count=3, device_id=2).registers,
                         [1, 2, 65535])
        self.assertEqual(self.client.read_holding_registers(4010, count=1, device_id=1).registers,
                         [0])
        self.assertFalse(self.client.write_coils(4000, [True, False, True], device_id=1).isError())
        self.assertEqual(self.client.read_coils(4000, count=3, device_id=1).bits[:3],
                         [True, False, True])
        # Stop compressor 2 of unit 2 with its run command: its running input drops at once.
        self.assertFalse(self.client.write_coil(2010, False, device_id=2).isError())
        self.assertFalse(self.client.read_coils(2010, count=1, device_id=2).bits[0])
        self.assertFalse(self.client.read_discrete_inputs(2010, count=1, device_id=2).bits[0])
        self.assertFalse(self.client.write_coil(2010, True, device_id=2).isError())
        self.assertTrue(self.client.read_coils(2010, count=1, device_id=2).bits[0])


class LivePlant(unittest.TestCase):
    def test_time_moves_and_sigterm_stops(self):
        sim = Sim("--speed", "10", "--unknown-unit", "silence")
        try:
            client = sim.client()
            first = client.read_holding_registers(3002, count=1, device_id=1).registers[0]
            time.sleep(0.5)
            second = client.read_holding_registers(3002, count=1, device_id=1).registers[0]
            self.assertNotEqual(first, second)
            client.close()
            # Silence for unknown units: the client times out, the server stays up.
            quiet = sim.client(timeout=0.5, retries=0)
            with self.assertRaises(ModbusIOException):
                rr = quiet.read_holding_registers(0, count=1, device_id=42)
                if rr.isError():  # some versions return the error instead of raising
                    raise ModbusIOException(str(rr))
            quiet.close()
            again = sim.client()
            self.assertFalse(again.read_holding_registers(0, count=2, device_id=1).isError())
            again.close()
        finally:
            rc = sim.stop()
        self.assertEqual(rc, 0)

    def test_many_clients(self):
        sim = Sim("--units", "1-20")  # a later option wins over PLANT_ARGS
        try:
            clients = [sim.client() for _ in range(30)]
            for round_ in range(3):
                for i, c in enumerate(clients):
                    unit = 1 + (i + round_) % 20
                    rr = c.read_holding_registers(3003, count=1, device_id=unit)
                    self.assertEqual(rr.registers, [unit])
            for c in clients:
                c.close()
        finally:
            self.assertEqual(sim.stop(), 0)


if __name__ == "__main__":
    BIN = sys.argv.pop(1)
    unittest.main(verbosity=2)
