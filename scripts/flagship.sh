#!/usr/bin/env bash
# The main job: install, check the flagship design, write its report and diagram.
# Every output is written even when a property fails; the exit status is then
# the check's own (0 all hold, 1 some fail, 2 invalid, 3 unknown).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
mkdir -p out
design=designs/flagship-ai-agreement.yaml
verify validate designs/*.yaml || exit $?
verify check "$design" -o out/flagship-report.txt
status=$?
verify check "$design" --format json -o out/flagship-report.json
verify claims "$design" > out/flagship-claims.txt
verify render "$design" -o out/flagship.svg || exit $?
verify report "$design" --format html -o out/flagship-report.html || exit $?
cat out/flagship-report.txt
echo "reports: out/flagship-report.txt, out/flagship-report.json, out/flagship-claims.txt, out/flagship-report.html; diagram: out/flagship.svg"
exit $status
