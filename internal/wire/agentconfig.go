package wire

// AgentConfig is what GET /api/v1/agent/config answers (CONTRACT "Agents
// managed from the collector"): the department's configuration as the
// big-data centre set it, which the agent merges under its own file (the
// file wins only where it sets a key explicitly).
type AgentConfig struct {
	Version    int64            `json:"version"`
	Department string           `json:"department"`
	Profile    string           `json:"profile"` // network or endpoint
	Scope      AgentConfigScope `json:"scope"`
	SNMP       AgentConfigSNMP  `json:"snmp"`
	Paths      AgentConfigPaths `json:"paths"`
	Schedule   AgentSchedule    `json:"schedule"`
	// ScanNow asks the agent to start a scan now (once per request).
	ScanNow bool `json:"scan_now"`
}

// AgentConfigScope is what to discover.
type AgentConfigScope struct {
	Targets []string `json:"targets"`
	Ports   []int    `json:"ports"`
}

// AgentConfigSNMP holds credentials; the collector stores them encrypted
// and sends them only to the department's own agents.
type AgentConfigSNMP struct {
	Communities []string     `json:"communities"`
	V3          []SNMPv3User `json:"v3"`
}

// SNMPv3User is one USM user.
type SNMPv3User struct {
	User      string `json:"user"`
	AuthProto string `json:"auth_proto,omitempty"`
	AuthPass  string `json:"auth_pass,omitempty"`
	PrivProto string `json:"priv_proto,omitempty"`
	PrivPass  string `json:"priv_pass,omitempty"`
	Context   string `json:"context,omitempty"`
}

// AgentConfigPaths are the path-probe targets.
type AgentConfigPaths struct {
	Targets []string `json:"targets"`
}

// AgentSchedule is how often to scan; Interval is a Go duration ("1h").
type AgentSchedule struct {
	Interval string  `json:"interval"`
	Jitter   float64 `json:"jitter"`
}
