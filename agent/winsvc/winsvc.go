// Package winsvc runs the agent as a real Windows service (the service
// control manager starts it at boot, restarts it on failure and stops it
// cleanly) and installs, removes, starts and stops that service. Elsewhere
// every call says it is Windows-only; Linux uses the systemd unit.
package winsvc

import "errors"

// Name is the service name; DisplayName what services.msc shows.
const (
	Name        = "egovnet-agent"
	DisplayName = "egovnet 电子政务网络整合核查代理 (egovnet agent)"
	Description = "Reports this computer's operating system, hardware and installed software to the district's egovnet collector for the software legalization ledger (软件正版化)."
)

// ErrNotWindows is returned by every call on other systems.
var ErrNotWindows = errors.New("the Windows service exists only on Windows (on Linux use the systemd unit egovnet-agent.service)")
