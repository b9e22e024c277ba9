#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, a small rate_study() through it, and a check that
# its values equal a sequential run's (`make cluster-smoke`).
#
#  1. Installs Slurm, munge and future.batchtools from Debian when missing (as root; idempotent).
#  2. Writes a one-node slurm.conf (this host at 127.0.0.1, its CPUs and memory from `slurmd -C`;
#     no cgroups, no accounting database) into a temporary directory, starts munged, slurmctld and
#     slurmd from there (in the foreground, as children of this script) and waits for the node to
#     be idle.
#  3. Runs rate_study() (sigmoid truth, n = 100 and 200, 2 replicates: 4 tasks) sequentially and
#     through future::plan(future.batchtools::batchtools_slurm, template = tools/slurm.tmpl), both
#     after set.seed(29), and requires identical values (the R part below says why exactly).
#  4. Prints a summary (jobs, their states from Slurm's job completion log, the queue, seconds) and
#     shuts the cluster down: the EXIT trap cancels the cluster's jobs, stops the daemons it started
#     (by their process ids) and removes the temporary directory, on success and on failure.
# Exit status 0 only when every step passed.
#
# Environment: LSMOE_LIB (library holding the installed lsmoe; default .lib of the repository),
# SMOKE_PORT (slurmctld's port, slurmd uses the next one; default 6817), SMOKE_KEEP=1 (keep the
# temporary directory with the logs).
set -euo pipefail

