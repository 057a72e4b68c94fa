#!/usr/bin/env bash
# `npm start`: sets up what is missing, builds, and runs the main job: the Node example, which loads the
# module, prints info(), and runs a realistic layer in both conventions with timings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
node examples/node-example.mjs
