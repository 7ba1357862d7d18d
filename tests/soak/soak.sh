# ./build.sh soak: start/stop cycles and a steering loop, checking that nothing is left behind.
# Sourced by build.sh (which defines OUT, say and build_all). Parts, each printing its figures:
#   run         N cycles of `minivmm run` with a 4-queue TAP NIC and the probe guest (default 200)
#   vhost-user  one long-lived `minivmm vhost-user-net`; N cycles of `minivmm run --net vhost-user=`
#               connecting to it (default 200): the back end's fds, threads and memory must stay flat
#   uml         the same back end, N boots of Linux's virtio_net in User-Mode Linux (default 20), each an
#               ethtool -X storm (random tables and keys) with a link flap from `minivmm ctl` in between
#   steer       M minutes of steer-test with a run-time RSS reconfiguration, alternating the Linux
#               guest and the probe over vhost-user, random second tables and keys: 0 mismatches
# `./build.sh soak` runs them all (about 35 minutes here); `./build.sh soak PART [--cycles N] [--minutes M]` one.

bpf_program_ids() { bpftool prog show -j 2>/dev/null | grep -o '"id":[0-9]*' | cut -d: -f2 | sort -n | tr '\n' ' '; }

# New BPF program ids since $1 (waits up to 5 s: the kernel frees a closed TAP's program a moment later).
soak_new_programs() {
  local before=$1 after new=""
  for _ in $(seq 1 50); do
    after=$(bpf_program_ids)
    new=$(comm -13 <(echo "$before" | tr ' ' '\n' | sed '/^$/d' | sort) <(echo "$after" | tr ' ' '\n' | sed '/^$/d' | sort) | tr '\n' ' ')
    [ -z "$new" ] && break
    sleep 0.1
  done
  echo "$new"
}

soak_random_key() { local k="" i; for i in $(seq 1 40); do k+=$(printf '%02x' $((RANDOM % 256))); done; echo "$k"; }
soak_random_table() { local t="" i n=$(( 1 << (RANDOM % 4 + 1) )); for i in $(seq 1 "$n"); do t+="${t:+,}$((RANDOM % $1))"; done; echo "$t"; }

# A process's fds, threads and resident memory (KiB), as "fds threads rss".
soak_sample() { echo "$(ls /proc/$1/fd 2>/dev/null | wc -l) $(ls /proc/$1/task 2>/dev/null | wc -l) $(awk '/^VmRSS/ {print $2}' /proc/$1/status 2>/dev/null)"; }

# Starts the long-lived back end for the vhost-user and uml parts in network namespace $1; sets
# SOAK_BACKEND (pid), SOAK_SOCKET, SOAK_API. Its TAP lives in the namespace, so nothing reaches the host's network.
soak_start_backend() {
  local ns=$1 dir=$2
  SOAK_SOCKET=$dir/net0.sock SOAK_API=$dir/api.sock
  ip netns exec "$ns" "$OUT/bin/minivmm" vhost-user-net --socket "$SOAK_SOCKET" --net tap=mvsoakv0,queues=4 --api-socket "$SOAK_API" \
    >"$dir/backend.log" 2>&1 &
  SOAK_BACKEND=$!
  for _ in $(seq 1 250); do
    grep -q "listening on" "$dir/backend.log" 2>/dev/null && [ -S "$SOAK_API" ] && return 0
    kill -0 "$SOAK_BACKEND" 2>/dev/null || break
    sleep 0.02
  done
  say "soak: the back end did not start:"; cat "$dir/backend.log" >&2; return 1
}

# Stops the back end with SIGTERM (it cleans up and exits 128 + 15); prints its status and what it left behind.
soak_stop_backend() {
  local rc=0
  kill -TERM "$SOAK_BACKEND"; wait "$SOAK_BACKEND" || rc=$?
  echo "soak: back end exit status on SIGTERM: $rc (143 expected); socket left: $([ -e "$SOAK_SOCKET" ] && echo yes || echo no), api socket left: $([ -e "$SOAK_API" ] && echo yes || echo no)"
  [ "$rc" = 143 ] && [ ! -e "$SOAK_SOCKET" ] && [ ! -e "$SOAK_API" ]
}

