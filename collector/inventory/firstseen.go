package inventory

import (
	"context"
	"fmt"
	"time"
)

// FirstSeen returns when each address of department dept was first seen
// (endpoints.first_seen, scan time), keyed by the address as the rules
// engine writes it. It is the inventory's side of the first sightings the
// violation lifecycle reads (lifecycle.Sightings): one copy of the facts.
func (s *Store) FirstSeen(ctx context.Context, dept string) (map[string]time.Time, error) {
	rows, err := s.db.Query(ctx, `SELECT ip, first_seen FROM endpoints WHERE department = ?`, dept)
	if err != nil {
		return nil, fmt.Errorf("load first sightings of %s: %w", dept, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var ip, at string
		if err := rows.Scan(&ip, &at); err != nil {
			return nil, fmt.Errorf("load first sightings of %s: %w", dept, err)
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, fmt.Errorf("first sighting of %s in %s: %w", ip, dept, err)
		}
		out[ip] = t
	}
	return out, rows.Err()
}
