package server

import (
	"context"

	"github.com/egovnet/egovnet/collector/auditlog"
)

// AuditOperator records an action an operator took from the command line
// on this host, with the actor Operator names. A failed append is dropped:
// the action itself is done and committed, and failing the command now
// would make the operator repeat it.
func (a *App) AuditOperator(ctx context.Context, action, target, outcome, detail string) {
	op := Operator()
	_, _ = a.Audit.Append(ctx, auditlog.Entry{ActorKind: op.Kind, Actor: op.Name, Action: action, Target: target, Outcome: outcome, Detail: detail})
}
