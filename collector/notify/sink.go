package notify

import "context"

// Sink delivers one event. Send must honour ctx's deadline; an error means
// "try again later" and the outbox backs off.
type Sink interface {
	// Name is stable across restarts (it keys the outbox rows).
	Name() string
	Route() Route
	Send(ctx context.Context, e *Event, payload []byte) error
}
