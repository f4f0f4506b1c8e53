# Shared set-up for the TcpClose Pester suite, dot-sourced from each *.Tests.ps1 in BeforeAll:
# imports the module under test, then defines the helpers. Every wait here is bounded; nothing
# sleeps for a fixed time where a condition can be polled.

# The module under test: the one build.ps1 -Test staged (it passes the path), else the staged
# copy of the manifest's version under out/.
$modulePath = $env:TCPCLOSE_MODULE_PATH
if (-not $modulePath) {
    $repoRoot = Split-Path -Parent $PSScriptRoot
    $version = (Import-PowerShellDataFile -Path (Join-Path $repoRoot 'TcpClose.psd1')).ModuleVersion
    $modulePath = Join-Path $repoRoot "out/TcpClose/$version/TcpClose.psd1"
}
Import-Module $modulePath -Force

# Platform flags for use inside It blocks. ($IsLinux and friends do not exist in Windows
# PowerShell 5.1; read them without failing there. -Skip: values are computed separately in each
# file's BeforeDiscovery, because BeforeAll has not run yet when tests are discovered.)
$TcpTestOnLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
$TcpTestOnMacOS = [bool](Get-Variable -Name IsMacOS -ValueOnly -ErrorAction SilentlyContinue)
$TcpTestOnWindows = -not ($TcpTestOnLinux -or $TcpTestOnMacOS)

# Wine (pwsh-windows in the Windows lane) answers the Windows APIs from the Linux kernel. Detected
# by tests/UnderWine.ps1 (ntdll's wine_get_version export). A test whose
# Windows behaviour Wine cannot show asserts what Wine does implement, then ends with
# Set-TcpWineSkip, which marks it skipped with the reason; elsewhere it runs in full.
$TcpTestUnderWine = [bool](& (Join-Path $PSScriptRoot 'UnderWine.ps1'))

function Get-TcpTestPowerShell {
    <#
    .SYNOPSIS
    The PowerShell to start a child with: this one's, from $PSHOME (pwsh, pwsh.exe; powershell.exe
    on Windows PowerShell). Never the process path: under pwsh installed as a .NET tool
    (`dotnet tool install PowerShell`, or a tool manifest's `dotnet pwsh`) that path is `dotnet`.
    #>
    [OutputType([string])]
    param()
    if ($PSVersionTable.PSEdition -ne 'Core') { return Join-Path $PSHOME 'powershell.exe' }
    if ($TcpTestOnWindows) { return Join-Path $PSHOME 'pwsh.exe' }
    Join-Path $PSHOME 'pwsh'
}

function Get-TcpIsolatedPowerShell {
    <#
    .SYNOPSIS
    The command line that starts a child PowerShell in a network namespace of its own (Linux, as
    root, with unshare and ip): its TCP table holds only what it makes, so an example that counts
    the rows of its port never counts another process's row that happens to share the port number.
    Elsewhere, the child PowerShell as it is. Use: $c = Get-TcpIsolatedPowerShell; & $c[0] @($c[1..99] + $arguments)
    #>
    [OutputType([string[]])]
    param()
    $pwsh = Get-TcpTestPowerShell
    if ($TcpTestOnLinux -and "$(id -u)" -eq '0' -and (Get-Command unshare, ip -CommandType Application -ErrorAction Ignore).Count -ge 2) {
        return @('unshare', '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', $pwsh)
    }
    @($pwsh)
}

function Find-TcpPowerShellForUser {
    <#
    .SYNOPSIS
    Linux, as root: a PowerShell that the user with this uid can start (setpriv), or $null.
    This one ($PSHOME) first, then every pwsh on PATH. A PowerShell restored as a .NET tool under
    root's home (mode 700) is not one: its files cannot be read by another user.
    #>
    [OutputType([string])]
    param([int] $Uid = 65534)
    $candidates = @(Get-TcpTestPowerShell) + @(Get-Command -Name pwsh -CommandType Application -All -ErrorAction Ignore | ForEach-Object { $_.Source })
    foreach ($candidate in $candidates | Select-Object -Unique) {
        $null = setpriv "--reuid=$Uid" "--regid=$Uid" --clear-groups $candidate -NoProfile -NonInteractive -Command 'exit 7' 2>&1
        if ($LASTEXITCODE -eq 7) { return $candidate }
    }
    $null
}