# Judges the back end's samples: fds and threads at the end no more than after the first cycle,
# resident memory at the end within 10% (+4 MiB for the runtime's own growth) of the tenth cycle's.
soak_judge_backend() {
  local first=$1 tenth=$2 last=$3
  read -r f1 t1 r1 <<<"$first"; read -r f10 t10 r10 <<<"$tenth"; read -r fl tl rl <<<"$last"
  printf '%-34s %10s %10s %10s\n' "back end, after cycle" 1 10 last
  printf '%-34s %10s %10s %10s\n' "fds" "$f1" "$f10" "$fl"
  printf '%-34s %10s %10s %10s\n' "threads" "$t1" "$t10" "$tl"
  printf '%-34s %10s %10s %10s\n' "resident memory (KiB)" "$r1" "$r10" "$rl"
  [ "$fl" -le "$f1" ] && [ "$tl" -le "$t1" ] && [ "$rl" -le $(( r10 + r10 / 10 + 4096 )) ]
}
soak_run() {
  local cycles=$1 tap=mvsoak0
  local log=$OUT/soak; mkdir -p "$log"
  local taps_before progs_before own_fds_before failures=0 fds_min=999999 fds_max=0 threads_min=999999 threads_max=0
  taps_before=$(ls /sys/class/net | grep -c "^$tap" || true)
  progs_before=$(bpf_program_ids)
  own_fds_before=$(ls /proc/$$/fd | wc -l)
  local start=$SECONDS
  for i in $(seq 1 "$cycles"); do
    # The probe negotiates 4 pairs, sends VQ_PAIRS_SET and RSS_CONFIG, waits 1 s for a frame that never
    # comes and exits with 3 (status 7): the VMM's descriptors and threads are counted during that second.
    rm -f "$log/cycle.log" # a stale "probe: ready" of the last cycle must not trigger this cycle's sample
    "$OUT/bin/minivmm" run --kernel "$OUT/guest-images/probe.elf" --memory 64M --cmdline "expect=1 wait=1000 exit=3" \
      --net "tap=$tap,queues=4" >"$log/cycle.log" 2>&1 &
    local pid=$! fds="" threads=""
    for _ in $(seq 1 200); do
      if grep -q "probe: ready" "$log/cycle.log" 2>/dev/null; then
        fds=$(ls /proc/$pid/fd 2>/dev/null | wc -l); threads=$(ls /proc/$pid/task 2>/dev/null | wc -l); break
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.02
    done
    local rc=0; wait "$pid" || rc=$?
    if [ "$rc" != 7 ] || [ -z "$fds" ]; then
      failures=$((failures + 1)); cp "$log/cycle.log" "$log/failed-$i.log"
      say "soak: cycle $i: exit $rc${fds:+, }${fds:-, never ready} (log: $log/failed-$i.log)"
    else
      [ "$fds" -lt "$fds_min" ] && fds_min=$fds; [ "$fds" -gt "$fds_max" ] && fds_max=$fds
      [ "$threads" -lt "$threads_min" ] && threads_min=$threads; [ "$threads" -gt "$threads_max" ] && threads_max=$threads
    fi
  done
  local taps_after progs_after own_fds_after leftover
  taps_after=$(ls /sys/class/net | grep -c "^$tap" || true)
  progs_after=$(bpf_program_ids)
  own_fds_after=$(ls /proc/$$/fd | wc -l)
  leftover=$(pgrep -f -- "tap=$tap" | wc -l || true)
  # The kernel frees a TAP's steering program a moment after the last cycle's process exited: wait (at most 5 s).
  local new_progs
  for _ in $(seq 1 50); do
    progs_after=$(bpf_program_ids)
    new_progs=$(comm -13 <(echo "$progs_before" | tr ' ' '\n' | sed '/^$/d' | sort) <(echo "$progs_after" | tr ' ' '\n' | sed '/^$/d' | sort) | tr '\n' ' ')
    [ -z "$new_progs" ] && break
    sleep 0.1
  done
  echo "soak: $cycles cycles of minivmm run (4-queue NIC on $tap, probe guest) in $((SECONDS - start)) s, $failures failed"
  echo "soak: last cycle: $(grep -o 'steering: [a-z-]*' "$log/cycle.log" | head -1)"
  printf '%-34s %8s %8s\n' what before after
  printf '%-34s %8s %8s\n' "TAP interfaces $tap*" "$taps_before" "$taps_after"
  printf '%-34s %8s %8s\n' "BPF programs on the host" "$(echo $progs_before | wc -w)" "$(echo $progs_after | wc -w)"
  printf '%-34s %8s %8s\n' "minivmm processes left" 0 "$leftover"
  printf '%-34s %8s %8s\n' "fds of this script" "$own_fds_before" "$own_fds_after"
  printf '%-34s %8s %8s\n' "VMM fds when ready (min, max)" "$fds_min" "$fds_max"
  printf '%-34s %8s %8s\n' "VMM threads when ready (min, max)" "$threads_min" "$threads_max"
  [ -n "$new_progs" ] && say "soak: BPF programs loaded since the start and still there: $new_progs(another session's tests can load some too)"
  local leaks=0
  [ "$taps_after" = "$taps_before" ] || leaks=1
  [ "$leftover" = 0 ] || leaks=1
  [ -z "$new_progs" ] || leaks=1
  [ "$own_fds_after" = "$own_fds_before" ] || leaks=1
  # The VMM's own counts are reported, not judged: each cycle is a new process, and the runtime starts
  # helper threads as it needs them; what a cycle leaves behind shows on the host (TAPs, programs, processes).
  echo "soak: $failures failed cycles, $([ "$leaks" = 0 ] && echo 0 || echo some) leaks"
  [ "$failures" = 0 ] && [ "$leaks" = 0 ]
}


