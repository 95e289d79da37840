#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for the rehearsal of the paper config
# (`make rehearsal-slurm`): Debian's slurm-wlm and munge, started without systemd.
#
#   .ci/slurm_cluster.sh start    install (apt) if needed, write the config, start the daemons
#   .ci/slurm_cluster.sh stop     stop the daemons this script started
#   .ci/slurm_cluster.sh env      print the export line a shell needs to reach the cluster
#
# The node declares four GPUs (gres on four empty files standing in for device files: a
# declared device file that does not exist drains the node), so rules that ask for a GPU are
# scheduled on a CPU machine, four at a time, as the jobs of other rules are. It
# declares at least 16 CPUs whatever the machine has, and four times its memory
# (SlurmdParameters=config_overrides): jobs that ask for several threads, or for the memory
# their rule asks at paper scale, are then scheduled side by side, sharing the real cores. Partitions `cpu`
# and `gpu` are the names profiles/slurm/site.yaml gives. No accounting database runs, so
# `sacct` has nothing to say: the profile checks jobs with squeue, and MinJobAge keeps a
# finished job visible to it for 300 s. Jobs may run past their time limits
# (OverTimeLimit=UNLIMITED): the limits are the cost model's for a GPU, and here the CPU does
# a GPU's work in emulated bf16, ten times slower than fp32; a real cluster enforces them.
set -euo pipefail

STATE=${SLURM_STATE_DIR:-/tmp/signal-robustness-slurm}
CONF=$STATE/etc/slurm.conf
HOST=$(hostname -s)
GPUS=4

install_packages() {
    command -v slurmctld >/dev/null && command -v munged >/dev/null && return
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurm-wlm munge >/dev/null
}

write_config() {
    local cpus memory
    cpus=$(nproc)
    ((cpus < 16)) && cpus=16
    # Four times the machine's memory, in MiB, as the CPUs are declared beyond the cores: jobs
    # ask for their paper-scale caps (4-8 GB for a series network that uses under 1 GB), which
    # would otherwise leave most of the few cores idle. Without cgroups SLURM enforces neither.
    memory=$(awk '/MemTotal/ {printf "%d", $2 * 4 / 1024}' /proc/meminfo)
    mkdir -p "$STATE"/{etc,ctld,spool,log,munge}
    cat >"$CONF" <<EOF
ClusterName=rehearsal
SlurmctldHost=$HOST
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
ReturnToService=2
MinJobAge=300
OverTimeLimit=UNLIMITED
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdParameters=config_overrides
NodeName=$HOST CPUs=$cpus RealMemory=$memory Gres=gpu:$GPUS State=UNKNOWN
PartitionName=cpu Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST MaxTime=INFINITE State=UP
EOF
    mkdir -p "$STATE/dev"
    for ((i = 0; i < GPUS; i++)); do touch "$STATE/dev/gpu$i"; done
    echo "NodeName=$HOST Name=gpu File=$STATE/dev/gpu[0-$((GPUS - 1))]" >"$STATE/etc/gres.conf"
    # Inside a job, srun (the plugin's job step) finds no SLURM_CONF and reads the default
    # place: link it there, unless a cluster of this machine's own is configured there.
    local default=/etc/slurm/slurm.conf
    if [[ -e $default && ! -L $default ]]; then
        echo "$default exists and is not this script's: stop that cluster, or move it aside" >&2
        exit 1
    fi
    mkdir -p /etc/slurm
    ln -sfn "$CONF" "$default"
    ln -sfn "$STATE/etc/gres.conf" /etc/slurm/gres.conf
}

start() {
    install_packages
    # A cluster of this script's left running (a killed CI run) is replaced, not doubled.
    stop
    pkill -f "slurm(ctld|d) -f $CONF" 2>/dev/null || true
    write_config
    export SLURM_CONF=$CONF
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    if ! pgrep -x munged >/dev/null; then
        # As root munged needs --force; its key comes with the package.
        munged --force --pid-file "$STATE/munge/munged.pid" --log-file "$STATE/log/munged.log" \
            --seed-file "$STATE/munge/munged.seed"
        echo started >"$STATE/munge/started"
    fi
    for _ in $(seq 50); do
        [[ -S /run/munge/munge.socket.2 ]] && break
        sleep 0.1
    done
    slurmctld -f "$CONF"
    slurmd -f "$CONF"
    # Up when the node takes jobs: a one-second job on each partition, the GPU one with its gres.
    for _ in $(seq 60); do
        sinfo -h -o %T 2>/dev/null | grep -q -E '^(idle|mixed)' && break
        sleep 1
    done
    srun -p cpu -t 1 -N 1 true
    srun -p gpu --gres=gpu:1 -t 1 -N 1 true
    echo "SLURM is up: $(sinfo -h -o '%P %T %C %G' | tr '\n' ';') config $CONF"
}

stop() {
    export SLURM_CONF=$CONF
    scancel --user="$(id -un)" 2>/dev/null || true
    local pids=()
    for daemon in slurmd slurmctld; do
        [[ -f $STATE/$daemon.pid ]] && pids+=("$(cat "$STATE/$daemon.pid")")
    done
    for link in /etc/slurm/slurm.conf /etc/slurm/gres.conf; do
        [[ -L $link && $(readlink "$link") == "$STATE"/* ]] && rm -f "$link"
    done
    if [[ -f $STATE/munge/started ]]; then
        pids+=("$(cat "$STATE/munge/munged.pid")")
        rm -f "$STATE/munge/started"
    fi
    ((${#pids[@]})) || return 0
    kill "${pids[@]}" 2>/dev/null || true
    # Gone before a later start looks for them.
    for _ in $(seq 100); do
        kill -0 "${pids[@]}" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
}

case ${1:-} in
start) start ;;
stop) stop ;;
env) echo "export SLURM_CONF=$CONF" ;;
*)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
