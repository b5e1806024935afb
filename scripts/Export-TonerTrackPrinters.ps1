<#
.SYNOPSIS
    Exports the printers and printer ports of one or more Windows print servers to the JSON
    file that TonerTrack's `windows-export` sync source reads.

.DESCRIPTION
    For each print server, runs Get-Printer and Get-PrinterPort (PrintManagement module) and
    writes one JSON document:

        {
          "format": "tonertrack-printers", "version": 1, "exported_at": "2025-01-31T06:00:00Z",
          "servers": [
            { "server": "DC3",
              "printers": [ { "Name", "ShareName", "PortName", "DriverName", "Location", "Comment", "Shared" } ],
              "ports":    [ { "Name", "PrinterHostAddress", "PortNumber", "Description" } ] }
          ]
        }

    The file is written as UTF-8 to a temporary name beside -Path and then renamed over it,
    so TonerTrack never reads half a file. A server that cannot be queried stops the script
    with an error and leaves the previous file in place: a sync never sees a server's
    printers vanish because the server was briefly unreachable.

    On the Linux side, point a source at the file (config.toml):

        [[sync.sources]]
        name = "dc3"
        kind = "windows-export"
        path = "/mnt/exports/tonertrack-printers.json"
        location = "B2"

    When the file holds several servers, queue names are recorded as \\SERVER\Queue.
    Use one file (and one source) per server when each server is its own location.

.PARAMETER ComputerName
    The print servers to export. Default: this computer.

.PARAMETER Path
    The JSON file to write, e.g. \\fileserver\exports$\dc3-printers.json.

.EXAMPLE
    .\Export-TonerTrackPrinters.ps1 -ComputerName dc3 -Path \\files\exports$\dc3-printers.json

.EXAMPLE
    # As a scheduled task every night at 05:30, under an account that may read the print
    # servers and write to the share:
    $action  = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument `
        '-NoProfile -ExecutionPolicy Bypass -File C:\Scripts\Export-TonerTrackPrinters.ps1 -ComputerName dc3 -Path \\files\exports$\dc3-printers.json'
    $trigger = New-ScheduledTaskTrigger -Daily -At 05:30
    Register-ScheduledTask -TaskName 'TonerTrack printer export' -Action $action -Trigger $trigger `
        -User 'CORP\svc-tonertrack' -Password (Read-Host 'Password')

.NOTES
    Needs Windows PowerShell 5.1 or PowerShell 7 with the PrintManagement module
    (Windows 8 / Server 2012 and later). Reads only; changes nothing on the servers.
#>
[CmdletBinding()]
param(
    [string[]] $ComputerName = @($env:COMPUTERNAME),

    [Parameter(Mandatory = $true)]
    [string] $Path
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$servers = @()
foreach ($server in $ComputerName) {
    Write-Verbose "Reading printers and ports of $server"
    $printers = @(Get-Printer -ComputerName $server | ForEach-Object {
        [ordered]@{
            Name       = $_.Name
            ShareName  = $_.ShareName
            PortName   = $_.PortName
            DriverName = $_.DriverName
            Location   = $_.Location
            Comment    = $_.Comment
            Shared     = [bool]$_.Shared
        }
    })
    $ports = @(Get-PrinterPort -ComputerName $server | ForEach-Object {
        $hostAddress = $null
        if ($_.PSObject.Properties['PrinterHostAddress']) { $hostAddress = $_.PrinterHostAddress }
        $portNumber = $null
        if ($_.PSObject.Properties['PortNumber']) { $portNumber = $_.PortNumber }
        [ordered]@{
            Name               = $_.Name
            PrinterHostAddress = $hostAddress
            PortNumber         = $portNumber
            Description        = $_.Description
        }
    })
    $servers += [ordered]@{ server = $server; printers = $printers; ports = $ports }
}

$document = [ordered]@{
    format      = 'tonertrack-printers'
    version     = 1
    exported_at = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
    servers     = $servers
}
# -Depth: the default (2) would flatten the printer lists into strings
$json = ConvertTo-Json -InputObject $document -Depth 6

# Write beside the target, then rename over it: readers see the old file or the new one.
$target = [System.IO.Path]::GetFullPath($Path)
$temp = "$target.tmp-$PID"
[System.IO.File]::WriteAllText($temp, $json, (New-Object System.Text.UTF8Encoding($false)))
Move-Item -LiteralPath $temp -Destination $target -Force
Write-Verbose "Wrote $($servers.Count) server(s) to $target"
