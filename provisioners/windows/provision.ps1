# worldbuilder provisioner for Windows computers. Runs once, as the spec's user (an Administrator), from
# the FirstLogonCommand of Autounattend.xml, off the WB-PROV volume; reads computer.json next to it.
#   1. the data disk (GPT partition labelled "Data") online and on D:
#   2. the staged profile D:\WB-Staging\Profile copied into C:\Users\<Name> with its times
#      (robocopy /COPY:DAT /DCOPY:DAT), owned by the user; the staging folder removed
#   3. OpenSSH Server from the Windows capability, or from the OpenSSH zip on the volume
#   4. the public key as authorized key, PowerShell as the default shell, an inbound rule for port 22
#   5. a random password made here (never stored), AutoLogon off, the ready marker written last
# Every step logs to C:\ProgramData\worldbuilder\provision.log; a failure writes provision.failed instead.
#Requires -RunAsAdministrator
$ErrorActionPreference = 'Stop'
$StateDir = Join-Path $env:ProgramData 'worldbuilder'
New-Item -ItemType Directory -Force -Path $StateDir | Out-Null
Start-Transcript -Path (Join-Path $StateDir 'provision.log') -Append | Out-Null
$Config = Get-Content -Raw -Path (Join-Path $PSScriptRoot 'computer.json') | ConvertFrom-Json

function Step([string]$Name) { Write-Output ("[{0:u}] {1}" -f (Get-Date), $Name) }

function Set-DataDrive {
    Step 'data disk online as D:'
    Get-Disk | Where-Object { $_.IsOffline -or $_.IsReadOnly } | ForEach-Object {
        Set-Disk -Number $_.Number -IsOffline $false
        Set-Disk -Number $_.Number -IsReadOnly $false
    }
    $part = Get-Partition | Where-Object { $_.DriveLetter -ne 'C' } |
        Where-Object { (Get-Volume -Partition $_ -ErrorAction SilentlyContinue).FileSystemLabel -eq $Config.data_label } |
        Select-Object -First 1
    if ($null -eq $part) { throw "no partition labelled $($Config.data_label) was found" }
    if ($part.DriveLetter -ne 'D') {
        $taken = Get-CimInstance -ClassName Win32_Volume -Filter "DriveLetter = 'D:'"
        if ($taken) { $taken | Set-CimInstance -Property @{ DriveLetter = $null } }
        Set-Partition -DiskNumber $part.DiskNumber -PartitionNumber $part.PartitionNumber -NewDriveLetter D
    }
}

function Copy-Profile {
    Step "profile into $($Config.home)"
    $staged = Join-Path 'D:\' $Config.staged_profile
    if (-not (Test-Path -LiteralPath $staged)) { return }
    & robocopy.exe $staged $Config.home /E /COPY:DAT /DCOPY:DAT /R:1 /W:1 /NP /NFL /NDL /XJ | Out-Null
    if ($LASTEXITCODE -ge 8) { throw "robocopy failed with exit code $LASTEXITCODE" }
    # The user owns what was copied (only those items: the rest of the profile is Windows' own and in use).
    $owner = New-Object System.Security.Principal.NTAccount($env:COMPUTERNAME, $Config.account)
    Get-ChildItem -LiteralPath $staged -Recurse -Force | ForEach-Object {
        $target = Join-Path $Config.home ($_.FullName.Substring($staged.Length).TrimStart('\'))
        $acl = Get-Acl -LiteralPath $target
        $acl.SetOwner($owner)
        Set-Acl -LiteralPath $target -AclObject $acl
    }
    Remove-Item -LiteralPath (Join-Path 'D:\' $Config.staging_root) -Recurse -Force
}

function Install-OpenSSH {
    Step 'OpenSSH Server'
    if (Get-Service -Name sshd -ErrorAction SilentlyContinue) { return }
    if ($Config.openssh_zip) {
        $target = Join-Path $env:ProgramFiles 'OpenSSH'
        $unpack = Join-Path $env:TEMP 'wb-openssh'
        Expand-Archive -LiteralPath (Join-Path $PSScriptRoot $Config.openssh_zip) -DestinationPath $unpack -Force
        $inner = Get-ChildItem -LiteralPath $unpack -Directory | Select-Object -First 1
        New-Item -ItemType Directory -Force -Path $target | Out-Null
        Copy-Item -Path (Join-Path $inner.FullName '*') -Destination $target -Recurse -Force
        & powershell.exe -NoProfile -ExecutionPolicy Bypass -File (Join-Path $target 'install-sshd.ps1')
        if ($LASTEXITCODE -ne 0) { throw "install-sshd.ps1 failed with exit code $LASTEXITCODE" }
        $machinePath = [Environment]::GetEnvironmentVariable('Path', 'Machine')
        [Environment]::SetEnvironmentVariable('Path', "$machinePath;$target", 'Machine')
    } else {
        Add-WindowsCapability -Online -Name 'OpenSSH.Server~~~~0.0.1.0' | Out-Null
    }
}

function Set-SshAccess {
    Step 'authorized key, default shell, firewall rule'
    $sshDir = Join-Path $env:ProgramData 'ssh'
    New-Item -ItemType Directory -Force -Path $sshDir | Out-Null
    $adminKeys = Join-Path $sshDir 'administrators_authorized_keys'
    Set-Content -Path $adminKeys -Value $Config.ssh_public_key -Encoding ascii
    & icacls.exe $adminKeys /inheritance:r /grant '*S-1-5-32-544:F' /grant '*S-1-5-18:F' | Out-Null
    $userSsh = Join-Path $Config.home '.ssh'
    New-Item -ItemType Directory -Force -Path $userSsh | Out-Null
    Set-Content -Path (Join-Path $userSsh 'authorized_keys') -Value $Config.ssh_public_key -Encoding ascii
    New-Item -Path 'HKLM:\SOFTWARE\OpenSSH' -Force | Out-Null
    $shell = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    New-ItemProperty -Path 'HKLM:\SOFTWARE\OpenSSH' -Name DefaultShell -Value $shell -PropertyType String -Force | Out-Null
    if (-not (Get-NetFirewallRule -Name 'WB-OpenSSH-Server' -ErrorAction SilentlyContinue)) {
        New-NetFirewallRule -Name 'WB-OpenSSH-Server' -DisplayName 'OpenSSH Server (sshd)' -Enabled True `
            -Direction Inbound -Protocol TCP -Action Allow -LocalPort 22 | Out-Null
    }
    Set-Service -Name sshd -StartupType Automatic
    Start-Service -Name sshd
}

function Lock-Account {
    Step 'random password, AutoLogon off'
    $bytes = New-Object byte[] 24
    [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
    $secret = ConvertTo-SecureString ([Convert]::ToBase64String($bytes) + 'a1!') -AsPlainText -Force
    Set-LocalUser -Name $Config.account -Password $secret -PasswordNeverExpires $true
    $winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    Set-ItemProperty -Path $winlogon -Name AutoAdminLogon -Value '0'
    Remove-ItemProperty -Path $winlogon -Name DefaultPassword -ErrorAction SilentlyContinue
}

try {
    Set-DataDrive
    Copy-Profile
    Install-OpenSSH
    Set-SshAccess
    Lock-Account
    Step 'ready'
    Set-Content -Path (Join-Path $StateDir 'ready') -Value $Config.computer_id -Encoding ascii
} catch {
    Write-Output "provisioning failed: $_"
    Set-Content -Path (Join-Path $StateDir 'provision.failed') -Value "$_" -Encoding utf8
    exit 1
} finally {
    Stop-Transcript | Out-Null
}