function Invoke-TcpAsUser {
    <#
    .SYNOPSIS
    Linux, as root: runs a script as another user (setpriv) in a PowerShell that user can start,
    with a world-readable copy of the module under test imported (a clone under a 0700 folder, as
    mktemp -d makes, is not readable by others). Returns the output lines, or $null when no
    PowerShell here can run as that user (the caller skips, saying so).
    #>
    param([Parameter(Mandatory)] [string] $Script, [int] $Uid = 65534)
    $pwsh = Find-TcpPowerShellForUser -Uid $Uid
    if (-not $pwsh) { return $null }
    $copy = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-user-' + [guid]::NewGuid().ToString('N'))
    Copy-Item -LiteralPath (Get-Module TcpClose).ModuleBase -Destination $copy -Recurse
    chmod -R a+rX $copy
    try {
        $full = "`$PSStyle.OutputRendering = 'PlainText'; Import-Module '$(Join-Path $copy 'TcpClose.psd1')'; $Script"
        @(setpriv "--reuid=$Uid" "--regid=$Uid" --clear-groups $pwsh -NoProfile -NonInteractive -Command $full 2>&1 | ForEach-Object { "$_" })
    }
    finally {
        Remove-Item -LiteralPath $copy -Recurse -Force
    }
}

# Why Invoke-TcpAsUser returned $null: the reason a test skips with.
$TcpNoUserPowerShell = "user nobody can run no PowerShell here: this one ($PSHOME) is in a folder only root can read " +
    '(a .NET tool restored under root''s home is), and no pwsh on PATH works for nobody; install PowerShell where every user can run it'

function Get-TcpReleaseNotes {
    <#
    .SYNOPSIS
    This version's section of CHANGELOG.md: what the build puts into the manifest's ReleaseNotes.
    #>
    param([Parameter(Mandatory)] [string] $Version)
    $changelog = Get-Content -LiteralPath (Join-Path (Split-Path -Parent $PSScriptRoot) 'CHANGELOG.md') -Raw
    [regex]::Match($changelog, "(?ms)^## $([regex]::Escape($Version))[^\r\n]*\r?\n(.*?)(?=^## |\z)").Groups[1].Value.Trim()
}

function New-TcpPrivateHome {
    <#
    .SYNOPSIS
    A HOME for a child with nothing of the user's, with the folders .NET expects: its GetFolderPath
    answers '' for a missing one, and NuGet (inside PSResourceGet) then writes NuGet/NuGet.Config
    relative to the working directory. Extra folders (a temp folder, say) can be asked for.
    #>
    param([Parameter(Mandatory)] [string] $Path, [string[]] $Also = @())
    foreach ($folder in @('.config', '.local/share', '.cache') + $Also) {
        New-Item -ItemType Directory -Path (Join-Path $Path $folder) -Force | Out-Null
    }
}

function Get-SsRow {
    <#
    .SYNOPSIS
    Linux: ss's own view of the rows in one state (ss's state names: listening, established,
    time-wait, ..., or all) at LocalAddress:Port, optionally to one remote port: one line per row,
    no header. The independent judge where a test asks whether a row is gone: the module's own table
    reader is not asked about itself.
    #>
    param(
        [Parameter(Mandatory)] [string] $State,
        [Parameter(Mandatory)] [int] $Port,
        [string] $LocalAddress = '127.0.0.1',
        [int] $RemotePort
    )
    $src = if ($LocalAddress.Contains(':')) { "[$LocalAddress]" } else { $LocalAddress }
    $filter = "( src $src and sport = :$Port$(if ($RemotePort) { " and dport = :$RemotePort" }) )"
    $out = @(ss -H -tan state $State $filter)
    # A bad filter or state name makes ss print nothing and exit 1 or 255: that must never read as
    # "no row".
    if ($LASTEXITCODE) { throw "ss -H -tan state $State '$filter' exited $LASTEXITCODE" }
    @($out | Where-Object { $_ })
}

function Invoke-Ss {
    <#
    .SYNOPSIS
    Linux: ss with these arguments; its non-empty lines. Throws when ss fails (a bad filter prints
    nothing and exits 1 or 255), so a failing judge never reads as "no row". ss's own -N NAME
    first judges inside a named network namespace (Invoke-Ss -N $ns -Htan state time-wait).
    #>
    $out = @(ss @args)
    if ($LASTEXITCODE) { throw "ss $args exited $LASTEXITCODE" }
    @($out | Where-Object { $_ })
}

