#!/usr/bin/env bash
# libFuzzer runs for the two parsers that read untrusted input: the frame scanner (exchange
# bytes) and the configuration reader (operator TOML). The targets live in Fuzz/ and are built
# here with `swiftc -sanitize=fuzzer,address` straight from the sources they fuzz; SwiftPM never
# builds them.
#
#   scripts/fuzz.sh --short            ~30 s per target (CI: called by `make test`)
#   scripts/fuzz.sh --long [RUNS]      RUNS executions per target (default 10 000 000)
#   scripts/fuzz.sh --short frames     one target only (frames | config)
#
# Working corpora grow in .build-fuzz/corpus-<target> (seeded from Fuzz/corpus/<target>); a
# crash leaves its input in .build-fuzz/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

mode="${1:---short}"
shift || true
runs=10000000
if [[ "$mode" == "--long" && "${1:-}" =~ ^[0-9]+$ ]]; then runs="$1"; shift; fi
targets=("${@:-frames config}")
read -r -a targets <<<"${targets[*]}"

out=.build-fuzz
mkdir -p "$out"

# swift-log is the config reader's only dependency: build it once as a static module.
if [[ ! -f "$out/Logging.swiftmodule" ]]; then
    log_src=$(ls -d .build*/checkouts/swift-log/Sources/Logging 2>/dev/null | head -n1 || true)
    if [[ -z "$log_src" ]]; then
        swift package --scratch-path "$out/pkg" resolve >/dev/null
        log_src="$out/pkg/checkouts/swift-log/Sources/Logging"
    fi
    swiftc -O -parse-as-library -package-name swiftlog -module-name Logging -emit-library -static \
        -emit-module -emit-module-path "$out/Logging.swiftmodule" -o "$out/libLogging.a" \
        $(find "$log_src" -name '*.swift') 2>/dev/null
fi

build() {
    local name=$1
    shift
    swiftc -O -g -parse-as-library -sanitize=fuzzer,address -package-name ticktape -module-name "Fuzz_$name" \
        -I "$out" -L "$out" -lLogging -o "$out/fuzz-$name" "$@" 2>&1 | grep -v 'warning:' || true
    [[ -x "$out/fuzz-$name" ]] || { echo "fuzz: building $name failed" >&2; exit 1; }
}

for t in "${targets[@]}"; do
    case "$t" in
    frames)
        build frames Fuzz/FrameScannerFuzzer.swift Sources/TickTape/Exchange/FrameScanner.swift \
            Sources/TickTape/Exchange/SequenceRule.swift Sources/TickTape/Exchange/UTF8Validation.swift ;;
    config)
        build config Fuzz/ConfigParserFuzzer.swift Sources/TickTape/Config/*.swift \
            Sources/TickTape/Storage/RetentionPolicy.swift Sources/TickTape/Support/WallClock.swift Sources/TickTape/Support/PercentDecoding.swift \
            Sources/TickTape/Support/POSIXIO.swift Sources/TickTape/REST/RestMarket.swift \
            Sources/TickTape/REST/RestEndpoint.swift Sources/TickTape/Analytics/BarInterval.swift ;;
    *) echo "fuzz: unknown target $t (frames | config)" >&2; exit 2 ;;
    esac
    corpus="$out/corpus-$t"
    mkdir -p "$corpus"
    cp -n Fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    if [[ "$mode" == "--long" ]]; then
        limit=(-runs="$runs")
    else
        limit=(-max_total_time=30)
    fi
    echo "fuzz: $t ${limit[*]}"
    "$out/fuzz-$t" "${limit[@]}" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
        -artifact_prefix="$out/crash-$t-" -print_final_stats=1 "$corpus" 2>"$out/fuzz-$t.log" \
        || { tail -n 40 "$out/fuzz-$t.log" >&2; echo "fuzz: $t FAILED (input in $out/crash-$t-*)" >&2; exit 1; }
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+.*DONE' "$out/fuzz-$t.log" || true
done
