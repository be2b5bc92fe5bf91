#!/usr/bin/env bash
# The main job: install, check the flagship design, write its report and diagram.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
design=designs/flagship-ai-agreement.yaml
verify validate designs/*.yaml
verify check "$design" -o out/flagship-report.txt
verify check "$design" --format json -o out/flagship-report.json
verify claims "$design" > out/flagship-claims.txt
verify render "$design" -o out/flagship.svg
cat out/flagship-report.txt
