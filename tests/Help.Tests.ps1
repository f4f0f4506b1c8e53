<#
Help as users meet it, for EVERY cmdlet the module exports. The cmdlets are read from the staged
module itself, so a cmdlet added to TcpClose.psd1 is covered here without touching this file.

1. Get-Help <Cmdlet> -Full (the MAML that build.ps1 makes from docs/en-US with platyPS) has a
   synopsis, a description, a description for every parameter (common parameters excluded) and at
   least two examples, and reads well in a console: no markdown table, no line of the about topic
   wider than 80 columns. Get-Help about_TcpClose finds the about topic.

2. The examples in docs/en-US/<Cmdlet>.md RUN. HOW TO WRITE AN EXAMPLE (for every new page):
     ### Example 1: What it shows
     ```powershell
     $listener = Start-TcpListener          # make what it needs: loopback, port 0
     ...                                     # the point of the example
     $listener | Stop-TcpListener           # and clean up: stop listeners, close connections
     ```
     ```Output
     (optional: what it prints, in a second block; never run)
     ```
     Remarks: what happened and why.
   * The FIRST ```powershell block after the "### Example" heading is run exactly as written (no
     "PS>" prompts, no output in it), in a fresh runspace of one child pwsh that has only the
     staged module imported, with a time limit of 60 s and $ProgressPreference 'SilentlyContinue'.
   * It passes when it raises no error (terminating or not) and leaves nothing open: after it,
     Get-TcpListener is empty and (Linux) the OS table shows no socket owned by the child. Then
     Remove-Module TcpClose closes whatever is left before the next example runs.
   * Only loopback addresses (127.0.0.1, ::1); keep waits short (a -Timeout of a few seconds).
     An example that shows an error catches it, e.g. try { ... } catch { $_.FullyQualifiedErrorId }.
   * An example that cannot be self-contained here (it needs another host, root, a different OS,
     or minutes of waiting) gets ONE entry in $ExampleSkips below, '<Cmdlet> <N>' = 'reason'; it
     shows as a skipped test with that reason (skips that depend on the OS or on root are added
     right below the table). Prefer making the example runnable.
#>

BeforeDiscovery {
    # The examples that cannot run here, with the reason shown on the skipped test.
    # Key: '<Cmdlet> <example number>' (the N of "### Example N").
    $ExampleSkips = @{
        'Start-TcpListener 2' = 'listens on port 8080 on every address of the machine, which a test run on a shared machine must not'
        'Wait-TcpTimeWait 1'  = 'stops and starts a system service (myservice)'
    }

    $docsRoot = Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'docs') 'en-US'
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $onMacOS = [bool](Get-Variable -Name IsMacOS -ValueOnly -ErrorAction SilentlyContinue)

    # The remoting examples run against test hosts named web01 and web02 (tests/Fleet.ps1: network
    # namespaces reached over SSH), made while the examples run, where they can be made.
    . (Join-Path $PSScriptRoot 'Fleet.ps1')
    $fleetSkip = Get-TcpFleetSkipReason
    if ($fleetSkip) {
        foreach ($key in 'Get-TcpConnection 3', 'Get-TcpSetting 4') {
            $ExampleSkips[$key] = "needs PowerShell remoting to hosts web01 and web02, which are made here as network namespaces: $fleetSkip"
        }
    }

    # Skips that depend on where the suite runs.
    if (-not $onLinux) {
        foreach ($n in 1..4) { $ExampleSkips["Get-TcpNetworkNamespace $n"] = 'network namespaces exist only on Linux' }
        $ExampleSkips['Get-TcpStatistic 4'] = 'network namespaces exist only on Linux'

    }
    if (-not $onLinux -or "$(& id -u)" -ne '0' -or -not (Get-Command ip -ErrorAction SilentlyContinue)) {
        foreach ($key in 'Get-TcpNetworkNamespace 2', 'Get-TcpTimeWait 5', 'Get-TcpStatistic 3') {
            if (-not $ExampleSkips[$key]) {
                $ExampleSkips[$key] = 'makes a network namespace with ip netns and works inside it: needs Linux, root and iproute2'
            }
        }
    }
    if ($onMacOS -or ($onLinux -and "$(& id -u)" -ne '0')) {
        foreach ($n in 1, 3, 4) {
            $ExampleSkips["Remove-TcpConnection $n"] = 'removes rows of the OS table: needs root on Linux (and is not possible on macOS)'
        }
    }
    if (& (Join-Path $PSScriptRoot 'UnderWine.ps1')) {
        foreach ($n in 1, 3, 4) {
            $ExampleSkips["Remove-TcpConnection $n"] = 'under Wine: SetTcpEntry answers success and removes nothing (Remove-TcpConnection.Tests.ps1 checks the RemoveFailed error the module gives then)'
        }
        $ExampleSkips['Get-TcpConnection 4'] = 'under Wine: the example asserts OwningProcess = $PID, and GetExtendedTcpTable under Wine reports PID 0 for every row'
    }

    # The exported cmdlets, read from the staged manifest without importing the module here.
    $modulePath = $env:TCPCLOSE_MODULE_PATH
    if (-not $modulePath) {
        $repoRoot = Split-Path -Parent $PSScriptRoot
        $version = (Import-PowerShellDataFile -Path (Join-Path $repoRoot 'TcpClose.psd1')).ModuleVersion
        $modulePath = Join-Path $repoRoot "out/TcpClose/$version/TcpClose.psd1"
    }
    $cmdletNames = @((Import-PowerShellDataFile -Path $modulePath).CmdletsToExport | Sort-Object)
    $cmdletCases = @($cmdletNames | ForEach-Object { @{ Name = $_ } })

    # Every "### Example N" of every cmdlet page, with its first ```powershell block.
    $exampleCases = foreach ($name in $cmdletNames) {
        $page = Join-Path $docsRoot "$name.md"
        if (-not (Test-Path -LiteralPath $page)) {
            continue   # the page test below fails for it
        }
        $lines = Get-Content -LiteralPath $page
        for ($i = 0; $i -lt $lines.Count; $i++) {
            if ($lines[$i] -notmatch '^###\s+Example\s+(\d+)\s*:?\s*(.*)$') {
                continue
            }
            $number = [int]$Matches[1]
            $title = $Matches[2].Trim()
            $code = $null
            $expected = $null
            for ($j = $i + 1; $j -lt $lines.Count -and $lines[$j] -notmatch '^##'; $j++) {
                if ($lines[$j] -match '^```\s*(powershell|Output)\s*$') {
                    $kind = $Matches[1]
                    $block = New-Object System.Collections.Generic.List[string]
                    for ($k = $j + 1; $k -lt $lines.Count -and $lines[$k] -notmatch '^```'; $k++) {
                        $block.Add($lines[$k])
                    }
                    if ($kind -eq 'powershell' -and $null -eq $code) { $code = $block -join "`n" }
                    elseif ($kind -eq 'Output' -and $null -ne $code) { $expected = @($block); break }
                    $j = $k
                }
            }
            $key = "$name $number"
            @{
                Key        = $key
                Name       = $name
                Number     = $number
                Title      = $title
                Code       = $code
                Expected   = $expected
                SkipReason = $ExampleSkips[$key]
            }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $docsRoot = Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'docs') 'en-US'
    $commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

Describe 'Get-Help for <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
        $text = $help | Out-String -Width 80
    }

    It 'has a docs page, docs/en-US/<Name>.md' {
        Join-Path $docsRoot "$Name.md" | Should -Exist
    }

    It 'has a synopsis and a description from its MAML help' {
        # Without MAML help, Get-Help makes the synopsis from the syntax.
        "$($help.Synopsis)".Trim() | Should -Not -BeNullOrEmpty
        "$($help.Synopsis)" | Should -Not -Match ([regex]::Escape("$Name ["))
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $parameters = @((Get-Command -Name $Name).Parameters.Keys | Where-Object { $_ -notin $commonParameters })
        $undescribed = foreach ($parameter in $parameters) {
            $entry = @($help.parameters.parameter | Where-Object { $_.name -eq $parameter })
            if ($entry.Count -eq 0 -or -not ($entry[0].description | Out-String).Trim()) {
                $parameter
            }
        }
        $undescribed | Should -BeNullOrEmpty -Because 'each parameter needs a description in the docs page'
    }

    It 'has at least two examples' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }

    It 'shows every parameter set in its syntax' {
        $sets = @((Get-Command -Name $Name).ParameterSets)
        @($help.syntax.syntaxItem).Count | Should -Be $sets.Count
    }

    It 'has no markdown table in what Get-Help prints' {
        $text | Should -Not -Match '\|\s*-{3,}\s*\|'
        $text | Should -Not -Match '(?m)^\s*\|.*\|.*\|\s*$'
    }
}

