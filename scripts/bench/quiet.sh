#!/bin/bash
# scripts/bench/quiet.sh CMD...: run CMD while every other CPU-using process (builds, benchmarks, Python) is
# paused with SIGSTOP, new ones too, and resume them all (SIGCONT) afterwards. For side-by-side benchmarks on a
# shared machine: CMD's own processes carry QUIET_OWNER in their environment and are left running.
flag=/tmp/quiet.$$.on; touch $flag
skip=" $$ "; p=$$
while [ "$p" -gt 1 ]; do p=$(awk '/^PPid:/ {print $2}' /proc/$p/status); skip="$skip$p "; done
(
  me=$BASHPID
  while [ -e $flag ]; do
    for pid in $(pgrep -f 'swift|python|loupe|clang|/ld|lld|pytest|farm-bench|h5dump'); do
      [ -e $flag ] || break
      case "$skip" in *" $pid "*) continue;; esac
      [ "$pid" = "$me" ] && continue
      grep -qz "^QUIET_OWNER=" /proc/$pid/environ 2>/dev/null && continue
      grep -q "quiet.sh" /proc/$pid/cmdline 2>/dev/null && continue
      kill -STOP $pid 2>/dev/null
    done
    sleep 0.5
  done
) > /dev/null 2>&1 < /dev/null &
sleep 1.5
QUIET_OWNER=$$ "$@"; rc=$?
rm -f $flag; sleep 1.2
for p in $(ps -eo stat,pid | awk '$1 ~ /^T/ {print $2}'); do kill -CONT $p 2>/dev/null; done
exit $rc
