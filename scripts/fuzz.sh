#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets (clang, ASan+UBSan, every library instrumented with
# -fsanitize=fuzzer-no-link) and run each in turn, one process (-jobs 1), under nice, with its dictionary
# (tests/fuzz/dict/) and its seeds (tests/fuzz/seeds/, regression inputs tests/fuzz/regress/, samples/, and the
# shared corpus when present: capture files as they are, TLS streams and frames extracted by make_seeds.py).
# A target stops after SECONDS (default 60) or, with FUZZ_RUNS=N, after N executions, whichever comes first.
# New crashes land in build-fuzz/crashes/<target>/; each becomes a named input in tests/fuzz/regress/<target>/
# (replayed by `meson test --suite fuzz`, also in the sanitizer build) with its fix.
# Prints one line per target: executions, final cov/ft, findings.
# Usage: [FUZZ_RUNS=N] [TLSAUDIT_CORPUS=DIR] scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tls decode flow capture starttls cert store probe)
corpus=${TLSAUDIT_CORPUS:-../shared/corpus}
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dcorpus="$(realpath -m "$corpus")" >/dev/null
fi
nice -n 10 ninja -C build-fuzz -j 2 >/dev/null
# seeds from the shared corpus (not committed: the corpus has its own licences)
if [ -d "$corpus/pcaps" ] && [ ! -f build-fuzz/seeds-corpus/.done ]; then
	python3 tests/fuzz/make_seeds.py --from "$corpus/pcaps" --out build-fuzz/seeds-corpus >/dev/null
	touch build-fuzz/seeds-corpus/.done
fi
# one dictionary per target (libFuzzer takes one -dict)
mkdir -p build-fuzz/dict
dicts() {
	case $1 in
	tls) echo tls ;;
	decode) echo decode ;;
	flow) echo flow tls ;;
	capture) echo pcapng decode tls ;;
	starttls) echo starttls ;;
	cert) echo cert ;;
	store) echo store ;;
	probe) echo tls starttls ;;
	esac
}
status=0
for t in "${targets[@]}"; do
	dict=build-fuzz/dict/$t.dict
	: >"$dict"
	for d in $(dicts "$t"); do cat "tests/fuzz/dict/$d.dict" >>"$dict"; done
	work=build-fuzz/corpus/$t
	mkdir -p "$work" "build-fuzz/crashes/$t"
	seeds=()
	for d in tests/fuzz/seeds/$t tests/fuzz/regress/$t build-fuzz/seeds-corpus/$t; do
		[ -d "$d" ] && seeds+=("$d")
	done
	if [ "$t" = capture ]; then
		seeds+=(samples samples/stacks)
		[ -d "$corpus/pcaps" ] && seeds+=("$corpus/pcaps")
	fi
	runs=()
	[ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
	log=build-fuzz/fuzz-$t.log
	start=$(date +%s)
	if nice -n 10 "build-fuzz/tests/fuzz/fuzz_$t" "$work" "${seeds[@]}" -dict="$dict" "${runs[@]}" \
		-max_total_time="$secs" -max_len=65536 -timeout=60 -rss_limit_mb=2048 \
		-artifact_prefix="build-fuzz/crashes/$t/" -print_final_stats=1 >"$log" 2>&1; then
		finding="no findings"
	else
		finding="FINDING, see $log and build-fuzz/crashes/$t/"
		status=1
	fi
	wall=$(($(date +%s) - start))
	execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
	cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
	ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
	echo "fuzz.sh: $t: ${execs:-?} executions in ${wall}s, cov ${cov:-?}, ft ${ft:-?}, $finding"
	[ "$finding" = "no findings" ] || grep -m1 -E 'ERROR|runtime error|Timeout|out-of-memory' "$log" || true
done
exit $status
