#!/usr/bin/env bash
# Runs the long-poisson model in SimPy and in ratesim, end to end (process
# start to outputs written), and prints simulated requests per wall second
# of each and their ratio. Needs python3; SimPy is installed into a virtual
# environment under target/ on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/simpy-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "simpy==4.1.1"
fi
cargo build --release --locked --quiet
start=$(date +%s.%N)
out=$("$venv/bin/python" benches/simpy/long_poisson.py)
simpy_wall=$(echo "$(date +%s.%N) - $start" | bc)
echo "$out"
start=$(date +%s.%N)
RAYON_NUM_THREADS=1 target/release/ratesim run benches/long-poisson.toml --out target/long-poisson >/dev/null
ratesim_wall=$(echo "$(date +%s.%N) - $start" | bc)
arrivals=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="arrivals") c=i} $1=="app"{print $c}' target/long-poisson/summary.csv)
simpy_arrivals=$(echo "$out" | sed -E 's/simpy: ([0-9]+) arrivals.*/\1/')
printf 'ratesim: %s arrivals in %.2f s: %.0f simulated requests per wall second\n' "$arrivals" "$ratesim_wall" "$(echo "$arrivals / $ratesim_wall" | bc -l)"
printf 'simpy, whole process: %.2f s: %.0f requests per wall second\n' "$simpy_wall" "$(echo "$simpy_arrivals / $simpy_wall" | bc -l)"
printf 'ratesim is %.0f times faster\n' "$(echo "($arrivals / $ratesim_wall) / ($simpy_arrivals / $simpy_wall)" | bc -l)"