# The vhost-user and uml parts against one long-lived back end in namespace mvsoak.
soak_backend_parts() {
  local part=$1 cycles=$2 ns=mvsoak dir progs_before failures=0 first="" tenth="" last="" start=$SECONDS
  dir=$(mktemp -d /tmp/minivmm-soak.XXXXXX)
  progs_before=$(bpf_program_ids)
  ip netns add "$ns"
  if ! soak_start_backend "$ns" "$dir"; then ip netns del "$ns"; rm -rf "$dir"; return 1; fi
  for i in $(seq 1 "$cycles"); do
    if [ "$part" = vhost-user ]; then
      # The probe over vhost-user: 4 pairs, VQ_PAIRS_SET and RSS_CONFIG through the back end's control
      # queue, 1 s waiting for a frame that never comes, exit 3 (status 7); then the front end hangs up.
      local rc=0
      "$OUT/bin/minivmm" run --kernel "$OUT/guest-images/probe.elf" --memory 64M --cmdline "pairs=4 expect=1 wait=1000 exit=3" \
        --net "vhost-user=$SOAK_SOCKET,queues=4" >"$dir/cycle.log" 2>&1 || rc=$?
      if [ "$rc" != 7 ]; then failures=$((failures + 1)); cp "$dir/cycle.log" "$OUT/soak/failed-vu-$i.log"; say "soak: cycle $i: exit $rc"; fi
    else
      soak_uml_cycle "$ns" "$dir" "$i" || { failures=$((failures + 1)); cp "$dir/uml.log" "$OUT/soak/failed-uml-$i.log"; }
    fi
    # The back end has seen the front end go (its reset line) before it is sampled.
    for _ in $(seq 1 250); do [ "$(grep -c 'connection .* closed' "$dir/backend.log")" -ge "$i" ] && break; sleep 0.02; done
    last=$(soak_sample "$SOAK_BACKEND")
    [ "$i" = 1 ] && first=$last
    [ "$i" = 10 ] && tenth=$last
  done
  [ -z "$tenth" ] && tenth=$last
  echo "soak: $cycles cycles of $( [ "$part" = vhost-user ] && echo "minivmm run --net vhost-user=" || echo "User-Mode Linux (ethtool -X storm, link flap)") against one back end in $((SECONDS - start)) s, $failures failed"
  echo "soak: back end: $(grep -c 'activated' "$dir/backend.log") activations, $(grep -c 'connection .* closed' "$dir/backend.log") connections closed, $(grep -ci 'failed' "$dir/backend.log") lines saying failed"
  local flat=0 stopped=0 taps new_progs
  soak_judge_backend "$first" "$tenth" "$last" || flat=1
  soak_stop_backend || stopped=1
  taps=$(ip netns exec "$ns" ls /sys/class/net | grep -c '^mvsoakv' || true)
  ip netns del "$ns"
  new_progs=$(soak_new_programs "$progs_before")
  echo "soak: TAPs left in the namespace: $taps; BPF programs left: ${new_progs:-none}"
  rm -rf "$dir"
  echo "soak: $failures failed cycles, $([ "$flat$stopped$taps" = 000 ] && [ -z "$new_progs" ] && echo 0 || echo some) leaks"
  [ "$failures" = 0 ] && [ "$flat$stopped$taps" = 000 ] && [ -z "$new_progs" ]
}

