// Package chinatime holds the one China Standard Time zone every part of
// egovnet reads dates in: plan dates that name a day only, pack cutoffs,
// progress day boundaries, exports and the audit table. China keeps UTC+8
// all year, so a fixed zone needs no tzdata on the host.
package chinatime

import "time"

// Location is China Standard Time, UTC+8 without daylight saving.
var Location = time.FixedZone("CST", 8*3600)

// StartOfDay is midnight CST of the day t falls on in CST.
func StartOfDay(t time.Time) time.Time {
	t = t.In(Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Location)
}
