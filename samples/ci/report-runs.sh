#!/usr/bin/env bash
# Reports every training run under RUNS_DIR in one swa-report batch and publishes the result.
#   samples/ci/report-runs.sh RUNS_DIR REPORT_DIR [TOL]
# RUNS_DIR holds swa-train run folders (each with snapshots/) or plain folders of snapshots.
# REPORT_DIR gets one report per run plus summary.md / summary.json. The summary is appended to
# $GITHUB_STEP_SUMMARY when set (GitHub Actions shows it on the run's page).
# Exit code: swa-report's: 0 ok, 1 a run could not be read, 3 SWA trails the best single snapshot
# of some run by more than TOL validation points (default 0.5).
# Environment: SWA_DATA (CIFAR-10 folder, required), SWA_BIN (folder of the swa tools; default:
# PATH), SWA_REPORT_FLAGS (extra swa-report flags, e.g. "--bn-samples 5000 --device cuda").
set -uo pipefail
runs=${1:?usage: report-runs.sh RUNS_DIR REPORT_DIR [TOL]}
out=${2:?usage: report-runs.sh RUNS_DIR REPORT_DIR [TOL]}
tol=${3:-0.5}
report=${SWA_BIN:+$SWA_BIN/}swa-report
mapfile -t folders < <(find "$runs" -mindepth 1 -maxdepth 1 -type d | sort)
if [ ${#folders[@]} -eq 0 ]; then
  echo "report-runs: no run folders in $runs" >&2
  exit 1
fi
# shellcheck disable=SC2086
"$report" "${folders[@]}" --data "${SWA_DATA:?set SWA_DATA to the CIFAR-10 folder}" -o "$out" \
  --fail-if-worse "$tol" --json "$out.json" ${SWA_REPORT_FLAGS:-}
code=$?
# A single run folder gives no summary.md (its report is the whole output).
summary="$out/summary.md"
[ -f "$summary" ] || summary="$out/report.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$summary" ]; then
  cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
echo "report-runs: exit $code; reports in $out" >&2
exit $code
