#!/bin/sh
# Bundles a lab script and runs it on this machine's adapter, from the repository root:
#   bench/lab/run.sh [bench/lab/<name>.ts]
# The bundle goes to node_modules/.lab/ so that `webgpu` resolves. On the software adapter set
# VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json, as npm test does.
set -e
LAB=${1:-bench/lab/data-movement.ts} LAB_OUT=node_modules/.lab npx vite build --config bench/lab/vite.lab.config.ts --logLevel warn
node node_modules/.lab/lab.mjs