# One UML boot against the back end: 4 queues, rxhash, 20 random ethtool -X tables and keys, a link
# flap from minivmm ctl (the guest sees carrier go and come back), then power-off (the front end goes away).
soak_uml_cycle() {
  local ns=$1 dir=$2 i=$3 j
  {
    echo 'step() { "$@" || { echo "soak-uml: failed: $*"; exit 3; }; }'
    echo "step ip link set eth0 up"
    echo "step ethtool -L eth0 combined 4"
    echo "step ethtool -K eth0 rxhash on"
    for j in $(seq 1 20); do
      echo "step ethtool -X eth0 weight $((RANDOM % 4 + 1)) $((RANDOM % 4)) $((RANDOM % 4)) $((RANDOM % 4)) hkey $(soak_random_key | sed 's/../&:/g; s/:$//')"
    done
    echo 'echo "soak-uml: storm done, carrier $(cat /sys/class/net/eth0/carrier)"'
    echo 'n=0; while [ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && [ $n -lt 3000 ]; do n=$((n+1)); sleep 0.01; done; echo "soak-uml: carrier $(cat /sys/class/net/eth0/carrier)"'
    echo 'n=0; while [ "$(cat /sys/class/net/eth0/carrier)" = 0 ] && [ $n -lt 3000 ]; do n=$((n+1)); sleep 0.01; done; echo "soak-uml: carrier $(cat /sys/class/net/eth0/carrier)"'
  } >"$dir/storm.sh"
  local uml_dir=$OUT/guest-images/uml
  ip netns exec "$ns" "$uml_dir/uml-launch" mem=128M root=/dev/root rootfstype=hostfs rootflags=/ rw init="$uml_dir/init" \
    uml_test="$dir/storm.sh" con=null con0=null,fd:1 "virtio_uml.device=$SOAK_SOCKET:1" >"$dir/uml.log" 2>&1 </dev/null &
  local uml=$!
  # The flap: link down once the storm is done, up once the guest saw it go.
  for _ in $(seq 1 1500); do grep -q "soak-uml: storm done" "$dir/uml.log" && break; kill -0 $uml 2>/dev/null || break; sleep 0.02; done
  "$OUT/bin/minivmm" ctl "$SOAK_API" link down >/dev/null
  for _ in $(seq 1 1500); do grep -q "soak-uml: carrier 0" "$dir/uml.log" && break; kill -0 $uml 2>/dev/null || break; sleep 0.02; done
  "$OUT/bin/minivmm" ctl "$SOAK_API" link up >/dev/null
  local rc=0; wait $uml || rc=$?
  # The guest saw the link up after the storm, then down, then up again, and its script ended well.
  if [ "$(grep -o 'carrier [01]' "$dir/uml.log" | tr '\n' ' ')" != "carrier 1 carrier 0 carrier 1 " ] || ! grep -q "^uml-init: exit 0" "$dir/uml.log"; then
    say "soak: uml cycle $i: $(grep -E 'soak-uml|uml-init: exit' "$dir/uml.log" | tr '\n' ';')"
    return 1
  fi
}

