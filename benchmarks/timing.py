"""What every benchmark here shares: medians of repeated runs, contenders interleaved."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(function: Callable[[], object], repeats: int = 10) -> float:
    """Median wall time of ``function()`` over ``repeats`` runs, after one warm-up run."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(contenders: dict[str, Callable[[], object]], repeats: int, rounds: int = 3):
    """Median seconds of each contender, measured in alternating rounds so that a
    change in machine load during the run affects every contender alike."""
    results = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, function in contenders.items():
            results[name].append(median_seconds(function, repeats))
    return {name: statistics.median(times) for name, times in results.items()}