function Set-TcpWineSkip {
    <#
    .SYNOPSIS
    Under Wine only: ends the current It as skipped, saying why Wine cannot show the Windows
    behaviour. Does nothing elsewhere, so the rest of the test runs on real Windows.
    #>
    param(
        [Parameter(Mandatory, Position = 0)]
        [string] $Because
    )

    if ($TcpTestUnderWine) {
        Set-ItResult -Skipped -Because "under Wine: $Because"
    }
}

function Wait-Until {
    <#
    .SYNOPSIS
    Polls a condition until it is true or the time is up. Returns $true or $false; never throws
    for a timeout, so the caller asserts: (Wait-Until { ... }) | Should -BeTrue
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory, Position = 0)]
        [scriptblock] $Condition,

        [double] $TimeoutSeconds = 5,

        [int] $IntervalMilliseconds = 50
    )

    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        if (& $Condition) {
            return $true
        }
        if ([DateTime]::UtcNow -ge $deadline) {
            return $false
        }
        Start-Sleep -Milliseconds $IntervalMilliseconds
    }
}

function New-TestPair {
    <#
    .SYNOPSIS
    Connects a client to a listener of this session and accepts it. Returns Client and Server.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        $Listener
    )

    $client = New-TcpConnection -RemoteAddress $Listener.LocalAddress -RemotePort $Listener.LocalPort -Timeout 5
    $server = Wait-TcpConnection -Listener $Listener -Timeout 5 -ErrorAction Stop
    [pscustomobject]@{
        Client = $client
        Server = $server
    }
}

function Close-TestConnection {
    <#
    .SYNOPSIS
    Clean-up: aborts the given connections that are still open (an abort leaves no TIME_WAIT to
    clutter the table for later tests). Ignores $null and closed connections.
    #>
    [CmdletBinding()]
    param(
        [Parameter(ValueFromRemainingArguments)]
        [object[]] $Connection
    )

    # Flatten: a test may hold several connections in one array variable.
    foreach ($c in @($Connection | ForEach-Object { $_ })) {
        if ($null -ne $c -and $c.PSObject.Properties['State'] -and "$($c.State)" -eq 'Open') {
            $null = $c | Close-TcpConnection -Abort -Confirm:$false -ErrorAction SilentlyContinue
        }
    }
}

function Get-FreeTcpPort {
    <#
    .SYNOPSIS
    A loopback port that was free a moment ago: a listener on port 0 that never accepted anything
    (so it leaves no TIME_WAIT), stopped at once.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [string] $Address = '127.0.0.1'
    )

    $probe = Start-TcpListener -Port 0 -Address $Address
    $port = $probe.LocalPort
    $probe | Stop-TcpListener -Confirm:$false
    $port
}

