package lab

import (
	"fmt"
	"sort"

	"github.com/egovnet/egovnet/internal/plan"
)

// LoadPlan reads and validates a run's plan file with internal/plan, the
// same parser the collector uses, so a lab plan can never drift from the
// CONTRACT shape unnoticed.
func LoadPlan(path string) (*plan.Plan, error) {
	p, err := plan.Load(path)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return p, nil
}

// AgentConfig is the part of an egovnet-agent config the lab can fill in
// for an agent node (CONTRACT keys).
type AgentConfig struct {
	Collector  AgentCollector `yaml:"collector"`
	DataDir    string         `yaml:"data_dir"`
	Department string         `yaml:"department"`
	Scope      AgentScope     `yaml:"scope"`
	SNMP       AgentSNMP      `yaml:"snmp"`
	Paths      AgentPaths     `yaml:"paths"`
	Schedule   AgentSchedule  `yaml:"schedule"`
}

// AgentCollector is collector.*.
type AgentCollector struct {
	URL string `yaml:"url"`
}

// AgentScope is scope.*.
type AgentScope struct {
	Targets []string `yaml:"targets"`
}

// AgentSNMP is snmp.*.
type AgentSNMP struct {
	Communities []string `yaml:"communities"`
}

// AgentPaths is paths.*.
type AgentPaths struct {
	Targets []string `yaml:"targets"`
}

// AgentSchedule is schedule.*.
type AgentSchedule struct {
	Interval string `yaml:"interval"`
}

// BuildAgentConfig derives an agent's config from the run and its plan: the
// department's prefixes (classified ones included) as scope, the plan's
// reference targets and private-network sentinels as path targets (as
// "kind:address"), and the SNMP communities served in
// that department.
func BuildAgentConfig(st *State, p *plan.Plan, node, collectorURL, dataDir, interval string) (*AgentConfig, error) {
	n, ok := st.Node(node)
	if !ok {
		return nil, fmt.Errorf("run %s has no node %q", st.Run, node)
	}
	if n.Department == "" {
		return nil, fmt.Errorf("node %q has no department in the scenario", node)
	}
	d, ok := p.Department(n.Department)
	if !ok {
		return nil, fmt.Errorf("department %q of node %q is not in the plan", n.Department, node)
	}
	cfg := &AgentConfig{
		Collector:  AgentCollector{URL: collectorURL},
		DataDir:    dataDir,
		Department: d.Code,
		Schedule:   AgentSchedule{Interval: interval},
	}
	cfg.Scope.Targets = append(append(cfg.Scope.Targets, d.Prefixes...), d.ClassifiedPrefixes...)
	// "kind:address" is the agent's string form of a path target.
	for _, a := range p.Probes.Internet {
		cfg.Paths.Targets = append(cfg.Paths.Targets, "internet:"+a)
	}
	for _, a := range p.Probes.Extranet {
		cfg.Paths.Targets = append(cfg.Paths.Targets, "extranet:"+a)
	}
	for _, pn := range p.PrivateNetworks {
		for _, a := range pn.Sentinels {
			cfg.Paths.Targets = append(cfg.Paths.Targets, "private:"+a)
		}
	}
	seen := map[string]bool{}
	for _, other := range st.Nodes {
		if other.Department != d.Code {
			continue
		}
		for _, s := range other.SNMP {
			if !seen[s.Community] {
				seen[s.Community] = true
				cfg.SNMP.Communities = append(cfg.SNMP.Communities, s.Community)
			}
		}
	}
	sort.Strings(cfg.SNMP.Communities)
	return cfg, nil
}