t_all=$(date +%s.%N)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=${LSMOE_LIB:-$ROOT/.lib}
case $LIB in /*) ;; *) LIB=$ROOT/$LIB ;; esac
TEMPLATE=$ROOT/tools/slurm.tmpl
PORT=${SMOKE_PORT:-6817}
log() { printf 'cluster-smoke: %s\n' "$*"; }
die() { printf 'cluster-smoke: FAILED: %s\n' "$*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- 1. software ---------------------------------------------------------------------------------
has_r_pkg() { Rscript --vanilla -e "quit(status = !requireNamespace('$1', quietly = TRUE))" >/dev/null 2>&1; }
t0=$(date +%s.%N)
debs=""
command -v munged >/dev/null 2>&1 || debs="$debs munge"
command -v slurmctld >/dev/null 2>&1 || debs="$debs slurmctld"
command -v slurmd >/dev/null 2>&1 || debs="$debs slurmd"
command -v sbatch >/dev/null 2>&1 || debs="$debs slurm-client"
has_r_pkg future.batchtools || debs="$debs r-cran-future.batchtools"
installed="nothing (all present)"
if [ -n "$debs" ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 ||
    die "missing:$debs; install them (Debian: apt-get install$debs) or run as root"
  log "installing from Debian:$debs"
  # The daemons' packages try to start system-wide services on install; a policy-rc.d that
  # refuses (Debian's mechanism; container images often ship one) keeps them from starting.
  # This script runs its own daemons and leaves none running.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt_ok=1
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    $debs >/dev/null 2>&1 || apt_ok=0
  [ "$own_policy" = 1 ] && { rm -f /usr/sbin/policy-rc.d; trap - EXIT; }
  [ "$apt_ok" = 1 ] || log "apt-get install failed for:$debs"
  if ! has_r_pkg future.batchtools; then
    # not --vanilla: R's site profile sets the configured repository
    log "future.batchtools not available from Debian; install.packages()"
    Rscript --no-init-file -e 'install.packages("future.batchtools")' >/dev/null 2>&1 || true
  fi
  for c in munged slurmctld slurmd sbatch; do command -v $c >/dev/null 2>&1 || die "$c still missing after the install"; done
  has_r_pkg future.batchtools || die "R package future.batchtools still missing after the install"
  installed="${debs# }"
fi
t_install=$(since "$t0")
R_LIBS="$LIB${R_LIBS:+:$R_LIBS}" Rscript --vanilla -e 'quit(status = !requireNamespace("lsmoe", quietly = TRUE))' ||
  die "lsmoe is not installed in $LIB (run make install, or set LSMOE_LIB)"

# ---- 2. the cluster ------------------------------------------------------------------------------
T=$(mktemp -d /tmp/lsmoe-slurm.XXXXXX)
PIDS=()          # daemons and helpers started here, stopped in reverse order
DAEMONS=(munged slurmctld slurmd)   # the first three of PIDS
RPID=            # the R process while it runs
ours() {
  local p pid
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
    { readlink "$p/cwd"; readlink "$p"/fd/*; } 2>/dev/null | grep -q -e "^$T/" -e "^$T\$" && echo "$pid"
  done
}
cleanup() {
  rc=$?
  set +e
  if [ -n "$RPID" ] && kill -0 "$RPID" 2>/dev/null; then
    kill -TERM "$RPID" 2>/dev/null; sleep 1; kill -KILL "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null
  fi
  if [ -n "${SLURM_CONF:-}" ] && [ -S "$T/munge/munge.socket" ] && [ -n "${PIDS[*]:-}" ]; then
    # jobs still queued or running (after a failure): cancel them by id and give them a moment
    ids=$(squeue -h -o %i 2>/dev/null)
    if [ -n "$ids" ]; then
      log "cancelling jobs left in the queue: $(echo $ids)"
      scancel $ids 2>/dev/null
      for _ in $(seq 20); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
    fi
  fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # job steps outliving slurmd (slurmstepd, the job script, its R): the processes, other than this
  # shell, with their working directory or an open file in this cluster's temporary directory
  for sig in none TERM KILL; do
    left=$(ours)
    [ -z "$left" ] && break
    case $sig in
      none) sleep 2 ;;   # a finished job's slurmstepd takes a moment to exit
      *) log "sending $sig to leftover job processes: $(echo $left)"; kill -$sig $left 2>/dev/null; sleep 1 ;;
    esac
  done
  left=$(ours)
  [ -n "$left" ] && { log "processes still running in $T: $(echo $left)"; rc=1; }
  if [ "$rc" != 0 ] && [ -d "$T/log" ]; then
    for f in "$T"/log/*.log; do
      [ -s "$f" ] && { echo "---- last lines of $(basename "$f") ----" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  if [ "${SMOKE_KEEP:-0}" = 1 ]; then log "kept $T"; else rm -rf "$T"; fi
  [ "$rc" = 0 ] && log "PASSED (cluster stopped, $T removed)" || log "FAILED with status $rc (cluster stopped)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log" "$T/run"
# the socket's directory must be searchable by all (munged's check); the key itself is 0600
chmod 755 "$T" "$T/munge"

t0=$(date +%s.%N)
# munge: a fresh key and a private socket, so that a system munged (if any) is left alone
if command -v mungekey >/dev/null 2>&1; then
  mungekey --create --keyfile="$T/munge/munge.key" 2>/dev/null
else
  dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 600 "$T/munge/munge.key"
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" \
  --pid-file="$T/run/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/munge/munge.seed" \
  >>"$T/log/munged.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 40); do [ -S "$T/munge/munge.socket" ] && break; sleep 0.25; done
munge -n --socket="$T/munge/munge.socket" | unmunge --socket="$T/munge/munge.socket" >/dev/null ||
  die "munged does not answer (log: munged.log)"

HOST=$(hostname -s)
# the machine as slurmd sees it: "NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105"
node_hw=$(slurmd -C 2>/dev/null | head -n 1 | sed 's/^NodeName=[^ ]* *//')
[ -n "$node_hw" ] || die "slurmd -C printed nothing"
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node_hw")
# Harmless lines in the logs of Slurm 22.05 (Debian 12): munged's "Unauthorized credential for
# client UID=0 GID=0" (a check in slurmstepd, dropped in later Slurm releases), slurmd's "can not
# load PMIx library" (every MPI plugin is probed at start), slurmctld's missing state files (a new
# cluster has none).
cat >"$T/slurm.conf" <<EOF
# one-node cluster of tools/cluster-smoke.sh
ClusterName=lsmoesmoke
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups (a container or a VM without a delegated cgroup tree): track processes by their
# parent ids, no task affinity or containment, no resource-use sampling
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# no slurmdbd (so no sacct); finished jobs are written to a text file instead
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$HOST NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
PartitionName=smoke Nodes=$HOST Default=YES MaxTime=30 State=UP
EOF
export SLURM_CONF=$T/slurm.conf
slurm_version=$(sinfo -V 2>/dev/null || echo "slurm (version unknown)")
# batchtools asks squeue for --user=$USER, which a root shell may not have set
export USER=${USER:-$(id -un)}