function New-TimeWaitOnServer {
    <#
    .SYNOPSIS
    The restart scenario's first half: a listener (with or without -ReuseAddress), a client, the
    server side closing first (graceful: it becomes the active closer), the client closing after it
    read the end of stream, and the listener stopped. On Linux and Windows the server's side of the
    connection is then in TIME_WAIT; on Linux and Windows the function waits until the OS table
    shows it (macOS's table source does not list TIME_WAIT).
    Returns Port, ClientPort, the Listener, the server's CloseResult, and Tuple: the server side's
    exact 4-tuple as a hashtable to splat (Get-TcpTimeWait @tuple). Other processes' rows can share
    a port number (IPv4 and IPv6), so a test matches this connection by its 4-tuple, never by port.
    #>
    [CmdletBinding()]
    param(
        [switch] $ReuseAddress,

        [string] $Address = '127.0.0.1'
    )

    $listener = Start-TcpListener -Port 0 -Address $Address -ReuseAddress:$ReuseAddress
    $port = $listener.LocalPort
    $pair = New-TestPair $listener
    $closed = $pair.Server | Close-TcpConnection -Confirm:$false
    $eof = Receive-TcpData -Connection $pair.Client -UntilClosed -Timeout 5
    if (-not $eof.EndOfStream) {
        throw "The client did not see the server's FIN (EndOfStream false)."
    }
    $null = $pair.Client | Close-TcpConnection -Confirm:$false
    $listener | Stop-TcpListener -Confirm:$false

    if (-not $TcpTestOnMacOS) {
        $clientPort = $pair.Client.LocalPort
        $seen = Wait-Until -TimeoutSeconds 5 {
            @(Get-TcpTimeWait -LocalAddress $pair.Server.LocalAddress -LocalPort $port -RemoteAddress $pair.Server.RemoteAddress -RemotePort $clientPort).Count -ge 1
        }
        if (-not $seen) {
            throw "The server side of the connection on port $port did not reach TIME_WAIT."
        }
    }

    [pscustomobject]@{
        Port        = $port
        ClientPort  = $pair.Client.LocalPort
        Listener    = $listener
        ServerClose = $closed
        Tuple       = @{
            LocalAddress  = $pair.Server.LocalAddress
            LocalPort     = $pair.Server.LocalPort
            RemoteAddress = $pair.Server.RemoteAddress
            RemotePort    = $pair.Server.RemotePort
        }
    }
}

function Select-TcpTuple {
    <#
    .SYNOPSIS
    Keeps the piped rows whose 4-tuple is exactly the given one (a hashtable with LocalAddress,
    LocalPort, RemoteAddress, RemotePort, e.g. New-TimeWaitOnServer's Tuple). For tests that query
    more widely (to prove a filter excludes rows) and then pick out their own connection.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [hashtable] $Tuple,

        [Parameter(ValueFromPipeline)]
        $InputObject
    )

    process {
        if ($null -ne $InputObject -and
            "$($InputObject.LocalAddress)" -eq "$($Tuple.LocalAddress)" -and [int]$InputObject.LocalPort -eq [int]$Tuple.LocalPort -and
            "$($InputObject.RemoteAddress)" -eq "$($Tuple.RemoteAddress)" -and [int]$InputObject.RemotePort -eq [int]$Tuple.RemotePort) {
            $InputObject
        }
    }
}

function Compare-TcpExampleOutput {
    # Shared by the help examples (Help.Tests.ps1) and the docs blocks (Docs.Tests.ps1).
    # $null when the printed text has the shape of the Output block, else what differs.
    param([string[]] $Expected, [string] $Printed)
    # What may differ where the example runs is masked: times, dates and decimals (digits joined
    # by '.', ':' or '/'); numbers of three or more digits (ports, PIDs, sizes, large counts); the
    # session's Ids (the Id or ConnectionId column, "(connection N)", "(listener N)"); durations
    # ("N s", "N ms"); and how many probes a wait took ("N attempts"). Every other number (3 probes, 1 row removed, a
    # TimeWaitCount of 1) is a count the example controls: it is compared as printed.
    function Get-Shapes([string[]] $lines) {
        $idColumn = $false
        foreach ($line in $lines) {
            $plain = ($line -replace '\x1b\[[0-9;]*m', '').TrimEnd()
            if ($plain -match '^\s*(Id|ConnectionId)\s') { $idColumn = $true }
            elseif (-not $plain.Trim()) { $idColumn = $false }
            elseif ($idColumn) { $plain = $plain -replace '^(\s*)\d+', '$1#' }
            $plain = $plain -replace '\((connection|listener) \d+\)', '($1 #)' -replace '\b\d+ attempts\b', '# attempts' -replace '\b\d+ (s|ms)\b', '# $1'
            $plain = $plain -replace '\d+(?:[.:/]\d+)+', '#' -replace '\d{3,}', '#'
            ($plain -replace '\s+', ' ').Trim()
        }
    }
    $want = @(Get-Shapes $Expected | Where-Object { $_ })
    $got = @(Get-Shapes ("$Printed" -split '\r?\n') | Where-Object { $_ })
    $g = 0
    for ($w = 0; $w -lt $want.Count; $w++) {
        if ($want[$w] -eq '...') {
            # Any lines, up to the next expected one.
            if ($w + 1 -eq $want.Count) { return $null }
            while ($g -lt $got.Count -and $got[$g] -ne $want[$w + 1]) { $g++ }
            continue
        }
        if ($g -ge $got.Count) { return "expected '$($want[$w])', printed nothing more (printed: $($got -join ' | '))" }
        # A line ending in '...' is the start of the line printed (the rest depends on where it runs).
        $same = if ($want[$w].EndsWith('...')) { $got[$g].StartsWith($want[$w].Substring(0, $want[$w].Length - 3)) } else { $got[$g] -eq $want[$w] }
        if (-not $same) { return "expected '$($want[$w])', printed '$($got[$g])' (printed: $($got -join ' | '))" }
        $g++
    }
    if ($g -lt $got.Count) { return "printed more than the Output block: '$($got[$g])'" }
    $null
}
