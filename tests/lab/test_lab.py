"""The lab itself: a world binds only to 127.0.0.1, and stopping it closes every socket it opened."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from .scenario import SCENARIOS
from .world import World

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads listening sockets from /proc")]


def listening() -> set[tuple[str, int]]:
    """(address, port) of every TCP socket this process is listening on."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:            # 0A = LISTEN
                address, port = fields[1].split(":")
                raw = bytes.fromhex(address)
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))   # kernel byte order
                found.add((socket.inet_ntop(family, raw), int(port, 16)))
    return found


def test_a_world_listens_only_on_loopback_and_stops_everything(kubectl, tmp_path):
    before = listening()
    world = World(SCENARIOS["healthy"], tmp_path).start()
    try:
        opened = listening() - before
        assert len(opened) == 3                      # AWS front, STS proxy, Kubernetes API stand-in
        assert {address for address, _ in opened} == {"127.0.0.1"}
    finally:
        world.stop()
    assert listening() - before == set()
    for _, port in opened:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
