package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/internal/wire"
)

// SetAgentConfig is an operator's `agent config set` on this host: the
// change is merged into the department's stored configuration and saved as
// a new version. What the operator got wrong (an unknown department, a bad
// flag value, a configuration fleet refuses) is a *UsageError; a refusal by
// fleet's validation is audited as refused, a saved version as ok.
func (a *App) SetAgentConfig(ctx context.Context, dept string, ch fleet.Change) (wire.AgentConfig, error) {
	if ok, err := a.Inventory.DepartmentExists(ctx, dept); err != nil {
		return wire.AgentConfig{}, err
	} else if !ok {
		return wire.AgentConfig{}, &UsageError{fmt.Errorf("--department %s: not a department of the plan", dept)}
	}
	cur, err := a.Fleet.Config(ctx, dept)
	if err != nil {
		return wire.AgentConfig{}, err
	}
	if cur, err = ch.Apply(cur); err != nil {
		return wire.AgentConfig{}, &UsageError{err}
	}
	out, err := a.Fleet.SetConfig(ctx, dept, cur, Operator().Name)
	var inv *fleet.InvalidError
	if errors.As(err, &inv) {
		a.AuditOperator(ctx, "agent.config.set", dept, "refused", "")
		return wire.AgentConfig{}, &UsageError{inv}
	}
	var conflict *fleet.ConflictError
	if errors.As(err, &conflict) {
		a.AuditOperator(ctx, "agent.config.set", dept, "refused", fmt.Sprintf("version %d changed meanwhile", conflict.Sent))
		return wire.AgentConfig{}, err
	}
	if err != nil {
		return wire.AgentConfig{}, err
	}
	a.AuditOperator(ctx, "agent.config.set", dept, "ok", fmt.Sprintf("version %d", out.Version))
	return out, nil
}
