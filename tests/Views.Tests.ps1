BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # Real objects of every output type, with realistic values: IPv6 endpoints, a listener name with
    # a space, each close style (LocalStateAfter FinWait2, TimeWait, (no row)...), a TIME_WAIT row.
    # Self-contained (it runs in a Start-Job too) and it cleans up after itself: listeners stopped,
    # connections closed. A type added to the format file needs an entry here, or the test says so.
    $script:Producer = {
        $out = [System.Collections.Generic.List[object]]::new()
        $v4 = Start-TcpListener -Name 'web front'
        $v6 = Start-TcpListener -Address '::1' -ReuseAddress -Name 'backend'
        try {
            $out.Add($v4); $out.Add($v6)
            Get-TcpSetting | ForEach-Object { $out.Add($_) }
            $out.Add((Test-TcpBind -Port $v4.LocalPort)); $out.Add((Test-TcpBind -Port 0 -Address '::1'))
            foreach ($style in 'Graceful', 'Linger', 'Abort', 'HalfClose') {
                $client = New-TcpConnection -RemoteAddress '::1' -RemotePort $v6.LocalPort -Timeout 5
                $server = Wait-TcpConnection -Listener $v6 -Timeout 5
                $out.Add($client); $out.Add($server)
                $out.Add(($client | Send-TcpData "GET /a/rather/long/path HTTP/1.1`r`nHost: localhost`r`n`r`n"))
                $out.Add((Receive-TcpData -Connection $server -Timeout 5))
                $out.Add((Get-TcpConnection -LocalPort $client.LocalPort -RemotePort $v6.LocalPort))
                if ($style -eq 'Graceful') {
                    Get-TcpPortUsage -RemoteAddress '::1' -RemotePort $v6.LocalPort | ForEach-Object { $out.Add($_) }
                }
                $close = switch ($style) {
                    'Graceful' { $server | Close-TcpConnection -Confirm:$false }
                    'Linger' { $server | Close-TcpConnection -Linger 2 -Confirm:$false }
                    'Abort' { $server | Close-TcpConnection -Abort -Confirm:$false }
                    'HalfClose' { $server | Close-TcpConnection -HalfClose -Timeout 0.3 -Confirm:$false }
                }
                $out.Add($close)
                $null = $client | Close-TcpConnection -Abort -Confirm:$false -ErrorAction SilentlyContinue
            }
            # A TIME_WAIT row of this test's own: the server side closes first and the client after it.
            $connect = @{ RemoteAddress = '127.0.0.1'; RemotePort = $v4.LocalPort; Timeout = 5 }
            $client = $null
            if ($IsWindows) {
                # Get-TcpPortUsage counts the ports of the Windows dynamic range (49152-65535 unless
                # netsh says otherwise); under Wine the Linux kernel picks the port (32768-60999), so
                # the port is asked for, from what both ranges hold. Bounded: 20 tries.
                foreach ($try in 1..20) {
                    try {
                        $client = New-TcpConnection @connect -LocalPort (Get-Random -Minimum 49152 -Maximum 61000) -ErrorAction Stop
                        break
                    }
                    catch {
                    }
                }
            }
            else {
                $client = New-TcpConnection @connect
            }
            $server = Wait-TcpConnection -Listener $v4 -Timeout 5
            # IPv4 as well as the IPv6 above (Wine's Windows TCP table has IPv6 rows too): under Wine
            # the IPv6 client's port is the Linux kernel's pick and often below 49152, so that entry
            # can be missing; this client's port was asked for inside the Windows dynamic range.
            Get-TcpPortUsage -RemoteAddress '127.0.0.1' -RemotePort $v4.LocalPort | ForEach-Object { $out.Add($_) }
            $null = $server | Close-TcpConnection -Confirm:$false
            $null = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
            $null = $client | Close-TcpConnection -Confirm:$false
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            do {
                $rows = @(Get-TcpTimeWait -LocalPort $v4.LocalPort -RemotePort $client.LocalPort)
            } while ($rows.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline -and -not (Start-Sleep -Milliseconds 50))
            $rows | ForEach-Object { $out.Add($_) }
            # Probes: one that connects (IPv6) and one refused (v4 listens on 127.0.0.1 only).
            $out.Add((Test-TcpPort -RemoteAddress '::1' -RemotePort $v6.LocalPort))
            $out.Add((Test-TcpPort -RemoteAddress '::1' -RemotePort $v4.LocalPort))
            # A removal result without privileges: a row that does not exist is AlreadyGone (Linux,
            # Windows); macOS has no removal at all (PlatformNotSupported).
            try {
                [pscustomobject]@{ LocalAddress = '127.0.0.1'; LocalPort = $v4.LocalPort; RemoteAddress = '127.0.0.1'; RemotePort = 1; State = 'Established' } |
                    Remove-TcpConnection -Confirm:$false -ErrorAction SilentlyContinue | ForEach-Object { $out.Add($_) }
            }
            catch {
                Write-Verbose "No removal result here: $_"
            }
        }
        finally {
            $v4, $v6 | Stop-TcpListener -Confirm:$false -ErrorAction SilentlyContinue
        }

        # Linux: the namespaces themselves, and (as root, with ip) the same types made in a network
        # namespace of the producer's own, whose views group them under a NetworkNamespace header.
        if ($IsLinux) {
            Get-TcpNetworkNamespace -WarningAction SilentlyContinue | ForEach-Object { $out.Add($_) }
        }
        # Counters with a delta (one moved: an active open since the earlier reading).
        $earlier = Get-TcpStatistic
        $probe = Start-TcpListener
        $null = Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $probe.LocalPort
        $probe | Stop-TcpListener
        Get-TcpStatistic -Since $earlier | Select-Object -First 4 | ForEach-Object { $out.Add($_) }
        if ($IsLinux -and "$(id -u)" -eq '0' -and (Get-Command ip -ErrorAction SilentlyContinue)) {
            $ns = 'tcp-views-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            ip netns add $ns
            try {
                ip netns exec $ns ip link set lo up
                $l = Start-TcpListener -NetworkNamespace $ns -Name 'in a namespace'
                $out.Add($l)
                $client = New-TcpConnection -NetworkNamespace $ns -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
                $server = Wait-TcpConnection -Listener $l -Timeout 5
                $out.Add($client); $out.Add($server)
                Get-TcpConnection -NetworkNamespace $ns -State Established | ForEach-Object { $out.Add($_) }
                Get-TcpSetting -NetworkNamespace $ns | ForEach-Object { $out.Add($_) }
                $out.Add((Test-TcpBind -NetworkNamespace $ns -Port $l.LocalPort))
                $out.Add((Test-TcpPort -NetworkNamespace $ns -RemotePort $l.LocalPort))
                Get-TcpPortUsage -NetworkNamespace $ns | ForEach-Object { $out.Add($_) }
                $out.Add(($client | Close-TcpConnection -Confirm:$false))
                $out.Add(($server | Close-TcpConnection -Confirm:$false))
                Get-TcpStatistic -NetworkNamespace $ns | Select-Object -First 3 | ForEach-Object { $out.Add($_) }
                $rows = @(Get-TcpTimeWait -NetworkNamespace $ns)
                $rows | ForEach-Object { $out.Add($_) }
                $rows | Remove-TcpConnection -Confirm:$false | ForEach-Object { $out.Add($_) }
            }
            finally {
                Get-TcpListener | Where-Object NetworkNamespace -eq $ns | Stop-TcpListener -Confirm:$false
                ip netns delete $ns
            }
        }
        $out
    }

    # The table views of the staged format file: type name and column labels, in order.
    $formatFile = Join-Path (Split-Path -Parent (Get-Module TcpClose).Path) 'TcpClose.Format.ps1xml'
    $script:TableViews = foreach ($view in ([xml](Get-Content -LiteralPath $formatFile -Raw)).Configuration.ViewDefinitions.View) {
        if (-not $view.TableControl) { continue }
        $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
        $items = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
        $labels = for ($i = 0; $i -lt $items.Count; $i++) {
            $label = if ($headers[$i] -is [System.Xml.XmlElement]) { $headers[$i].Label } else { $null }
            if ($label) { $label } else { $items[$i].PropertyName }
        }
        [pscustomobject]@{ TypeName = "$($view.ViewSelectedBy.TypeName)".Trim(); Labels = @($labels); Grouped = [bool]$view.GroupBy }
    }

    # Views that cannot be shown here, and why: the namespace views need Linux (and, for the rows
    # made in another namespace, root and iproute2).
    $script:NotHere = @{}
    $canNamespace = $IsLinux -and "$(id -u)" -eq '0' -and (Get-Command ip -ErrorAction SilentlyContinue)
    foreach ($view in $TableViews) {
        if ($view.TypeName -eq 'TcpClose.TcpNetworkNamespace' -and -not $IsLinux) { $NotHere[$view.TypeName] = 'network namespaces exist only on Linux' }
        elseif ($view.TypeName -like '*#NetworkNamespace' -and -not $canNamespace) { $NotHere[$view.TypeName] = 'rows of another network namespace need Linux, root and iproute2' }
    }
    $script:Shown = @($TableViews | Where-Object { -not $NotHere[$_.TypeName] })

    # What a user sees: the non-empty lines of the default view, rendered wider than 80 columns
    # so that a view wider than 80 shows as such (at -Width 80 PowerShell would cut it to fit).
    # A grouped view's "NetworkNamespace: name" header lines are returned apart.
    function Get-ViewLines($objects, [switch] $GroupHeaders) {
        $all = @($objects | Out-String -Width 300 -Stream | Where-Object { $_.Trim() })
        if ($GroupHeaders) { @($all | Where-Object { $_ -match '^\s*NetworkNamespace: ' }) }
        else { @($all | Where-Object { $_ -notmatch '^\s*NetworkNamespace: ' }) }
    }

    $script:Live = & $script:Producer
}
AfterAll {
    Get-TcpListener | Stop-TcpListener -Confirm:$false
    Remove-Module TcpClose -ErrorAction SilentlyContinue
}

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
}

