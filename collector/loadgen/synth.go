package loadgen

import (
	"time"

	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

// AgentVersion is the version synthetic agents enrol and report with.
const AgentVersion = "loadgen"

// Report synthesises a valid scan report (wire.ScanReport.Validate) of
// agent in dept with n endpoints, hosts offset..offset+n-1 of the
// department's space. Like the pipeline benchmark's reports, one host in
// ten is a server with 22/80 open (a local-server finding), the rest are
// workstations, and the agent's host carries a little software, so the
// rules, ledger and progress processors all have work to do.
func Report(dept Department, agentID, hostname string, n, offset int, at time.Time) *wire.ScanReport {
	rep := &wire.ScanReport{
		Schema:    wire.SchemaScanV1,
		ReportID:  uuid.NewString(),
		Agent:     wire.Agent{ID: agentID, Hostname: hostname, Version: AgentVersion, Department: dept.Code},
		StartedAt: at.Add(-time.Minute), FinishedAt: at,
		Endpoints: make([]wire.Endpoint, 0, n),
	}
	for _, p := range dept.Prefixes {
		rep.Scope = append(rep.Scope, p.String())
	}
	for j := 0; j < n; j++ {
		k := offset + j
		e := wire.Endpoint{IP: dept.Host(k).String(), SeenBy: []string{wire.MethodICMP, wire.MethodTCP, wire.MethodARP},
			OpenPorts: []int{135, 445}, Role: wire.RoleWorkstation}
		if k%10 == 0 {
			e.OpenPorts, e.Role = []int{22, 80}, wire.RoleServer
		}
		rep.Endpoints = append(rep.Endpoints, e)
	}
	rep.Host = &wire.Host{Software: []wire.Software{
		{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Source: "registry"},
		{Name: "WPS Office", Version: "11.8", Source: "registry"},
		{Name: "Kylin Linux Advanced Server V10", Version: "10", Source: "dpkg"},
	}}
	rep.Stats.DurationMs = int64(time.Minute / time.Millisecond)
	return rep
}
