#!/usr/bin/env bash
# RaC rounds on a simulated robot, against spending the same human seconds on more demonstrations.
#
#   Experiments/rac-rounds.sh ROBOT OUTDIR
#
# ROBOT is sim-arm or sim-car (or a description path; then set the sizes below yourself). OUTDIR
# receives every recording, policy and log, and table.md. Run from the package root after
# `swift build -c release`.
#
# Round 0: a policy fitted on R0_SECONDS of scripted-operator teleoperation (`reins teleop --device
#   sim`: the task's expert as a person's full demonstrations).
# Round k (RaC): `reins deploy --operator sim` of round k−1's RaC policy for N episodes, recorded;
#   `reins fit` on round 0 and every round's recording so far.
# Round k (baseline): `reins teleop --device sim` for as many more control seconds of full
#   demonstrations as the RaC rounds have so far used human-controlled seconds; `reins fit` on
#   round 0 and every baseline recording so far.
# Each policy is evaluated without the operator on EVAL episodes with the same seed.
#
# Every run has a fixed seed, so a rerun gives the same episodes' goals; the simulator runs on its
# own thread, so the numbers can differ slightly from run to run (see the README).
# Settings can be overridden from the environment (e.g. ROUNDS=2 N=10 Experiments/rac-rounds.sh ...).
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 ROBOT OUTDIR   (ROBOT: sim-arm, sim-car or a description .yaml)" >&2
    exit 2
fi
robot_name=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
reins=${REINS:-$here/../.build/release/reins}
count="python3 $here/rac-count.py"
case $robot_name in
    *.yaml) robot=$robot_name ;;
    *) robot=$here/../Robots/$robot_name.yaml ;;
esac
[[ -x $reins ]] || { echo "no reins binary at $reins: run swift build -c release first" >&2; exit 2; }
[[ -f $robot ]] || { echo "no robot description $robot" >&2; exit 2; }
robot=$(cd "$(dirname "$robot")" && pwd)/$(basename "$robot")
python3 -c 'import mcap' 2>/dev/null || { echo "python3 needs the mcap package (pip install mcap)" >&2; exit 2; }

# Sizes per robot: round 0's demonstration seconds, the fit, rounds, episodes per round, evaluation.
case $(basename "$robot" .yaml) in
    sim-arm)
        : "${R0_SECONDS:=170}" "${HIDDEN:=256,256}" "${SPEED:=10}" "${N:=20}" "${RESUME:=0}" "${EVAL_FRESH:=0}" ;;
    sim-car)
        : "${R0_SECONDS:=3}" "${HIDDEN:=64,64}" "${SPEED:=5}" "${N:=2}" "${RESUME:=1}" "${EVAL_FRESH:=1}" ;;
esac
: "${R0_SECONDS:?set R0_SECONDS}" "${HIDDEN:=256,256}" "${SPEED:=5}" "${N:=10}" "${RESUME:=0}" "${EVAL_FRESH:=0}"
: "${ROUNDS:=3}" "${EVAL:=50}" "${EVAL_SEED:=9000}" "${FIT_SEED:=0}" "${LIPSCHITZ:=10}" "${EPOCHS:=}"
# The simulator shares two cores with other work: a starved simulator thread trips the runtime's
# watchdog (exit 4). NICE raises the runs' priority (root may lower it below 0); a run that faults
# anyway is repeated with the same seed, up to three times.
: "${NICE:=-10}"

mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/log.txt
: >"$log"
say() { echo "$*" | tee -a "$log" >&2; }
now() { date +%s.%N; }

# Runs a simulated reins command; repeats it (same arguments, same seed) when it faulted (exit 4).
run_sim() {
    local attempt status
    for attempt in 1 2 3; do
        status=0
        nice -n "$NICE" "$reins" "$@" >"$out/last.out" 2>&1 || status=$?
        cat "$out/last.out" >>"$log"
        if [[ $status -ne 4 ]]; then
            [[ $status -eq 0 ]] || { say "reins $* failed (exit $status)"; tail -5 "$out/last.out" >&2; exit 1; }
            return 0
        fi
        say "  (the run faulted, attempt $attempt: $(grep -m1 '^faults:' "$out/last.out" || true); repeating it)"
    done
    say "reins $* faulted three times"
    exit 1
}

fit() { # fit OUT.safetensors RECORDING...
    local policy=$1
    shift
    local args=(fit "$@" --robot "$robot" --out "$policy" --force --hidden "$HIDDEN" --lipschitz "$LIPSCHITZ" --seed "$FIT_SEED" --quiet)
    [[ -n $EPOCHS ]] && args+=(--epochs "$EPOCHS")
    "$reins" "${args[@]}" >>"$log" 2>&1 || { say "reins ${args[*]} failed"; exit 1; }
}

# "yes" when the policy's Lipschitz certificate is within the robot's tolerance, else "no".
certified() {
    if "$reins" policy inspect "$1" --robot "$robot" >>"$log" 2>&1; then echo yes; else echo no; fi
}

uncertified_flag() { [[ $(certified "$1") == yes ]] || echo --accept-uncertified; }

# Successes in the summary of the last run ("episodes: success X, failure Y, timeout Z").
successes() {
    local line success
    line=$(grep -m1 '^episodes:' "$out/last.out") || { say "no episodes line in the summary of reins $*"; exit 1; }
    success=$(sed -n 's/.*success \([0-9][0-9]*\).*/\1/p' <<<"$line")
    echo "${success:-0}"
}