# M minutes of steer-test with a second, random table and key, alternating the Linux guest and the probe over vhost-user.
soak_steer() {
  local minutes=$1 runs=0 failed=0 frames=0 mismatches=0 end=$((SECONDS + 60 * $1)) progs_before
  progs_before=$(bpf_program_ids)
  local out=$OUT/soak/steer.json
  while [ $SECONDS -lt $end ]; do
    local guest=linux; [ $((runs % 2)) = 1 ] && guest=probe
    local args=(steer-test --json -q 4 --table2 "$(soak_random_table 4)" --key2 "$(soak_random_key)" --tap mvsoaks0)
    if [ $guest = linux ]; then args+=(--guest linux); else args+=(--vhost-user); fi
    local rc=0
    "$OUT/bin/minivmm" "${args[@]}" >"$out" 2>"$OUT/soak/steer.err" || rc=$?
    runs=$((runs + 1))
    local f m
    f=$(grep -o '"frames":[0-9]*' "$out" | cut -d: -f2); m=$(grep -o '"mismatches":[0-9]*' "$out" | cut -d: -f2)
    frames=$((frames + ${f:-0})); mismatches=$((mismatches + ${m:-0}))
    if [ "$rc" != 0 ]; then failed=$((failed + 1)); cp "$out" "$OUT/soak/failed-steer-$runs.json"; say "soak: steer run $runs ($guest ${args[*]:5:4}): exit $rc"; fi
  done
  local new_progs taps
  new_progs=$(soak_new_programs "$progs_before")
  taps=$(ls /sys/class/net | grep -c '^mvsoaks' || true)
  echo "soak: $runs steer-test runs in $minutes min (Linux guest and probe over vhost-user, random second table and key), $failed failed, $frames frames, $mismatches mismatches"
  echo "soak: TAPs left: $taps; BPF programs left: ${new_progs:-none}"
  [ "$failed" = 0 ] && [ "$mismatches" = 0 ] && [ "$taps" = 0 ] && [ -z "$new_progs" ]
}

run_soak() {
  local part=all cycles="" minutes=10
  case "${1:-}" in run|vhost-user|uml|steer) part=$1; shift ;; esac
  while [ $# -gt 0 ]; do
    case "$1" in
      --cycles) cycles=${2:?--cycles needs a number}; shift 2 ;;
      --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
      *) say "soak: unknown option $1 (use: soak [run|vhost-user|uml|steer] [--cycles N] [--minutes M])"; exit 2 ;;
    esac
  done
  build_all
  mkdir -p "$OUT/soak"
  local status=0
  if [ $part = all ] || [ $part = run ]; then soak_run "${cycles:-200}" || status=1; fi
  if [ $part = all ] || [ $part = vhost-user ]; then soak_backend_parts vhost-user "${cycles:-200}" || status=1; fi
  if [ $part = all ] || [ $part = uml ]; then soak_backend_parts uml "${cycles:-20}" || status=1; fi
  if [ $part = all ] || [ $part = steer ]; then soak_steer "$minutes" || status=1; fi
  return $status
}
