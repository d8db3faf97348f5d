"""How fast the travel matrix is, against geopy's per-pair geodesic measured in the same run.

python -m bench.travel_matrix [--points 1000] [--sample 2000]
"""

from __future__ import annotations

import argparse
import random
import time

from geopy.distance import geodesic

from bench.report import replace_section
from data.travel import GeodesicTravel
from dispatch.model import Location


def main() -> None:
    """Time the full matrix, time geopy on a sample of pairs, check they agree."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    rnd = random.Random(1)
    points = [Location(31.0 + 0.5 * rnd.random(), 121.2 + 0.6 * rnd.random()) for _ in range(args.points)]
    model = GeodesicTravel(circuity=1.0)
    started = time.perf_counter()
    matrix = model.matrix(points)
    ours = time.perf_counter() - started
    pairs = [(rnd.randrange(args.points), rnd.randrange(args.points)) for _ in range(args.sample)]
    started = time.perf_counter()
    exact = [geodesic((points[i].lat, points[i].lon), (points[j].lat, points[j].lon)).m for i, j in pairs]
    per_pair = (time.perf_counter() - started) / args.sample
    worst = max(abs(matrix.meters[i][j] - m) for (i, j), m in zip(pairs, exact, strict=True))
    n2 = args.points * (args.points - 1) / 2
    lines = [
        f"`python -m bench.travel_matrix --points {args.points}`",
        "",
        "| points | our matrix (s) | geopy per pair (µs) | geopy for the same pairs, extrapolated (s) | ratio | worst gap to geopy (m) |",
        "|---|---|---|---|---|---|",
        f"| {args.points} | {ours:.2f} | {per_pair * 1e6:.0f} | {per_pair * n2:.1f} | {per_pair * n2 / ours:.0f}× | {worst:.2f} |",
    ]
    print("\n".join(lines))
    replace_section("travel-matrix", "\n".join(lines))


if __name__ == "__main__":
    main()
