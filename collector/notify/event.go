// Package notify tells people about findings without anyone looking: it
// turns violation lifecycle transitions and silent agents into events,
// queues them per sink in a durable outbox in the collector's store, and
// delivers them to webhooks (HMAC-SHA256 signed), syslog (RFC 5424 over
// UDP, TCP or TLS) and SMTP mail, retrying with backoff. Ingest never waits
// for it: the dispatcher reads what the lifecycle already committed.
package notify

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/egovnet/egovnet/internal/wire"
)

// Event names (CONTRACT "Notifications, identity, integrity").
const (
	EventOpened   = "violation.opened"
	EventReopened = "violation.reopened"
	EventResolved = "violation.resolved"
	EventSilent   = "agent.silent"
)

// Events lists every event a sink may subscribe to.
var Events = []string{EventOpened, EventReopened, EventResolved, EventSilent}

// Event is what every sink receives; Payload is its JSON body as sent to
// webhooks: {"event","at","department","violation"|"agent"}.
type Event struct {
	Name       string    `json:"event"`
	At         time.Time `json:"at"`
	Department string    `json:"department"`
	// Violation is the finding as stored after the transition.
	Violation *wire.Violation `json:"violation,omitempty"`
	// Transition says what changed, for readers that only see the event.
	Transition *Transition `json:"transition,omitempty"`
	Agent      *Agent      `json:"agent,omitempty"`
}

// Transition is one lifecycle step.
type Transition struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Actor string `json:"actor"`
	Note  string `json:"note,omitempty"`
}

// Agent describes a silent agent.
type Agent struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Hostname   string    `json:"hostname"`
	LastReport time.Time `json:"last_report"`
}

// Severity of the event for routing and syslog: the violation's, or high for
// a silent agent (nothing is watching that department any more).
func (e *Event) Severity() string {
	if e.Violation != nil {
		return e.Violation.Severity
	}
	return wire.SeverityHigh
}

// Subject is a one-line summary used by syslog and mail.
func (e *Event) Subject() string {
	if e.Violation != nil {
		return e.Violation.Rule + " " + e.Violation.Subject
	}
	if e.Agent != nil {
		return e.Agent.ID + " " + e.Agent.Hostname
	}
	return ""
}

func (e *Event) marshal() ([]byte, error) { return json.Marshal(e) }

// Route selects the events a sink receives. Empty lists mean all.
type Route struct {
	Events      []string
	Departments []string
	MinSeverity string // low (default), medium, high, critical
}

var severityRank = map[string]int{"": 0, wire.SeverityLow: 0, wire.SeverityMedium: 1, wire.SeverityHigh: 2, wire.SeverityCritical: 3}

// Match reports whether the route takes e.
func (r Route) Match(e *Event) bool {
	if len(r.Events) > 0 && !slices.Contains(r.Events, e.Name) {
		return false
	}
	if len(r.Departments) > 0 && !slices.Contains(r.Departments, e.Department) {
		return false
	}
	return severityRank[e.Severity()] >= severityRank[r.MinSeverity]
}

// ValidSeverity reports whether s is a severity a route may name.
func ValidSeverity(s string) bool { _, ok := severityRank[s]; return ok }