# Success rate of a policy over EVAL episodes without the operator, as "X/EVAL". One run of EVAL
# episodes with seed EVAL_SEED; with EVAL_FRESH=1 one run per episode (seeds EVAL_SEED+1 …), each
# from the simulator's start: a car's next episode starts where the last one stopped, so a car that
# left the lane would fail every following episode at its first tick.
evaluate() {
    local policy=$1 flag total=0 i
    flag=$(uncertified_flag "$policy")
    if [[ $EVAL_FRESH == 1 ]]; then
        for i in $(seq 1 "$EVAL"); do
            run_sim deploy --robot "$robot" --policy "$policy" --episodes 1 --speed "$SPEED" --seed $((EVAL_SEED + i)) --quiet ${flag:+"$flag"}
            total=$((total + $(successes "$policy")))
        done
    else
        run_sim deploy --robot "$robot" --policy "$policy" --episodes "$EVAL" --speed "$SPEED" --seed "$EVAL_SEED" --quiet ${flag:+"$flag"}
        total=$(successes "$policy")
    fi
    echo "$total/$EVAL"
}

field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

say "robot $robot; round 0 ${R0_SECONDS} s of demonstrations; fit --hidden $HIDDEN --lipschitz $LIPSCHITZ${EPOCHS:+ --epochs $EPOCHS};" \
    "$ROUNDS rounds of $N episodes (resume after correction: $RESUME); evaluation $EVAL episodes, seed $EVAL_SEED; speed $SPEED"

# Round 0.
start=$(now)
run_sim teleop --robot "$robot" --device sim --no-wait --duration "$R0_SECONDS" --speed "$SPEED" --seed 200 --record "$out/round0.mcap" --force --quiet
fit "$out/policy0.safetensors" "$out/round0.mcap"
r0_demo=$($count "$out/round0.mcap" | field demo_seconds)
success0=$(evaluate "$out/policy0.safetensors")
cert0=$(certified "$out/policy0.safetensors")
wall0=$(python3 -c "print(round($(now) - $start))")
say "round 0: ${r0_demo} s of demonstrations, success $success0 (certified $cert0), ${wall0} s"

rows=("| 0 | $success0 ($cert0) | – | – | – | – | $success0 ($cert0) | – | ${wall0} s |")
rac_files=("$out/round0.mcap")
base_files=("$out/round0.mcap")
rac_policy=$out/policy0.safetensors
human_total=0
base_total=0
resume=()
[[ $RESUME == 1 ]] && resume=(--resume-after-correction)
for round in $(seq 1 "$ROUNDS"); do
    start=$(now)
    # RaC: the scripted operator watches the last RaC policy and intervenes.
    flag=$(uncertified_flag "$rac_policy")
    run_sim deploy --robot "$robot" --policy "$rac_policy" --operator sim "${resume[@]}" --episodes "$N" --speed "$SPEED" \
        --seed $((100 + round)) --record "$out/rac$round.mcap" --force --quiet ${flag:+"$flag"}
    rac_files+=("$out/rac$round.mcap")
    stats=$($count "$out/rac$round.mcap")
    human=$(field human_seconds <<<"$stats")
    human_total=$(python3 -c "print(round($human_total + $human, 2))")
    per_episode=$(python3 -c "import json; s=json.loads('''$stats'''); print(f\"{s['takeovers'] / max(1, s['episodes']):.2f}\")")
    ratio=$(python3 -c "import json; s=json.loads('''$stats'''); r=s['recovery_ticks']; print(f\"1:{s['correction_ticks'] / r:.2f}\" if r else 'no recovery')")
    rac_policy=$out/rac-policy$round.safetensors
    fit "$rac_policy" "${rac_files[@]}"
    rac_success=$(evaluate "$rac_policy")
    rac_cert=$(certified "$rac_policy")

    # Baseline: the same cumulative human seconds as full demonstrations.
    need=$(python3 -c "print(round(max(0.0, $human_total - $base_total), 2))")
    if python3 -c "import sys; sys.exit(0 if $need >= 0.1 else 1)"; then
        run_sim teleop --robot "$robot" --device sim --no-wait --duration "$need" --speed "$SPEED" --seed $((200 + round)) \
            --record "$out/demos$round.mcap" --force --quiet
        base_files+=("$out/demos$round.mcap")
        got=$($count "$out/demos$round.mcap" | field demo_seconds)
        base_total=$(python3 -c "print(round($base_total + $got, 2))")
    fi
    base_policy=$out/base-policy$round.safetensors
    fit "$base_policy" "${base_files[@]}"
    base_success=$(evaluate "$base_policy")
    base_cert=$(certified "$base_policy")
    wall=$(python3 -c "print(round($(now) - $start))")
    say "round $round: RaC $rac_success ($rac_cert), $per_episode interventions/episode, human ${human} s (total ${human_total} s), recovery:correction $ratio;" \
        "baseline $base_success ($base_cert) with ${base_total} s of extra demonstrations; ${wall} s"
    rows+=("| $round | $rac_success ($rac_cert) | $per_episode | $human | $human_total | $ratio | $base_success ($base_cert) | $base_total | ${wall} s |")
done

{
    echo "$(basename "$robot" .yaml): round 0 = ${r0_demo} s of demonstrations; $N RaC episodes per round; success over $EVAL evaluation episodes (seed $EVAL_SEED$([[ $EVAL_FRESH == 1 ]] && echo "+1…+$EVAL, one run each")) without the operator; (yes/no) = Lipschitz certificate within the action tolerance"
    echo
    echo "| round | RaC success (certified) | interventions / episode | human s this round | human s total | recovery:correction | baseline success (certified) | baseline extra demo s total | wall clock |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "$out/table.md"
rm -f "$out/last.out"
