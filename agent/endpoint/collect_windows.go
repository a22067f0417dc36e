//go:build windows

package endpoint

import (
	"context"
	"os/exec"
	"time"
)

// Paths is unused on Windows (the facts come from CIM and the registry).
type Paths struct{}

// DefaultPaths are the real system's.
var DefaultPaths = Paths{}

// windowsQuery prints WindowsFacts as JSON. PowerShell ships with every
// supported Windows; CIM needs no extra module.
const windowsQuery = `$ErrorActionPreference='SilentlyContinue';` +
	`$os=Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version,OSArchitecture;` +
	`$reg=Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' | Select-Object EditionID,DisplayVersion,ReleaseId;` +
	`$cs=Get-CimInstance Win32_ComputerSystem | Select-Object Manufacturer,Model,UserName;` +
	`$bios=Get-CimInstance Win32_BIOS | Select-Object SerialNumber;` +
	`$lic=Get-CimInstance SoftwareLicensingProduct -Filter "ApplicationID='55c92734-d682-4d71-983e-d6ec3f16059f' AND PartialProductKey IS NOT NULL" | ` +
	`Select-Object Name,LicenseStatus,KeyManagementServiceMachine,DiscoveredKeyManagementServiceMachineName,ProductKeyChannel,PartialProductKey;` +
	`@{os=$os;registry=$reg;system=$cs;bios=$bios;licensing=$lic} | ConvertTo-Json -Depth 4 -Compress`

// Collect runs the query; a failure leaves the facts empty.
func Collect(ctx context.Context, _ Paths) Facts {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-Command", windowsQuery).Output()
	if err != nil {
		return Facts{}
	}
	f, err := ParseWindows(out)
	if err != nil {
		return Facts{}
	}
	return f
}
