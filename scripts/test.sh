#!/usr/bin/env bash
# test.sh - set up, build and run every test: the normal build and a clang
# ASan+UBSan build both run the whole meson suite (unit, golden, conformance,
# fuzz-corpus replay), then runs every libFuzzer target for FUZZ_SECONDS
# (default 60, 0 skips). Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test || exit 1

corpus=${TLSAUDIT_CORPUS:-$(cd .. && pwd)/shared/corpus}
if [ ! -d "$corpus/pcaps" ]; then
	echo "test.sh: corpus not found at $corpus (set TLSAUDIT_CORPUS)" >&2
	exit 1
fi

passed=0
failed=0
run_suite() { # name builddir setup-args...
	local name=$1 dir=$2
	shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dcorpus="$corpus" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; failed=$((failed + 1)); return; }
	fi
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		tail -n 40 "$dir.build.log"
		echo "test.sh: $name build FAILED"
		failed=$((failed + 1))
		return
	fi
	meson test -C "$dir" --print-errorlogs --num-processes 2 "${MESON_TEST_ARGS[@]}" 2>&1 | tee "$dir.test.log" | grep -vE '^ *[0-9]+/[0-9]+ .* OK ' || true
	local ok fail
	ok=$(grep -E '^Ok:' "$dir.test.log" | awk '{print $2}')
	fail=$(grep -E '^(Fail|Unexpected Pass|Timeout):' "$dir.test.log" | awk '{s += $2} END {print s + 0}')
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0}))
	echo "test.sh: $name: ${ok:-0} passed, ${fail:-0} failed"
}

# formatting is decided once in .clang-format and checked, not debated
if git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'tests/*.h' | xargs clang-format --dry-run --Werror 2>/tmp/tlsaudit-format.log; then
	passed=$((passed + 1))
	echo "test.sh: clang-format: ok"
else
	failed=$((failed + 1))
	head -n 20 /tmp/tlsaudit-format.log
	echo "test.sh: clang-format: FAILED (run: git ls-files '*.c' '*.h' | xargs clang-format -i)"
fi

MESON_TEST_ARGS=()
run_suite "gcc build" build-test -Dwerror=true
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
CC=clang run_suite "clang ASan+UBSan build" build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all -Dwerror=true

# libFuzzer: every target for FUZZ_SECONDS (default 60; 0 skips), counted as one test each; FUZZ_TARGETS="..."
# sets the list.
fuzz_secs=${FUZZ_SECONDS:-60}
if [ "$fuzz_secs" -gt 0 ]; then
	while read -r line; do
		echo "$line"
		case "$line" in
		*FINDING*) failed=$((failed + 1)) ;; # before *executions*: a finding's line has both
		*executions*) passed=$((passed + 1)) ;;
		esac
	done < <(scripts/fuzz.sh "$fuzz_secs" ${FUZZ_TARGETS:-tls decode flow capture starttls cert store probe} 2>&1)
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
