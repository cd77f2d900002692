#!/usr/bin/env python3
"""A Sparkplug B edge node that is not ours: payloads from pysparkplug (PyPI), transport paho-mqtt.

Publishes NBIRTH/DBIRTH/NDATA/DDATA with aliases and engineering units, then skips seq numbers
on purpose and waits for the host's rebirth request (NCMD "Node Control/Rebirth"); on it, it
rebirths, sends more data, and finally publishes its NDEATH. Prints one line per step; exits 0
when the host asked for the rebirth, 3 when it did not within the timeout.

Usage: sparkplug_edge.py HOST PORT GROUP NODE DEVICE
"""
import sys
import threading
import time

import paho.mqtt.client as mqtt
from pysparkplug import DataType, DBirth, DData, Metric, NBirth, NData, NDeath, get_current_timestamp
from pysparkplug._protobuf import Payload as PbPayload


def with_units(raw: bytes, units: dict) -> bytes:
    """Adds engUnit properties (pysparkplug's Metric has no properties) via its protobuf classes."""
    p = PbPayload()
    p.ParseFromString(raw)
    for m in p.metrics:
        if m.name in units:
            m.properties.keys.append("engUnit")
            v = m.properties.values.add()
            v.type = int(DataType.STRING)
            v.string_value = units[m.name]
    return p.SerializeToString()


def main() -> int:
    host, port, group, node, device = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    base = f"spBv1.0/{group}"
    rebirth = threading.Event()
    subscribed = threading.Event()
    bd_seq = 0

    def ndeath() -> bytes:
        return NDeath(timestamp=get_current_timestamp(),
                      bd_seq_metric=Metric(timestamp=get_current_timestamp(), name="bdSeq",
                                           datatype=DataType.INT64, value=bd_seq)).encode()

    def on_message(_c, _u, msg):
        p = PbPayload()
        p.ParseFromString(msg.payload)
        for m in p.metrics:
            if m.name == "Node Control/Rebirth" and m.boolean_value:
                print("rebirth-received", flush=True)
                rebirth.set()

    client = mqtt.Client(client_id=f"edge-{group}-{node}", clean_session=True)
    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    client.will_set(f"{base}/NDEATH/{node}", ndeath(), qos=1, retain=False)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    client.subscribe(f"{base}/NCMD/{node}", qos=1)
    if not subscribed.wait(10):
        print("no SUBACK", flush=True)
        return 2

    def pub(kind: str, payload: bytes, dev: bool = False) -> None:
        topic = f"{base}/{kind}/{node}" + (f"/{device}" if dev else "")
        client.publish(topic, payload, qos=0).wait_for_publish()
        print(f"published {kind}", flush=True)

    def births(temp: float) -> None:
        ts = get_current_timestamp()
        nb = NBirth(timestamp=ts, seq=0, metrics=(
            Metric(timestamp=ts, name="bdSeq", datatype=DataType.INT64, value=bd_seq),
            Metric(timestamp=ts, name="Node Control/Rebirth", datatype=DataType.BOOLEAN, value=False, alias=1),
            Metric(timestamp=ts, name="Inputs/Temp", datatype=DataType.DOUBLE, value=temp, alias=2),
            Metric(timestamp=ts, name="Inputs/Count", datatype=DataType.INT32, value=-3, alias=3),
            Metric(timestamp=ts, name="Status", datatype=DataType.STRING, value="ok", alias=4),
        ))
        pub("NBIRTH", with_units(nb.encode(), {"Inputs/Temp": "degC"}))
        db = DBirth(timestamp=ts, seq=1, metrics=(
            Metric(timestamp=ts, name="Speed", datatype=DataType.FLOAT, value=1.5, alias=10),
            Metric(timestamp=ts, name="Running", datatype=DataType.BOOLEAN, value=True, alias=11),
        ))
        pub("DBIRTH", with_units(db.encode(), {"Speed": "rpm"}), dev=True)

    def ndata(seq: int, alias: int, value: float) -> bytes:
        ts = get_current_timestamp()
        return NData(timestamp=ts, seq=seq, metrics=(
            Metric(timestamp=ts, name=None, datatype=DataType.DOUBLE, value=value, alias=alias),)).encode()

    births(20.5)
    pub("NDATA", ndata(2, 2, 21.5))
    ts = get_current_timestamp()
    pub("DDATA", DData(timestamp=ts, seq=3, metrics=(
        Metric(timestamp=ts, name=None, datatype=DataType.FLOAT, value=2.5, alias=10),)).encode(), dev=True)
    # A gap: seq 4..8 never sent. The host must ask for a rebirth.
    pub("NDATA", ndata(9, 2, 22.5))
    if not rebirth.wait(15):
        print("no rebirth request", flush=True)
        return 3
    births(23.5)
    pub("NDATA", ndata(2, 2, 24.5))
    time.sleep(0.2)
    pub("NDEATH", ndeath())
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
