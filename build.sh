#!/usr/bin/env bash
# MiniVmm's one set-up, build and test entry point.
#   ./build.sh            install what is missing, build the solution, the BPF program and the guest images;
#                         out/bin/minivmm is the NativeAOT single-file binary (any trim/AOT warning fails)
#   ./build.sh jit        also publish a JIT build for debugging (out/jit/minivmm; needs the .NET runtime)
#   ./build.sh run [-- ARGS]   build if needed, then run the main job (minivmm with built-in defaults, or ARGS)
#   ./build.sh test [FILTER]   build if needed, then run every test; ends with "N passed, N failed, N skipped"
#   ./build.sh bench [NAME]    build if needed, then run the benchmarks (see docs/BENCHMARKS.md)
#   ./build.sh fuzz [TARGET...] [--seconds N] [--save-corpus]
#                              build if needed, then run each fuzz target under AFL++ for N seconds (default 60)
#                              and print executions, coverage and crashes per target (see docs/FUZZING.md)
#   ./build.sh soak [run|vhost-user|uml|steer] [--cycles N] [--minutes M]
#                              build if needed, then start/stop cycles of minivmm run, of a long-lived vhost-user-net
#                              with our front end and with User-Mode Linux connecting, and a steer-test loop with
#                              run-time reconfigurations; prints what was left behind (tests/soak/soak.sh, docs/FUZZING.md)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
OUT=$ROOT/out
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { echo "build.sh: $*" >&2; }

# --- 1. Debian packages: install only what is missing, with one apt-get update. ---
ensure_packages() {
  local need=()
  command -v clang >/dev/null || need+=(clang)
  command -v llc >/dev/null || need+=(llvm)
  [ -f /usr/include/bpf/libbpf.h ] || need+=(libbpf-dev)
  ls /usr/lib/x86_64-linux-gnu/libbpf.so.1* >/dev/null 2>&1 || need+=(libbpf1)
  command -v bpftool >/dev/null || need+=(bpftool)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx ip || need+=(busybox-static)
  command -v cpio >/dev/null || need+=(cpio)
  command -v lz4 >/dev/null || need+=(lz4)
  command -v zstd >/dev/null || need+=(zstd)
  command -v ip >/dev/null || need+=(iproute2)
  command -v gcc >/dev/null || need+=(gcc)
  command -v make >/dev/null || need+=(make)
  command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
  [ -f /usr/include/linux/kvm.h ] || need+=(linux-libc-dev)
  command -v iasl >/dev/null || need+=(acpica-tools)   # the ACPI tests disassemble the DSDT with it
  ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 || need+=(linux-image-cloud-amd64)
  # User-Mode Linux: the real virtio_net driver as a vhost-user front end (guest-images/uml).
  [ -x /usr/bin/linux.uml ] || need+=(user-mode-linux)
  command -v ethtool >/dev/null || need+=(ethtool)
  command -v iperf3 >/dev/null || need+=(iperf3)
  # DPDK's testpmd: a third-party vhost-user back end (net_vhost) for our front end's interop tests.
  command -v dpdk-testpmd >/dev/null || need+=(dpdk-dev)
  command -v valgrind >/dev/null || need+=(valgrind)   # bench callgrind: instructions per packet (no hardware counters here)
  # AFL++ drives the coverage-guided fuzz targets (tests/MiniVmm.Fuzzing, ./build.sh fuzz).
  command -v afl-fuzz >/dev/null || need+=(afl++)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing Debian packages: ${need[*]}"
    if [ "$(id -u)" != 0 ]; then say "need root to install ${need[*]}"; exit 1; fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { say "the .NET 10 SDK (dotnet) is missing"; exit 1; }
}

# --- 2. Build steps, each quick when its inputs did not change. ---
newer_than() { # stamp dir...: true when some file under dirs is newer than stamp (or stamp is absent)
  local stamp=$1; shift
  [ -f "$stamp" ] || return 0
  [ -n "$(find "$@" -newer "$stamp" -type f -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null)" ]
}

build_dotnet() {
  local stamp=$OUT/.dotnet.stamp
  if newer_than "$stamp" vmm devices bpf tests MiniVmm.sln Directory.Build.props Directory.Packages.props; then
    say "building the solution"
    dotnet build MiniVmm.sln -c Release -v q -nologo -clp:NoSummary -p:WarningLevel=0
    publish_aot
    touch "$stamp"
  fi
}