slurmctld -D -i -f "$SLURM_CONF" >>"$T/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >>"$T/log/slurmd.out" 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 120); do
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || die "a daemon (pid $pid) exited; see the logs below"; done
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || die "node $HOST not idle after 60 s (sinfo: '${state:-no answer}')"
t_start=$(since "$t0")
log "$slurm_version, node $HOST ($node_hw) idle after $t_start s; installed: $installed ($t_install s)"

# the queue, once a second, while the study runs
( while :; do squeue -h -o '%i %t' 2>/dev/null | sed "s/^/$(date +%s) /"; sleep 1; done ) >"$T/log/squeue.txt" &
PIDS+=($!)

# ---- 3. the study, sequentially and on the cluster -----------------------------------------------
cat >"$T/smoke.R" <<'EOF'
args <- commandArgs(TRUE)
tmp <- args[1]; template <- args[2]
suppressPackageStartupMessages({ library(lsmoe); library(future) })
setwd(tmp)  # future.batchtools writes its registries under ./.future: the temporary directory
G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0), eta = rbind(c(6, -2), c(-5, 3)),
                     expert = expert_sigmoid())
study <- function() {
  set.seed(29)
  rate_study(G0, n = c(100, 200), reps = 2, noise_sd = 0.1, n_mc = 1000)
}
plan(sequential)
t0 <- proc.time()[["elapsed"]]; ref <- study(); t_seq <- proc.time()[["elapsed"]] - t0

plan(future.batchtools::batchtools_slurm, template = template,
     resources = list(walltime = 300, ncpus = 1, r_libs = .libPaths()[1]))
# a probe: a future's own view of where it runs (a Slurm job on this node, not this R process)
probe <- value(future(list(job = Sys.getenv("SLURM_JOB_ID"), node = Sys.getenv("SLURMD_NODENAME"),
                           pid = Sys.getpid())))
if (!nzchar(probe$job) || probe$pid == Sys.getpid()) stop("the probe future did not run as a Slurm job")
t0 <- proc.time()[["elapsed"]]; clu <- study(); t_clu <- proc.time()[["elapsed"]] - t0
plan(sequential)

# Exact equality: each task draws from its own L'Ecuyer-CMRG stream derived from set.seed(29)
# (future.seed = TRUE), so the data, starts and Monte Carlo points are the same bits on a worker
# as in this session; the worker loads the same lsmoe from the same library on the same CPU, the
# session's lsmoe.* options travel with each task (the same build of the fused pass), and the
# fit's sums do not depend on threads. Nothing is left to a tolerance: only the timing differs.
cols <- setdiff(names(ref), "seconds")
same <- vapply(cols, function(nm) identical(ref[[nm]], clu[[nm]]), logical(1))
same_fits <- identical(attr(ref, "fits"), attr(clu, "fits"))
dmax <- max(abs(ref$value - clu$value), na.rm = TRUE)
cat(sprintf("probe future ran as Slurm job %s on node %s (pid %d; this R: %d)\n",
            probe$job, probe$node, probe$pid, Sys.getpid()))
cat(sprintf("rate_study: %d tasks (n = 100, 200; 2 replicates), %d rows, losses %s\n",
            nrow(unique(ref[c("n", "replicate")])), nrow(ref), paste(unique(ifelse(is.na(ref$align), ref$loss, paste(ref$loss, ref$align))), collapse = ", ")))
cat(sprintf("seconds: sequential %.2f, on Slurm %.2f\n", t_seq, t_clu))
cat(sprintf("equality: %d of %d columns identical (all but `seconds`), fitted measures %s; max |diff| of value %g\n",
            sum(same), length(cols), if (same_fits) "identical" else "DIFFERENT", dmax))
