"""Timing shared by the benchmarks: contenders in interleaved rounds, best loop of each."""

from __future__ import annotations

import timeit
from collections.abc import Callable

ROUND_S = 0.05
"""Length of one timed loop; short loops, many rounds: a noisy spell spoils few of them."""


def best_us_each(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` µs per call of each of ``fns`` (already warmed by the caller).

    The contenders are timed in interleaved rounds (one loop of each, ``repeat`` times), so a
    slow spell of a shared machine hits them alike and their ratios stay meaningful.
    """
    timers = {name: timeit.Timer(fn) for name, fn in fns.items()}
    loops = {}
    for name, timer in timers.items():
        n, seconds = timer.autorange()  # at least 0.2 s: n calls take `seconds`
        loops[name] = max(1, int(n * ROUND_S / seconds))
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(loops[name]) / loops[name])
    return {name: seconds * 1e6 for name, seconds in best.items()}