# The benchmarks as NativeAOT, for callgrind: it names functions only in native code (the JIT's are
# anonymous to it). Symbols kept (the measured region is found by name), DWARF dropped (valgrind
# 3.19 cannot read .NET's). Warnings are the JSON writers' reflection, unused in tap-loop.
publish_bench_aot() {
  local stamp=$OUT/.bench-aot.stamp
  if newer_than "$stamp" vmm devices tests/MiniVmm.Benchmarks tests/MiniVmm.Testing; then
    say "publishing out/bench-aot/MiniVmm.Benchmarks (NativeAOT, for callgrind)"
    rm -rf "$OUT/bench-aot" tests/MiniVmm.Benchmarks/obj/Release/net10.0/linux-x64/native
    dotnet publish tests/MiniVmm.Benchmarks -c Release -r linux-x64 -p:PublishAot=true -p:StripSymbols=false \
      -nologo -o "$OUT/bench-aot" >"$OUT/bench-aot.log" 2>&1 || { cat "$OUT/bench-aot.log" >&2; exit 1; }
    rm -f "$OUT/bench-aot/"*.dbg
    objcopy --strip-debug "$OUT/bench-aot/MiniVmm.Benchmarks"
    touch "$stamp"
  fi
}

# The product binary: NativeAOT, one file (Mono.Unix's native library is linked in statically,
# the BPF objects are resources). A trim or AOT warning means a path that may fail only in this
# build, so any warning fails it.
publish_aot() {
  say "publishing out/bin/minivmm (NativeAOT)"
  local log=$OUT/publish-aot.log
  rm -rf "$OUT/bin"
  if ! dotnet publish vmm/MiniVmm.Cli/MiniVmm.Cli.csproj -c Release -r linux-x64 -nologo -o "$OUT/bin" >"$log" 2>&1; then
    cat "$log" >&2; say "NativeAOT publish failed (log: $log)"; exit 1
  fi
  local warnings; warnings=$(grep -E 'warning [A-Z]+[0-9]+:' "$log" | sort -u || true)
  if [ -n "$warnings" ]; then
    echo "$warnings" >&2; say "NativeAOT publish: $(echo "$warnings" | wc -l) warning(s); fix them (log: $log)"; exit 1
  fi
  say "out/bin/minivmm: $(stat -c %s "$OUT/bin/minivmm") bytes, 0 warnings"
}

# A JIT (framework-dependent) build for debugging; not what build.sh run or the tests use.
publish_jit() {
  build_all
  dotnet publish vmm/MiniVmm.Cli/MiniVmm.Cli.csproj -c Release --no-build -p:PublishAot=false -v q -nologo -o "$OUT/jit"
  say "JIT build: $OUT/jit/minivmm"
}

build_native() {
  make -s -C bpf OUT="$OUT/bpf"
  make -s -C guest-images/probe OUT="$OUT/guest-images"
  make -s -C guest-images/uml OUT="$OUT/guest-images"
  guest-images/linux/build-image.sh "$OUT/guest-images"
}

build_all() {
  mkdir -p "$OUT"
  ensure_packages
  build_native
  build_dotnet
}