print(data.frame(n = ref$n, replicate = ref$replicate, loss = ref$loss, align = ref$align,
                 sequential = ref$value, slurm = clu$value, identical = ref$value == clu$value)[ref$loss != "D1" | ref$align == "moment", ],
      digits = 10, row.names = FALSE)
if (!all(same) || !same_fits) {
  stop("the study on Slurm differs from the sequential one in: ",
       paste(c(cols[!same], if (!same_fits) "fits"), collapse = ", "))
}
EOF
t0=$(date +%s.%N)
# in the background and waited for, so that a TERM to this script runs the EXIT trap at once
R_LIBS="$LIB${R_LIBS:+:$R_LIBS}" Rscript --vanilla "$T/smoke.R" "$T" "$TEMPLATE" &
RPID=$!
# a watchdog: a daemon that dies or a study that hangs fails the run instead of blocking it
limit=${SMOKE_TIMEOUT:-600}
while kill -0 "$RPID" 2>/dev/null; do
  for i in 0 1 2; do
    kill -0 "${PIDS[i]}" 2>/dev/null || die "${DAEMONS[i]} (pid ${PIDS[i]}) exited during the study"
  done
  [ "$(since "$t0" | cut -d. -f1)" -lt "$limit" ] || die "the study did not finish within $limit s (SMOKE_TIMEOUT)"
  sleep 1
done
wait "$RPID" || die "the R part failed (above)"
RPID=
t_study=$(since "$t0")

# ---- 4. summary ----------------------------------------------------------------------------------
# every finished job is a line of the completion log; wait a moment for the last one
for _ in $(seq 20); do [ -z "$(squeue -h -o %i)" ] && break; sleep 0.5; done
sleep 1
jobs_done=$(grep -c '^JobId=' "$T/log/jobcomp.txt" 2>/dev/null || true)
jobs_ok=$(grep -c 'JobState=COMPLETED' "$T/log/jobcomp.txt" 2>/dev/null || true)
submitted=$(grep -c '_slurm_rpc_submit_batch_job: JobId=' "$T/log/slurmctld.log" 2>/dev/null || true)
log "jobs submitted: $submitted (1 probe + 4 rate_study tasks); finished: ${jobs_done:-0}, COMPLETED: ${jobs_ok:-0}"
echo "  job  name                 state      node  start -> end (s)"
awk '{
  for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
  s = v["StartTime"]; e = v["EndTime"]; gsub(/[-T:]/, " ", s); gsub(/[-T:]/, " ", e)
  printf "  %-4s %-20s %-10s %-5s %s -> %s (%d)\n", v["JobId"], substr(v["Name"], 1, 20), v["JobState"],
         v["NodeList"], substr(v["StartTime"], 12), substr(v["EndTime"], 12), mktime(e) - mktime(s)
}' "$T/log/jobcomp.txt"
awk '{ n[$1]++; if ($3 == "R") r[$1]++; else if ($3 == "PD") p[$1]++ }
  END { m = 0; for (t in n) { if (n[t] > m) m = n[t]; if (r[t] > mr) mr = r[t]; if (p[t] > mp) mp = p[t] }
        printf "cluster-smoke: squeue (sampled each second): at most %d job(s) in the queue at once (at most %d running, %d pending)\n", m, mr + 0, mp + 0 }' \
  "$T/log/squeue.txt"
if sacct_out=$(sacct -n -X -o JobID,State 2>&1); then
  echo "sacct:"; echo "$sacct_out"
else
  log "sacct: $(echo "$sacct_out" | head -n 1) (no slurmdbd here: the job completion log above stands in)"
fi
[ "$submitted" -ge 5 ] && [ "${jobs_ok:-0}" -ge 5 ] && [ "$jobs_done" = "$jobs_ok" ] ||
  die "expected 5 submitted and COMPLETED jobs (submitted $submitted, finished $jobs_done, completed $jobs_ok)"
log "seconds: install $t_install, cluster start $t_start, study (R, both runs) $t_study, total $(since "$t_all")"
