package inventory

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/egovnet/egovnet/internal/wire"
)

// Counts reports the department's endpoints as of its latest scans (the
// newest report of each of its agents), how many have the server role, and
// how many of those servers sit in cloud prefixes. History is kept in the
// table, but progress is about what is there now: an endpoint last seen in
// an older scan than its agent's newest is gone.
func (s *Store) Counts(ctx context.Context, dept string, cloud []netip.Prefix) (endpoints, servers, serversInCloud int, err error) {
	rows, err := s.db.Query(ctx, `
SELECT e.ip, e.role FROM endpoint_now e
WHERE e.department = ? AND e.last_report IN (
	SELECT r.report_id FROM report_latest l
	JOIN reports r ON r.department = l.department AND r.agent_id = l.agent_id AND r.finished_at = l.finished_at
	WHERE l.department = ?)`, dept, dept)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count endpoints of %s: %w", dept, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ip, role string
		if err := rows.Scan(&ip, &role); err != nil {
			return 0, 0, 0, fmt.Errorf("count endpoints of %s: %w", dept, err)
		}
		endpoints++
		if role != wire.RoleServer {
			continue
		}
		servers++
		if a, perr := netip.ParseAddr(ip); perr == nil {
			for _, p := range cloud {
				if p.Contains(a) {
					serversInCloud++
					break
				}
			}
		}
	}
	return endpoints, servers, serversInCloud, rows.Err()
}
