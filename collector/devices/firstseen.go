package devices

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/store"
)

// FirstSeen returns when each device of department dept was first walked
// (devices.first_seen, scan time), keyed by the address of its target: the
// subject the rules engine judges an SNMP device by. It is the device
// inventory's side of the first sightings the violation lifecycle reads
// (lifecycle.Sightings). A device walked as a name, not an address, has
// no entry.
func (s *Store) FirstSeen(ctx context.Context, dept string) (map[string]time.Time, error) {
	rows, err := s.db.Query(ctx, `SELECT target, first_seen FROM devices WHERE department = ?`, dept)
	if err != nil {
		return nil, fmt.Errorf("load device first sightings of %s: %w", dept, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var target, at string
		if err := rows.Scan(&target, &at); err != nil {
			return nil, fmt.Errorf("load device first sightings of %s: %w", dept, err)
		}
		t, err := store.ParseTime(at)
		if err != nil {
			return nil, err
		}
		a, ok := targetAddr(target)
		if !ok {
			continue
		}
		if k := a.String(); out[k].IsZero() || t.Before(out[k]) {
			out[k] = t
		}
	}
	return out, rows.Err()
}

// targetAddr is the address of a walk target "host:port", "[v6]:port" or a
// bare address, as the rules engine reads it.
func targetAddr(t string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(t); err == nil {
		return ap.Addr().Unmap(), true
	}
	host := strings.Trim(t, "[]")
	if i := strings.LastIndexByte(t, ':'); i > 0 && !strings.Contains(t[:i], ":") {
		host = t[:i]
	}
	host = strings.TrimSpace(host)
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
