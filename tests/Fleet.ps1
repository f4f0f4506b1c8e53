# Test hosts of our own for the fleet tests, the fleet example and the remoting help examples:
# network namespaces, each a host with its own TCP table (loopback up), reached by PowerShell
# remoting over SSH exactly as a fleet is: `Invoke-Command -HostName web01, web02 { ... }`.
#
# No byte goes over a network. The ssh client reaches each host through a ProxyCommand that
# starts sshd in inetd mode inside the namespace (`ip netns exec <host> sshd -i`): client and
# server talk over a pipe. The Host entries are a file in /etc/ssh/ssh_config.d (as an admin
# describes a fleet), with keys generated for the run: key-only login, PowerShell subsystem,
# known_hosts untouched (/dev/null). Each host has a HOME of its own, where the module is
# installed from a file repository with Install-PSResource, the way a company installs it.
# Remove-TcpFleet removes everything: the namespaces, any sshd of ours, the keys and config, the
# work folder (the hosts' HOMEs and temp folders), and /run/sshd when it made it. Needs Linux, root, ip (iproute2) and sshd.
#
# Dot-source it (the test files do, from BeforeAll). Uses Get-TcpTestPowerShell and
# New-TcpPrivateHome (TestHelpers.ps1).

function Get-TcpFleetSkipReason {
    <# $null when test hosts can be made here, else why not (for -Skip's reason). #>
    if (-not [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)) { return 'test hosts are Linux network namespaces' }
    if ("$(id -u)" -ne '0') { return 'making network namespaces and running sshd in them needs root' }
    foreach ($tool in 'ip', 'ssh', 'ssh-keygen') {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) { return "$tool is not installed" }
    }
    if (-not (Test-Path -LiteralPath '/usr/sbin/sshd')) { return 'sshd is not installed (Debian: apt-get install openssh-server)' }
    if (-not (Test-Path -LiteralPath '/etc/ssh/ssh_config.d')) { return 'ssh has no /etc/ssh/ssh_config.d to describe the hosts in' }
    $null
}

