#!/usr/bin/env bash
# `npm start`: sets up what is missing, builds, runs the Node example (it loads the module, prints info(), and
# runs a realistic layer in both conventions with timings), then serves the demo page (web/) with the
# cross-origin isolation headers at http://127.0.0.1:8080 (PORT overrides) until Ctrl-C.
# CI runs `npm test`, never this: the server does not end by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
node examples/node-example.mjs
exec node scripts/serve.mjs
