#!/usr/bin/env python3
"""Readiness probe for the test Kafka brokers, speaking the Kafka wire protocol directly.

Sends a real Metadata request (v4, non-flexible, supported by Kafka 2.x to 4.x) and succeeds when
the answering broker lists at least --brokers registered brokers and, with --full-isr, every
partition of every topic has its full replica set in sync. In KRaft mode only unfenced brokers
appear in a Metadata response, so "listed" means "ready to lead partitions".

No client library and no JVM: it starts in milliseconds, which matters on a 2-core machine that
is busy starting brokers.

Usage: kafka_probe.py HOST:PORT[,HOST:PORT...] [--brokers N] [--full-isr] [--timeout SECONDS]
                      [--pids PID,PID...]
Exit status 0 when ready, 1 on timeout or when one of --pids exits (the reason goes to stderr).
"""
import argparse
import os
import socket
import struct
import sys
import time

METADATA = 3
METADATA_VERSION = 4


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("short Metadata response")
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def int16(self):
        return self.take(">h")

    def int32(self):
        return self.take(">i")

    def boolean(self):
        return self.take(">b") != 0

    def string(self):
        length = self.int16()
        if length < 0:
            return None
        value = self.data[self.pos:self.pos + length].decode("utf-8", "replace")
        self.pos += length
        return value

    def array(self, item):
        count = self.int32()
        return [item() for _ in range(max(count, 0))]


def recv_exact(sock, size):
    chunks = []
    while size > 0:
        chunk = sock.recv(size)
        if not chunk:
            raise ConnectionError("connection closed by broker")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def metadata(host, port, timeout):
    client_id = b"sf-probe"
    # Request header v1: api_key, api_version, correlation_id, client_id.
    header = struct.pack(">hhih", METADATA, METADATA_VERSION, 1, len(client_id)) + client_id
    # Metadata v4 body: topics = null (all topics), allow_auto_topic_creation = false.
    body = struct.pack(">ib", -1, 0)
    request = header + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", recv_exact(sock, 4))
        r = Reader(recv_exact(sock, size))
    r.int32()  # correlation id
    r.int32()  # throttle time
    brokers = r.array(lambda: (r.int32(), r.string(), r.int32(), r.string()))
    r.string()  # cluster id
    r.int32()  # controller id

    def partition():
        error = r.int16()
        index = r.int32()
        leader = r.int32()
        replicas = r.array(r.int32)
        isr = r.array(r.int32)
        return (error, index, leader, replicas, isr)

    def topic():
        error = r.int16()
        name = r.string()
        r.boolean()  # is_internal
        return (error, name, r.array(partition))

    return brokers, r.array(topic)


def check(host, port, want_brokers, full_isr, timeout):
    brokers, topics = metadata(host, port, timeout)
    if len(brokers) < want_brokers:
        return "%d of %d brokers registered" % (len(brokers), want_brokers)
    if full_isr:
        for error, name, partitions in topics:
            if error != 0:
                return "topic %s: error %d" % (name, error)
            for p_error, index, leader, replicas, isr in partitions:
                if leader < 0 or set(isr) != set(replicas):
                    return "%s-%d: leader %d, isr %s of replicas %s" % (
                        name, index, leader, sorted(isr), sorted(replicas))
    return None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap")
    parser.add_argument("--brokers", type=int, default=1)
    parser.add_argument("--full-isr", action="store_true")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--pids", default="", help="give up as soon as one of these exits")
    args = parser.parse_args()
    pids = [int(p) for p in args.pids.split(",") if p]

    deadline = time.monotonic() + args.timeout
    reason = "not tried"
    while True:
        for address in args.bootstrap.split(","):
            host, _, port = address.rpartition(":")
            try:
                reason = check(host, int(port), args.brokers, args.full_isr, 5.0)
                if reason is None:
                    return 0
            except (OSError, ValueError) as e:
                reason = "%s: %s" % (address, e)
        dead = [p for p in pids if not alive(p)]
        if dead:
            print("kafka_probe: process %s exited; %s not ready: %s" % (dead, args.bootstrap, reason),
                  file=sys.stderr)
            return 1
        if time.monotonic() >= deadline:
            print("kafka_probe: %s not ready: %s" % (args.bootstrap, reason), file=sys.stderr)
            return 1
        time.sleep(0.25)


if __name__ == "__main__":
    sys.exit(main())
