"""Load on the client: 16 threads sending 2 000 DescribeRegions calls through one Client to
the local moto server (loopback only, bounded in count and time). No failures beyond the
server's own, connections pooled and released, client memory flat; prints calls/s."""

from __future__ import annotations

import gc
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

from sigv4kit.ec2 import ApiError, Client

from .servers import MotoServer

THREADS, CALLS = 16, 2000


def test_sixteen_threads_two_thousand_calls(moto_server: MotoServer) -> None:
    client = Client("us-east-1", moto_server.credentials, endpoint_url=moto_server.endpoint_url,
                    timeout=(5.0, 30.0), retry_base_delay=0.05)
    failures: list[str] = []

    def one(_: int) -> None:
        try:
            client.call("DescribeRegions", {"RegionNames": ["us-east-1"]})
        except ApiError as err:  # the server's own failures are reported, not hidden
            failures.append(err.code)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, range(200)))  # warm-up: pools filled, models and plans loaded
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        start = time.perf_counter()
        list(pool.map(one, range(CALLS)))
        elapsed = time.perf_counter() - start
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
    growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
    manager = client.session.get_adapter(moto_server.endpoint_url).poolmanager
    # urllib3's RecentlyUsedContainer refuses iteration; keys() is its way.
    (pool_,) = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118
    idle = sum(1 for conn in list(pool_.pool.queue) if conn is not None)
    print(f"\nload: {CALLS} calls, {THREADS} threads, {CALLS / elapsed:.0f} calls/s, "
          f"{pool_.num_connections} connections opened, {idle} idle after, memory growth "
          f"{growth / 1024:.0f} KiB, server failures {len(failures)}")
    assert failures == []
    assert 1 <= pool_.num_connections <= THREADS + 2  # pooled: not one connection per call
    assert idle == pool_.num_connections  # every connection was released to the pool
    assert growth < 2 * 1024 * 1024
    client.close()
