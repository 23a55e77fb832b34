#!/usr/bin/env pwsh
# Build, test, publish and demo the ci system. Usage: ./build.ps1 [build|test|publish|demo] (default: build)
param([ValidateSet('build', 'test', 'publish', 'demo')][string]$Verb = 'build')
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$Bin = Join-Path $PSScriptRoot 'artifacts/bin'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'

function Get-Rid {
    $arch = if ([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture -eq 'Arm64') { 'arm64' } else { 'x64' }
    if ($IsWindows -or $env:OS -eq 'Windows_NT') { "win-$arch" } elseif ($IsMacOS) { "osx-$arch" } else { "linux-$arch" }
}

function Invoke-Checked([scriptblock]$Block) { & $Block; if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE } }

function Invoke-Build { Invoke-Checked { dotnet build ci.slnx -c Release --nologo -v quiet } }

function Invoke-Publish {
    $rid = if ($env:RID) { $env:RID } else { Get-Rid }
    New-Item -ItemType Directory -Force $Bin | Out-Null
    foreach ($project in 'cli/Ci.Cli.csproj', 'server/Server/Ci.Server.csproj', 'server/Admin/Ci.Admin.csproj') {
        Invoke-Checked { dotnet publish $project -c Release -r $rid -p:PublishAot=true --nologo -v quiet -o $Bin }
    }
    Get-ChildItem $Bin -Include *.pdb, *.dbg -Recurse | Remove-Item
    Get-ChildItem $Bin
}

function Get-JobPython {
    foreach ($p in @($env:CI_PYTHON, 'python3', 'python')) {
        if (-not $p) { continue }
        $cmd = Get-Command $p -ErrorAction SilentlyContinue
        if ($cmd) {
            & $cmd.Source -c 'import venv, pytest' 2>$null
            if ($LASTEXITCODE -eq 0) { return $cmd.Source }
        }
    }
    Write-Error 'The demo job needs Python 3 with venv and pytest (pip install pytest), or set CI_PYTHON.'
}

function Invoke-Demo {
    $python = Get-JobPython
    $exe = if ($IsWindows -or $env:OS -eq 'Windows_NT') { '.exe' } else { '' }
    if (-not (Test-Path (Join-Path $Bin "ci-server$exe"))) { Invoke-Publish | Out-Null }
    $data = Join-Path ([System.IO.Path]::GetTempPath()) ([System.IO.Path]::GetRandomFileName())
    New-Item -ItemType Directory $data | Out-Null
    $env:CI_DB_PATH = Join-Path $data 'ci.db'
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $listener.Start()
    $port = $listener.LocalEndpoint.Port; $listener.Stop()
    & (Join-Path $Bin "ci-admin$exe") user create --name 'Demo User' --email demo@example.com | Out-Null
    $created = & (Join-Path $Bin "ci-admin$exe") key create --email demo@example.com --name demo
    $key = ([regex]::Match(($created -join "`n"), 'ci_[A-Za-z0-9_-]+')).Value
    $server = Start-Process -FilePath (Join-Path $Bin "ci-server$exe") -ArgumentList '--port', $port, '--python', $python -PassThru -RedirectStandardError (Join-Path $data 'server.log')
    try {
        for ($i = 0; $i -lt 100; $i++) {
            try { Invoke-RestMethod "http://127.0.0.1:$port/health" | Out-Null; break } catch { Start-Sleep -Milliseconds 100 }
        }
        $env:CI_SERVER_URL = "http://127.0.0.1:$port"; $env:CI_API_KEY = $key
        Push-Location examples/calculator
        & (Join-Path $Bin "ci$exe") submit test
        $status = $LASTEXITCODE
        Pop-Location
        exit $status
    }
    finally { Stop-Process -Id $server.Id -ErrorAction SilentlyContinue }
}

function Invoke-Test {
    Invoke-Publish | Out-Null
    $env:CI_TEST_PYTHON = Get-JobPython
    Invoke-Checked { dotnet build ci.slnx -c Release --nologo -v quiet }
    Invoke-Checked { dotnet test --solution ci.slnx -c Release --no-build }
}

switch ($Verb) {
    'build' { Invoke-Build }
    'publish' { Invoke-Publish }
    'demo' { Invoke-Demo }
    'test' { Invoke-Test }
}
