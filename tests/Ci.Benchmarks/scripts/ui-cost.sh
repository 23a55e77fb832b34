#!/usr/bin/env bash
# What the terminal-UI library costs the paths that do not use it: size of `ci` and start-up of `ci --version`,
# against a Native AOT hello world built in the same run (same SDK, same size options). Start-up is counted in
# instructions (valgrind callgrind: the same count on a busy machine) and timed with hyperfine.
# Usage: tests/Ci.Benchmarks/scripts/ui-cost.sh [CI_BINARY...]   (default: artifacts/bin/ci; needs valgrind, hyperfine)
set -euo pipefail
cd "$(dirname "$0")/../../.."
binaries=("${@:-artifacts/bin/ci}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/hello.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization>
    <OptimizationPreference>Size</OptimizationPreference>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
</Project>
XML
echo 'System.Console.WriteLine("hello");' > "$work/Program.cs"
dotnet publish "$work/hello.csproj" -c Release -o "$work/out" --nologo -v quiet >/dev/null
hello="$work/out/hello"

instructions() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
base=$(instructions "$hello")
printf '| program | size (bytes) | start-up instructions | vs hello |\n|---|---|---|---|\n'
printf '| AOT hello world | %s | %s | 1.00 |\n' "$(stat -c %s "$hello")" "$base"
for b in "${binaries[@]}"; do
  n=$(instructions "$b" --version)
  printf '| `%s --version` | %s | %s | %.2f |\n' "$b" "$(stat -c %s "$b")" "$n" "$(echo "$n / $base" | bc -l)"
done
commands=("$hello")
for b in "${binaries[@]}"; do commands+=("$b --version"); done
hyperfine -N --warmup 10 --runs 100 --export-markdown /dev/stdout "${commands[@]}" 2>/dev/null | grep '^|'
