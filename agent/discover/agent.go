package discover

import (
	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/wire"
)

// ReportAgent names the agent in its reports: the enrolled identity when
// there is one (id not nil), its department unless the configuration names
// one; else "unenrolled-<host>", so that an offline report still validates
// and says plainly that no collector vouches for it.
func ReportAgent(c *config.Config, host, version string, id *uplink.Identity) wire.Agent {
	a := wire.Agent{Hostname: host, Version: version, Department: c.Department}
	if id == nil {
		a.ID = "unenrolled-" + host
		return a
	}
	a.ID = id.AgentID
	if a.Department == "" {
		a.Department = id.Department
	}
	return a
}