Describe 'about_TcpClose' {
    BeforeAll {
        $about = Get-Help -Name about_TcpClose | Out-String
        $aboutLines = $about -split '\r?\n'
    }

    It 'is found by Get-Help' {
        $about | Should -Match 'TIME_WAIT'
        $about | Should -Match 'SHORT DESCRIPTION'
    }

    It 'fits 80 columns and has no markdown table' {
        @($aboutLines | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
        $about | Should -Not -Match '\|\s*-{3,}\s*\|'
    }

    It 'keeps paragraphs apart (a paragraph followed by another ends with two spaces)' {
        # platyPS's about renderer runs the paragraphs of a section together, with no blank line,
        # unless the earlier one ends with a markdown line break (two spaces).
        $lines = @(Get-Content -LiteralPath (Join-Path $docsRoot 'about_TcpClose.md'))
        $inCode = $false
        $runTogether = for ($i = 0; $i -lt $lines.Count - 2; $i++) {
            if ($lines[$i].StartsWith('```')) {
                $inCode = -not $inCode
                continue
            }
            $isText = $lines[$i].Trim() -and $lines[$i] -notmatch '^(#|```|- )'
            $nextIsText = $lines[$i + 2].Trim() -and $lines[$i + 2] -notmatch '^(#|```|- )'
            if (-not $inCode -and $isText -and -not $lines[$i + 1].Trim() -and $nextIsText -and $lines[$i] -notmatch '  $') {
                "line $($i + 1): $($lines[$i])"
            }
        }
        $runTogether | Should -BeNullOrEmpty
    }

    It 'names every exported cmdlet' {
        foreach ($name in (Get-Module TcpClose).ExportedCmdlets.Keys) {
            $about | Should -Match ([regex]::Escape($name))
        }
    }
}

# The example list goes in as -ForEach data: variables of BeforeDiscovery are gone when BeforeAll runs.
Describe 'Docs examples run' -ForEach @(@{ AllExamples = @($exampleCases) }) {
    BeforeAll {
        # All examples run in ONE child pwsh (a fresh process: nothing of this session leaks in),
        # each in a fresh runspace on the child's own host, 80 columns wide, as a user's console
        # shows them: output through Out-Default, what-if lines, Out-Host. The child writes each
        # example's screen between '@@begin <key>' and '@@end <key>' lines, then '@@result <json>'.
        $toRun = @($AllExamples | Where-Object { -not $_.SkipReason -and $_.Code } | ForEach-Object {
                [pscustomobject]@{ Key = $_.Key; Code = $_.Code }
            })
        $runner = {
            param([string]$ExamplesPath, [string]$ModulePath, [string]$OnLinux, [string]$PesterPath)
            $ErrorActionPreference = 'Stop'
            $PSStyle.OutputRendering = 'PlainText'
            $onLinux = $OnLinux -eq 'True'
            foreach ($example in @(Get-Content -LiteralPath $ExamplesPath -Raw | ConvertFrom-Json)) {
                $failure = New-Object System.Collections.Generic.List[string]
                $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
                $iss.ImportPSModule($ModulePath)
                $runspace = [runspacefactory]::CreateRunspace($Host, $iss)
                $runspace.Open()
                $ps = [powershell]::Create()
                $ps.Runspace = $runspace
                [Console]::Out.WriteLine("@@begin $($example.Key)")
                try {
                    $null = $ps.AddScript('$ProgressPreference = ''SilentlyContinue''; $PSStyle.OutputRendering = ''PlainText''').AddStatement()
                    if ($example.Code -match '^\s*(It|Describe|Context)\s') {
                        # A Pester example runs in Invoke-Pester (It needs a Describe around it).
                        $pesterCode = $example.Code
                        if ($Matches[1] -ne 'Describe') {
                            $pesterCode = "Describe 'docs example' {`n$pesterCode`n}"
                        }
                        # The Pester running this suite (imported by path: the build's pinned one);
                        # the scriptblock is bound to a session state of its own by GetNewClosure():
                        # Pester 6 refuses unbound ones ([scriptblock]::Create, pester/Pester#2411).
                        $null = $ps.AddScript({
                                param([string]$Code, [string]$PesterPath)
                                Import-Module -Name $PesterPath
                                $container = New-PesterContainer -ScriptBlock ([scriptblock]::Create($Code).GetNewClosure())
                                $run = Invoke-Pester -Container $container -PassThru -Output None
                                if ($run.Result -ne 'Passed' -or $run.PassedCount -lt 1) {
                                    throw "the Pester example did not pass: $(@($run.Failed | ForEach-Object { $_.ErrorRecord }) -join '; ')"
                                }
                            }.ToString()).AddArgument($pesterCode).AddArgument($PesterPath)
                    }
                    else {
                        $null = $ps.AddScript($example.Code).AddCommand('Out-Default')
                    }
                    $async = $ps.BeginInvoke()
                    if (-not $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(60))) {
                        $failure.Add('did not finish within 60 s')
                        $ps.Stop()
                    }
                    else {
                        try {
                            $null = $ps.EndInvoke($async)
                        }
                        catch {
                            $failure.Add("threw: $($_.Exception.GetBaseException().Message)")
                        }
                    }
                    foreach ($record in $ps.Streams.Error) {
                        $failure.Add("error: $($record.FullyQualifiedErrorId): $record")
                    }
                    [Console]::Out.WriteLine("@@end $($example.Key)")

                    # Nothing of the example may stay open.
                    $ps.Commands.Clear()
                    $ps.Streams.Error.Clear()
                    $left = @($ps.AddCommand('Get-TcpListener').Invoke())
                    if ($left.Count -gt 0) {
                        $failure.Add("left $($left.Count) listener(s) running: $(($left | ForEach-Object { "$($_.Id) $($_.Name) $($_.LocalAddress):$($_.LocalPort)" }) -join ', ')")
                    }
                    if ($onLinux) {
                        $ps.Commands.Clear()
                        $owned = @($ps.AddCommand('Get-TcpConnection').AddParameter('OwningProcess', $PID).Invoke())
                        if ($owned.Count -gt 0) {
                            $failure.Add("left $($owned.Count) socket(s) open: $(($owned | ForEach-Object { "$($_.State) $($_.LocalAddress):$($_.LocalPort)" }) -join ', ')")
                        }
                    }
                }
                finally {
                    # Remove-Module closes every listener and connection of this process.
                    $ps.Commands.Clear()
                    $null = $ps.AddCommand('Remove-Module').AddParameter('Name', 'TcpClose').Invoke()
                    $ps.Dispose()
                    $runspace.Dispose()
                }

                # The registry is the process's, shared by every runspace: what Remove-Module did not
                # close would be counted against the NEXT example. Say so here, for this one, and
                # close it, so each example starts from an empty registry.
                $notClosed = @([TcpClose.TcpRegistry]::Listeners)
                $stillOpen = @([TcpClose.TcpRegistry]::Connections)
                if ($notClosed.Count -gt 0 -or $stillOpen.Count -gt 0) {
                    $failure.Add("Remove-Module TcpClose left $($notClosed.Count) listener(s) and $($stillOpen.Count) connection(s) in the registry")
                    [TcpClose.TcpRegistry]::CloseAll()
                }
                [Console]::Out.WriteLine('@@result ' + (ConvertTo-Json -Compress -InputObject @{ Key = $example.Key; Failure = @($failure) }))
            }
        }

        $results = @{}
        $printedBy = @{}
        if ($toRun.Count -gt 0) {
            $examplesFile = Join-Path $TestDrive 'examples.json'
            ConvertTo-Json -InputObject $toRun -Depth 3 | Set-Content -LiteralPath $examplesFile -Encoding utf8
            $runnerFile = Join-Path $TestDrive 'Invoke-Examples.ps1'
            Set-Content -LiteralPath $runnerFile -Value $runner.ToString() -Encoding utf8
            $pesterManifest = Join-Path (Get-Module Pester).ModuleBase 'Pester.psd1'
            $moduleManifest = (Resolve-Path -LiteralPath $modulePath).Path
            $savedColumns = $env:COLUMNS
            $env:COLUMNS = '80'   # the child's console width, as the views are designed for
            . (Join-Path $PSScriptRoot 'Fleet.ps1')
            $fleet = if (-not (Get-TcpFleetSkipReason)) { New-TcpFleet -Name web01, web02 }
            try {
                # In a network namespace of its own where it can be: the examples count their own rows.
                $child = @(Get-TcpIsolatedPowerShell)
                $screen = @(& $child[0] @($child | Select-Object -Skip 1) -NoProfile -NonInteractive -File $runnerFile -ExamplesPath $examplesFile `
                        -ModulePath $moduleManifest -OnLinux $TcpTestOnLinux -PesterPath $pesterManifest 2>&1 | ForEach-Object { "$_" })
            }
            finally {
                $env:COLUMNS = $savedColumns
                Remove-TcpFleet $fleet
            }
            $current = $null
            foreach ($line in $screen) {
                if ($line -match '^@@begin (.+)$') { $current = $Matches[1]; $printedBy[$current] = New-Object System.Collections.Generic.List[string] }
                elseif ($line -match '^@@end ') { $current = $null }
                elseif ($line -match '^@@result (.+)$') { $r = $Matches[1] | ConvertFrom-Json; $results[$r.Key] = @($r.Failure) }
                elseif ($null -ne $current) { $printedBy[$current].Add($line) }
            }
            if ($results.Count -eq 0) {
                throw "the example runner reported nothing: $($screen -join "`n")"
            }
        }
    }

    It '<Key>: <Title>' -ForEach $AllExamples {
        if ($SkipReason) {
            Set-ItResult -Skipped -Because $SkipReason
            return
        }
        $Code | Should -Not -BeNullOrEmpty -Because 'the example needs a ```powershell block (see the header of Help.Tests.ps1)'
        $results.ContainsKey($Key) | Should -BeTrue -Because 'the child pwsh should report every example'
        ($results[$Key] | Where-Object { $_ }) -join "`n" | Should -BeNullOrEmpty
        # The Output blocks show what Linux prints (where the pages are written); on Windows and
        # macOS several examples print otherwise by design (their remarks say how), so there the
        # examples run and must succeed, and only Linux compares what they print.
        if ($Expected -and $TcpTestOnLinux -and $Code -notmatch '^\s*(It|Describe|Context)\s') {
            # The page's Output block is what the example printed on an 80-column console, in shape:
            # numbers (ports, times, counts) and runs of blanks may differ, a line '...' stands for any
            # lines, and a line ending in '...' for any line that starts so.
            $difference = Compare-TcpExampleOutput -Expected $Expected -Printed ($printedBy[$Key] -join "`n")
            $difference | Should -BeNullOrEmpty -Because "the Output block of $Key should show what the example prints"
        }
    }
}