Describe 'Default views' {
    It 'every table view in the format file has real objects to show' {
        $produced = @($Live | ForEach-Object { $_.pstypenames[0] } | Sort-Object -Unique)
        $missing = @($Shown.TypeName | Where-Object { $_ -notin $produced })
        # TimeWaitEntry needs an OS that reports TIME_WAIT rows for loopback (all three do).
        $missing | Should -BeNullOrEmpty -Because 'each output type needs a producer in Views.Tests.ps1'
    }

    It 'fits 80 columns with one line per object and every column shown, for each type' {
        $TableViews.Count | Should -BeGreaterOrEqual 25 -Because 'the format file has a table view per output type, and a grouped one for rows of another namespace'
        $checked = 0
        $problems = foreach ($view in $Shown) {
            $objects = @($Live | Where-Object { $_.pstypenames[0] -eq $view.TypeName })
            if ($objects.Count -eq 0) { continue }
            $checked++
            $lines = Get-ViewLines $objects
            if ($view.Grouped) {
                $groups = @(Get-ViewLines $objects -GroupHeaders)
                $names = @($objects.NetworkNamespace | Select-Object -Unique)
                if ($groups.Count -ne $names.Count) { "$($view.TypeName): $($groups.Count) group headers for $($names.Count) namespaces" }
                foreach ($line in $groups) { if ($line.Length -gt 80) { "$($view.TypeName): header of $($line.Length) columns: $line" } }
            }
            $header = ($lines[0] -split '\s+' | Where-Object { $_ }) -join ' '
            if ($lines.Count -ne 2 + $objects.Count) { "$($view.TypeName): $($lines.Count) lines for $($objects.Count) objects:`n$($lines -join "`n")" }
            if ($header -ne ($view.Labels -join ' ')) { "$($view.TypeName): header '$header', expected '$($view.Labels -join ' ')'" }
            foreach ($line in $lines) { if ($line.Length -gt 80) { "$($view.TypeName): line of $($line.Length) columns: $line" } }
        }
        $problems | Should -BeNullOrEmpty
        $checked | Should -Be $Shown.Count -Because 'every view was rendered with real objects'
    }

    It 'shows rows of the session''s own table without a group header' {
        $own = @($Live | Where-Object { $_ -is [TcpClose.TcpTableEntry] -and -not $_.NetworkNamespace })
        $own.Count | Should -BeGreaterThan 0
        $own[0].pstypenames[0] | Should -Be 'TcpClose.TcpTableEntry'
        Get-ViewLines $own -GroupHeaders | Should -BeNullOrEmpty
    }

    It 'shows every view here, or says which cannot be shown and why' {
        if ($NotHere.Count) {
            Set-ItResult -Skipped -Because (($NotHere.GetEnumerator() | ForEach-Object { "$($_.Key): $($_.Value)" }) -join '; ')
            return
        }
        $Shown.Count | Should -Be $TableViews.Count
    }

    It 'shows LocalStateAfter of every close style in full (no squeezed column)' {
        $closes = @($Live | Where-Object { $_ -is [TcpClose.CloseResult] -and -not $_.NetworkNamespace })
        $closes.Count | Should -Be 4
        $lines = Get-ViewLines $closes
        for ($i = 0; $i -lt $closes.Count; $i++) {
            $c = $closes[$i]
            $shown = if (-not $c.LocalStateObserved) { 'NotObserved' } elseif ($null -eq $c.LocalStateAfter) { '(no row)' } else { "$($c.LocalStateAfter)" }
            $lines[2 + $i] | Should -Match ([regex]::Escape($shown) + '\s*$')
            $lines[2 + $i] | Should -Match "\b$($c.Style)\b"
        }
    }

    It 'shows IPv6 endpoints in full in connection rows' {
        $ipv6 = @($Live | Where-Object { $_ -is [TcpClose.Connection] -and $_.LocalAddress -eq '::1' })
        $ipv6.Count | Should -BeGreaterThan 0
        foreach ($line in (Get-ViewLines $ipv6 | Select-Object -Skip 2)) {
            $line | Should -Match '^\s*\d+ (Client|Server) ::1 +\d+ ::1 +\d+ (Open|Closed)$'
        }
    }
}

Describe 'Objects that come back from Start-Job' {
    BeforeAll {
        $modulePath = (Get-Module TcpClose).Path -replace '\.dll$', '.psd1'
        $producerText = $Producer.ToString()
        $script:Back = @(Start-Job -ScriptBlock {
                Import-Module $using:modulePath
                & ([scriptblock]::Create($using:producerText))
            } | Receive-Job -Wait -AutoRemoveJob)
    }

    It 'come back deserialized, one or more of every type with a view' {
        $types = @($Back | ForEach-Object { $_.pstypenames[0] } | Sort-Object -Unique)
        foreach ($view in $Shown) {
            "Deserialized.$($view.TypeName)" | Should -BeIn $types
        }
    }

    It 'still format with the module''s view of their type: same columns, one line each, 80 columns' {
        $problems = foreach ($view in $Shown) {
            $objects = @($Back | Where-Object { $_.pstypenames[0] -eq "Deserialized.$($view.TypeName)" })
            if ($objects.Count -eq 0) { continue }
            $lines = Get-ViewLines $objects
            $header = ($lines[0] -split '\s+' | Where-Object { $_ }) -join ' '
            if ($header -ne ($view.Labels -join ' ')) { "Deserialized.$($view.TypeName): header '$header', expected '$($view.Labels -join ' ')'" }
            if ($lines.Count -ne 2 + $objects.Count) { "Deserialized.$($view.TypeName): $($lines.Count) lines for $($objects.Count) objects" }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'keep the values the view shows (a close result''s LocalStateAfter, a row''s RemainingSeconds)' {
        $close = @($Back | Where-Object { $_.pstypenames[0] -eq 'Deserialized.TcpClose.CloseResult' })
        ($close | ForEach-Object { "$($_.Style)" }) | Should -Be @('Graceful', 'Linger', 'Abort', 'HalfClose')
        $rows = @($Back | Where-Object { $_.pstypenames[0] -eq 'Deserialized.TcpClose.TimeWaitEntry' })
        $rows.Count | Should -BeGreaterThan 0
        $rows[0].RemainingSeconds | Should -BeGreaterThan 0
    }
}
