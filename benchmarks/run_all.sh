#!/usr/bin/env bash
# Every benchmark the issues name, in one go, with the embedded model (results/ gets the summaries;
# LOGDIR, outside the repository by default, gets the logs and the per-task reports).
# Usage: bash benchmarks/run_all.sh [LOGDIR]   (about 30-40 minutes on 2 cores)
set -uo pipefail
cd "$(dirname "$0")/.."
log=${1:-${TMPDIR:-/tmp}/infill-benchmarks}
mkdir -p "$log"
py=.venv/bin/python
run() { name=$1; shift; echo "== $name: $*"; "$@" > "$log/$name.txt" 2>"$log/$name.err"; echo "   exit $?"; tail -n 8 "$log/$name.txt"; }
run samplers-single-line $py benchmarks/samplers.py --subset single-line --samplers threshold entropy sequential
run multi-line .venv/bin/infill eval --subset multi-line --limit 1000 --max-lines 0 --quiet \
    --out "$log/eval-multi-line.json"
run random-span-light .venv/bin/infill eval --subset random-span-light --max-lines 0 --quiet \
    --out "$log/eval-random-span-light.json"
run cursor-indent $py benchmarks/cursor_indent.py
run lsp-latency $py benchmarks/lsp_latency.py
run context-reuse $py benchmarks/context_reuse.py
run seeded-bugs $py benchmarks/seeded_bugs.py --limit 10
run languages-context $py benchmarks/languages.py context
run languages-model $py benchmarks/languages.py model
run examples-gaps $py benchmarks/examples_gaps.py
