package rules

import (
	"time"

	"github.com/egovnet/egovnet/internal/chinatime"
)

// chinaTime is the one China time zone (internal/chinatime), kept as a
// function for the lifecycle store's day boundaries until that moves to
// its own package.
func chinaTime() *time.Location { return chinatime.Location }
