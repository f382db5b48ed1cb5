"""The model of benches/long-poisson.toml written with SimPy, for speed.

100 hours of Poisson arrivals at 3 per second against one model limited to
150 requests per fixed 60 s window (windows aligned to the minute), the
abuse lockout off. A request tries at most 6 times; an admitted attempt is
answered after 1 s, a refused one after 100 ms, and a refused attempt n
(n = 1 for the first retry) waits U * min(30 s, 1 s * 2^n) before the next.
Run by benches/simpy/compare.sh, which also runs ratesim on the scenario and
prints both throughputs.
"""

import random
import sys
import time

import simpy

HOURS = float(sys.argv[1]) if len(sys.argv) > 1 else 100.0
DURATION = HOURS * 3600.0
RATE = 3.0
RPM = 150
ATTEMPTS = 6
BASE, CAP = 1.0, 30.0
ANSWER, REFUSAL = 1.0, 0.1


def main():
    rng = random.Random(1)
    env = simpy.Environment()
    counts = {}
    totals = {"arrivals": 0, "succeeded": 0, "gave_up": 0, "attempts": 0}

    def request(env):
        for attempt in range(1, ATTEMPTS + 1):
            totals["attempts"] += 1
            window = int(env.now // 60.0)
            if counts.get(window, 0) < RPM:
                counts[window] = counts.get(window, 0) + 1
                yield env.timeout(ANSWER)
                totals["succeeded"] += 1
                return
            yield env.timeout(REFUSAL)
            if attempt == ATTEMPTS:
                totals["gave_up"] += 1
                return
            yield env.timeout(rng.random() * min(CAP, BASE * 2.0**attempt))

    def arrivals(env):
        while True:
            yield env.timeout(rng.expovariate(RATE))
            if env.now >= DURATION:
                return
            totals["arrivals"] += 1
            env.process(request(env))

    start = time.perf_counter()
    env.process(arrivals(env))
    env.run(until=DURATION)
    wall = time.perf_counter() - start
    print(
        f"simpy: {totals['arrivals']} arrivals, {totals['succeeded']} succeeded, "
        f"{totals['gave_up']} gave up, {totals['attempts']} attempts in {wall:.2f} s: "
        f"{totals['arrivals'] / wall:,.0f} simulated requests per wall second"
    )


if __name__ == "__main__":
    main()
