#!/usr/bin/env bash
# Whole-process start-up: the Native AOT `ci --version` against the same program on the JIT runtime
# (`dotnet ci.dll --version`), measured in one hyperfine run so the ratio holds on a noisy machine.
# Usage: tests/Ci.Benchmarks/scripts/startup.sh   (after ./build.sh publish; needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build cli/Ci.Cli.csproj -c Release --nologo -v quiet >/dev/null
jit=$(ls cli/bin/Release/net10.0/ci.dll)
hyperfine -N --warmup 5 --runs 50 --export-markdown /dev/stdout \
  "artifacts/bin/ci --version" \
  "dotnet $jit --version"
