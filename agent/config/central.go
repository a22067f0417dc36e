package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/viper"

	iconfig "github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/wire"
)

// CentralKeys are the keys the collector's department configuration may
// set (CONTRACT: the agent's own file wins only where it sets them).
var CentralKeys = []string{"profile", "scope.targets", "scope.ports", "snmp.communities", "snmp.v3", "paths.targets", "schedule.interval", "schedule.jitter"}

// Explicit names the central keys that file or the environment sets, so
// the collector's values apply to the rest. Defaults do not count.
func Explicit(file string) (map[string]bool, error) {
	out := map[string]bool{}
	if file != "" {
		v := viper.New()
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config %s: %w", file, err)
		}
		for _, k := range CentralKeys {
			if v.InConfig(k) {
				out[k] = true
			}
		}
	}
	for _, k := range CentralKeys {
		env := iconfig.EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(k))
		if _, ok := os.LookupEnv(env); ok {
			out[k] = true
		}
	}
	return out, nil
}

// WithCentral returns a copy of c with the department's central
// configuration applied to every central key explicit does not name.
// A central value the agent cannot use (an unparsable interval) is skipped.
func (c *Config) WithCentral(ac wire.AgentConfig, explicit map[string]bool) *Config {
	n := *c
	set := func(k string) bool { return !explicit[k] }
	if set("profile") && (ac.Profile == "network" || ac.Profile == "endpoint") {
		n.Profile = ac.Profile
	}
	if set("scope.targets") && len(ac.Scope.Targets) > 0 {
		if _, err := ParseTargets(ac.Scope.Targets); err == nil && CheckScopeSize(ac.Scope.Targets) == nil {
			n.Scope.Targets = append([]string(nil), ac.Scope.Targets...)
		}
	}
	if set("scope.ports") && len(ac.Scope.Ports) > 0 && CheckPorts(ac.Scope.Ports) == nil {
		n.Scope.Ports = append([]int(nil), ac.Scope.Ports...)
	}
	if set("snmp.communities") && len(ac.SNMP.Communities) > 0 {
		n.SNMP.Communities = nil
		for _, cm := range ac.SNMP.Communities {
			n.SNMP.Communities = append(n.SNMP.Communities, Secret(cm))
		}
	}
	if set("snmp.v3") && len(ac.SNMP.V3) > 0 {
		n.SNMP.V3 = nil
		for _, u := range ac.SNMP.V3 {
			n.SNMP.V3 = append(n.SNMP.V3, V3User{User: u.User, AuthProto: strings.ToLower(u.AuthProto), AuthPass: Secret(u.AuthPass),
				PrivProto: strings.ToLower(u.PrivProto), PrivPass: Secret(u.PrivPass), Context: u.Context})
		}
	}
	if set("paths.targets") && len(ac.Paths.Targets) > 0 {
		n.Paths.Targets = nil
		for _, t := range ac.Paths.Targets {
			n.Paths.Targets = append(n.Paths.Targets, PathTarget{Address: t})
		}
	}
	if set("schedule.interval") && ac.Schedule.Interval != "" {
		if d, err := time.ParseDuration(ac.Schedule.Interval); err == nil && d >= time.Minute {
			n.Schedule.Interval = d
		}
	}
	if set("schedule.jitter") && ac.Schedule.Jitter > 0 && ac.Schedule.Jitter <= 1 {
		n.Schedule.Jitter = ac.Schedule.Jitter
	}
	return &n
}