# --- 3. Tests: every test project, then one summary line from the TRX results. ---
run_tests() {
  local filter=${1:-}
  local results=$OUT/test-results
  rm -rf "$results"; mkdir -p "$results"
  local rc=0
  for proj in tests/MiniVmm.UnitTests tests/MiniVmm.IntegrationTests tests/MiniVmm.Fuzzing.Tests; do
    local name; name=$(basename "$proj")
    say "testing $name"
    local args=(test "$proj" -c Release --no-build -nologo -v q --results-directory "$results"
                --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal")
    [ -n "$filter" ] && args+=(--filter "$filter")
    dotnet "${args[@]}" || rc=1
  done
  local passed=0 failed=0 skipped=0
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    local counters; counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
    passed=$((passed + $(get passed)))
    failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
    skipped=$((skipped + $(get notExecuted)))
  done
  if [ "$passed" = 0 ] && [ "$failed" = 0 ] && [ "$rc" != 0 ]; then failed=1; fi
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" = 0 ] && [ "$rc" = 0 ]
}

# --- 4. Fuzzing: AFL++ over SharpFuzz-instrumented copies of the product assemblies (docs/FUZZING.md). ---
FUZZ_PROJECT=tests/MiniVmm.Fuzzing
FUZZ_INSTRUMENTED=(MiniVmm.Memory MiniVmm.Virtio MiniVmm.Virtio.Net MiniVmm.Rss MiniVmm.VhostUser)

# A copy of the fuzzing program whose product assemblies carry AFL's edge counters (out/bin and the
# tests keep the plain ones).
instrument_fuzzing() {
  local bin=$OUT/fuzz/bin
  rm -rf "$bin"; mkdir -p "$OUT/fuzz"
  cp -r "$FUZZ_PROJECT/bin/Release/net10.0" "$bin"
  dotnet tool restore >/dev/null
  for assembly in "${FUZZ_INSTRUMENTED[@]}"; do
    dotnet tool run sharpfuzz "$bin/$assembly.dll" || { say "sharpfuzz could not instrument $assembly.dll"; exit 1; }
  done
}

stat_of() { grep -E "^$1 *:" "$2" | head -1 | sed 's/^[^:]*: *//'; }

run_fuzz() {
  local seconds=60 save_corpus=0 targets=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
      --save-corpus) save_corpus=1; shift ;;
      -*) say "fuzz: unknown option $1"; exit 2 ;;
      *) targets+=("$1"); shift ;;
    esac
  done
  build_all
  instrument_fuzzing
  local bin=$OUT/fuzz/bin/MiniVmm.Fuzzing
  [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("$bin" names)
  local report=() total_crashes=0
  for target in "${targets[@]}"; do
    local corpus=$FUZZ_PROJECT/Corpus/$target findings=$OUT/fuzz/findings/$target
    [ -d "$corpus" ] || { say "fuzz: no corpus for target '$target' ($corpus)"; exit 2; }
    rm -rf "$findings"; mkdir -p "$findings"
    say "fuzzing $target for ${seconds}s"
    # AFL_SKIP_BIN_CHECK: the target is dotnet, instrumented by SharpFuzz rather than afl-cc.
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
      afl-fuzz -i "$corpus" -o "$findings" -t 5000 -m none -V "$seconds" -- "$bin" afl "$target" >"$findings/afl.log" 2>&1 \
      || { tail -20 "$findings/afl.log" >&2; say "afl-fuzz failed on $target (log: $findings/afl.log)"; exit 1; }
    local stats=$findings/default/fuzzer_stats crashes=0
    mkdir -p "$FUZZ_PROJECT/Crashes/$target"
    for crash in "$findings"/default/crashes/id:*; do
      [ -f "$crash" ] || continue
      cp "$crash" "$FUZZ_PROJECT/Crashes/$target/crash-$(sha1sum <"$crash" | cut -c1-16)"
      crashes=$((crashes + 1))
    done
    if [ "$save_corpus" = 1 ]; then
      for entry in "$findings"/default/queue/id:*; do
        case "$entry" in *orig:*) continue ;; esac
        cp "$entry" "$corpus/afl-$(sha1sum <"$entry" | cut -c1-16)"
      done
    fi
    total_crashes=$((total_crashes + crashes))
    report+=("$(printf '%-12s %12s %10s %8s %8s %9s %7s' "$target" "$(stat_of execs_done "$stats")" "$(stat_of execs_per_sec "$stats" | cut -d. -f1)" \
      "$(stat_of edges_found "$stats")" "$(stat_of bitmap_cvg "$stats")" "$(stat_of stability "$stats")" "$crashes")")
  done
  printf '%-12s %12s %10s %8s %8s %9s %7s\n' target execs execs/s edges map stability crashes
  printf '%s\n' "${report[@]}"
  if [ "$total_crashes" -gt 0 ]; then
    say "$total_crashes crash(es) saved under $FUZZ_PROJECT/Crashes (replayed by ./build.sh test; reproduce with $FUZZ_PROJECT/bin/Release/net10.0/MiniVmm.Fuzzing replay TARGET FILE)"
    exit 1
  fi
}

# --- 5. Soak: start/stop cycles of minivmm run with a 4-queue NIC; nothing may stay behind. ---
cmd=${1:-build}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build_all ;;
  jit) publish_jit ;;
  run)
    build_all
    [ "${1:-}" = "--" ] && shift
    if [ $# -gt 0 ]; then exec "$OUT/bin/minivmm" "$@"; fi
    # The probe's table, then the real Linux driver's (User-Mode Linux over vhost-user) on the same settings.
    status=0
    "$OUT/bin/minivmm" steer-test --queues 4 --steering auto --hash-report on || status=$?
    echo
    echo "build.sh: the same flows with Linux 6.1's virtio_net driving the device (steer-test --guest linux):"
    "$OUT/bin/minivmm" steer-test --guest linux --queues 4 --steering auto --hash-report on || status=$?
    exit "$status"
    ;;
  test) build_all; run_tests "${1:-}" ;;
  bench)
    build_all
    if [ "${1:-}" = callgrind ]; then
      shift; publish_bench_aot
      exec dotnet run --project tests/MiniVmm.Benchmarks -c Release --no-build -- callgrind --binary "$OUT/bench-aot/MiniVmm.Benchmarks" "$@"
    fi
    exec dotnet run --project tests/MiniVmm.Benchmarks -c Release --no-build -- "$@" ;;
  fuzz) run_fuzz "$@" ;;
  soak) . "$ROOT/tests/soak/soak.sh"; run_soak "$@" ;;
  *) say "unknown command '$cmd' (use: build, jit, run, test, bench, fuzz, soak)"; exit 2 ;;
esac
