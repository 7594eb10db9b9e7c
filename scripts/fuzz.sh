#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets (clang, ASan+UBSan) and run each for
# SECONDS (default 60). New crashes land in build-fuzz/crashes/<target>/;
# turn each into a named regression input under tests/fuzz/seeds/<target>/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tls decode flow capture starttls cert probe)
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all >/dev/null
fi
ninja -C build-fuzz >/dev/null
status=0
for t in "${targets[@]}"; do
	work=build-fuzz/corpus/$t
	mkdir -p "$work" "build-fuzz/crashes/$t"
	seeds=(tests/fuzz/seeds/$t)
	[ "$t" = capture ] && seeds+=(samples)
	log=build-fuzz/fuzz-$t.log
	if build-fuzz/tests/fuzz/fuzz_$t "$work" "${seeds[@]}" -max_total_time="$secs" -max_len=65536 \
		-rss_limit_mb=2048 -artifact_prefix="build-fuzz/crashes/$t/" -print_final_stats=1 >"$log" 2>&1; then
		runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
		echo "fuzz.sh: $t: ${runs:-?} executions in ${secs}s, no findings"
	else
		echo "fuzz.sh: $t: FINDING, see $log and build-fuzz/crashes/$t/"
		grep -m1 -E 'ERROR|runtime error' "$log" || true
		status=1
	fi
done
exit $status