function New-TcpFleet {
    <#
    .SYNOPSIS
    Makes the hosts (network namespaces with these names) and installs the package on each.
    Returns the fleet (Hosts, WorkDir, ...) for Remove-TcpFleet, which the caller must run.
    #>
    param(
        [Parameter(Mandatory)] [string[]] $Name,
        # The package to install on every host; default: the build's out/packages/TcpClose.<version>.nupkg.
        [string] $PackagePath,
        [switch] $NoInstall
    )
    $fleet = [pscustomobject]@{
        Hosts          = @($Name)
        WorkDir        = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-fleet-' + [guid]::NewGuid().ToString('N'))
        SshConfig      = $null
        CreatedRunSshd = $false
        Made           = [System.Collections.Generic.List[string]]::new()
    }
    try {
        $work = $fleet.WorkDir
        New-Item -ItemType Directory -Path $work, "$work/repository" | Out-Null
        ssh-keygen -q -t ed25519 -N '' -C 'tcpclose fleet client' -f "$work/client" | Out-Null
        ssh-keygen -q -t ed25519 -N '' -C 'tcpclose fleet host' -f "$work/hostkey" | Out-Null
        Copy-Item -LiteralPath "$work/client.pub" -Destination "$work/authorized_keys"
        chmod 600 "$work/client" "$work/hostkey" "$work/authorized_keys"
        # sshd needs its privilege separation folder; a machine that never ran it has none.
        if (-not (Test-Path -LiteralPath '/run/sshd')) {
            New-Item -ItemType Directory -Path '/run/sshd' | Out-Null
            $fleet.CreatedRunSshd = $true
        }
        $pwsh = Get-TcpTestPowerShell
        foreach ($h in $Name) {
            ip netns add $h
            if ($LASTEXITCODE) { throw "ip netns add $h failed: a namespace of that name exists already?" }
            $fleet.Made.Add($h)
            ip netns exec $h ip link set lo up
            # A HOME of its own, where the host installs modules, and a temp folder of its own: sshd
            # gives the session a bare environment, and the .NET runtime's pipe files of a remote
            # pwsh ended by Remove-TcpFleet would stay in /tmp.
            New-TcpPrivateHome -Path "$work/home/$h" -Also 'tmp'
            @(
                "HostKey $work/hostkey"
                "AuthorizedKeysFile $work/authorized_keys"
                'PermitRootLogin prohibit-password'
                'PasswordAuthentication no'
                'KbdInteractiveAuthentication no'
                'UsePAM no'
                'StrictModes no'
                'PidFile none'
                "Subsystem powershell /usr/bin/env HOME=$work/home/$h TMPDIR=$work/home/$h/tmp $pwsh -sshs -NoLogo -NoProfile"
            ) | Set-Content -LiteralPath "$work/sshd_config.$h"
        }
        $fleet.SshConfig = "/etc/ssh/ssh_config.d/tcpclose-fleet-$(Split-Path -Leaf $work).conf"
        @(
            "# TcpClose test hosts (network namespaces), removed with them: $work"
            "Host $($Name -join ' ')"
            "    ProxyCommand ip netns exec %h /usr/sbin/sshd -i -f $work/sshd_config.%h"
            '    User root'
            "    IdentityFile $work/client"
            '    IdentitiesOnly yes'
            '    BatchMode yes'
            '    StrictHostKeyChecking no'
            '    UserKnownHostsFile /dev/null'
            '    LogLevel ERROR'
        ) | Set-Content -LiteralPath $fleet.SshConfig

        if (-not $NoInstall) {
            if (-not $PackagePath) {
                $repoRoot = Split-Path -Parent $PSScriptRoot
                $version = (Import-PowerShellDataFile -Path (Join-Path $repoRoot 'TcpClose.psd1')).ModuleVersion
                $PackagePath = Join-Path $repoRoot "out/packages/TcpClose.$version.nupkg"
            }
            Copy-Item -LiteralPath $PackagePath -Destination "$work/repository"
            # Every host at once (remoting's fan-out), each in its own session and HOME.
            $installed = @(Invoke-Command -HostName $Name -ErrorAction Stop -ScriptBlock {
                    param($Repository)
                    $ErrorActionPreference = 'Stop'
                    Register-PSResourceRepository -Name TcpCloseFleet -Uri $Repository -Trusted
                    Install-PSResource -Name TcpClose -Repository TcpCloseFleet -Scope CurrentUser -Quiet
                    (Get-InstalledPSResource -Name TcpClose).Version.ToString()
                } -ArgumentList "$work/repository")
            if ($installed.Count -ne $Name.Count) {
                throw "the package was installed on $($installed.Count) of $($Name.Count) hosts"
            }
            $fleet | Add-Member -NotePropertyName Installed -NotePropertyValue $installed
        }
        $fleet
    }
    catch {
        Remove-TcpFleet $fleet
        throw
    }
}

function Remove-TcpFleet {
    <# Removes the hosts and everything made for them; safe to call twice, or after a failure. #>
    param($Fleet)
    if (-not $Fleet) { return }
    foreach ($h in @($Fleet.Made)) {
        # Every process still in the host (an sshd serving a session that outlived its command,
        # the pwsh it started: sshd renames itself after login, so they are found by namespace),
        # ended and waited for, 5 s at most: the run leaves no process behind.
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while (($inside = @(ip netns pids $h 2>$null)) -and [DateTime]::UtcNow -lt $deadline) {
            Stop-Process -Id $inside -Force -ErrorAction SilentlyContinue
            Start-Sleep -Milliseconds 100
        }
        ip netns delete $h 2>$null
    }
    $Fleet.Made.Clear()
    if ($Fleet.SshConfig) { Remove-Item -LiteralPath $Fleet.SshConfig -Force -ErrorAction SilentlyContinue }
    Remove-Item -LiteralPath $Fleet.WorkDir -Recurse -Force -ErrorAction SilentlyContinue
    if ($Fleet.CreatedRunSshd) {
        Remove-Item -LiteralPath '/run/sshd' -Force -ErrorAction SilentlyContinue
        $Fleet.CreatedRunSshd = $false
    }
}
