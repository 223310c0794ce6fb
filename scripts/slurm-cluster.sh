#!/usr/bin/env bash
# A one-node Slurm cluster on this host for capmin's cluster tests (root, no systemd):
# munged + slurmctld + slurmd, proctrack/linuxproc, task/none, no accounting database.
#   bash scripts/slurm-cluster.sh start    install slurm-wlm/munge if missing, start the daemons, wait until the node is idle
#   bash scripts/slurm-cluster.sh stop     stop the daemons by the PIDs in their pid files (never by name)
#   bash scripts/slurm-cluster.sh status   print the node state
#   bash scripts/slurm-cluster.sh env      print `export SLURM_CONF=…` for clients
# Everything lives under $CAPMIN_SLURM_DIR (default /tmp/capmin-slurm); /etc/slurm is not touched.
set -euo pipefail
dir=${CAPMIN_SLURM_DIR:-/tmp/capmin-slurm}
conf=$dir/slurm.conf
export SLURM_CONF=$conf

install_pkgs() {
  local need=()
  command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
  command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ] || need+=(munge)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "slurm-cluster: need root to install ${need[*]}" >&2; exit 1; fi
    [ -n "${CAPMIN_APT_UPDATED:-}" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  install_pkgs
  mkdir -p "$dir/spool" "$dir/state" "$dir/munge"
  chown munge:munge "$dir/munge"
  if ! alive "$dir/munge/munged.pid"; then
    [ -f /etc/munge/munge.key ] || runuser -u munge -- /usr/sbin/mungekey -c 2>/dev/null || /usr/sbin/create-munge-key -f
    runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
      --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  fi
  local h; h=$(hostname)
  cat >"$conf" <<CONF
ClusterName=capmin
SlurmctldHost=$h
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/ctld.log
SlurmdLogFile=$dir/d.log
SlurmctldPort=${CAPMIN_SLURMCTLD_PORT:-6917}
SlurmdPort=${CAPMIN_SLURMD_PORT:-6918}
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
MaxArraySize=${CAPMIN_SLURM_MAX_ARRAY:-1001}
NodeName=$h CPUs=$(nproc) RealMemory=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512)) State=UNKNOWN
PartitionName=debug Nodes=$h Default=YES MaxTime=INFINITE State=UP
CONF
  alive "$dir/slurmctld.pid" || /usr/sbin/slurmctld -f "$conf"
  alive "$dir/slurmd.pid" || /usr/sbin/slurmd -f "$conf"
  for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then echo "slurm-cluster: up (SLURM_CONF=$conf)" >&2; return 0; fi
    sleep 0.5
  done
  echo "slurm-cluster: the node did not become idle in 30 s; see $dir/ctld.log and $dir/d.log" >&2
  exit 1
}

stop() {
  for p in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if alive "$p"; then
      pid=$(cat "$p"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo -h -o '%N %T' ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "slurm-cluster: usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
