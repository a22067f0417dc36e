package inventory

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"modernc.org/sqlite"

	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/store"
)

// egovnet_ip_key(ip) gives SQLite a numeric sort key for addresses (IPv4
// before IPv6, then by value), as PostgreSQL's inet ordering does; text
// order would put 10.1.0.10 before 10.1.0.9.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("egovnet_ip_key", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		if i := strings.IndexByte(s, '%'); i >= 0 {
			s = s[:i]
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return "9" + s, nil
		}
		b := a.As16()
		fam := "6"
		if a.Is4() {
			fam = "4"
		}
		return fam + hex.EncodeToString(b[:]), nil
	})
}

// ipOrder is the dialect's numeric order of the ip column.
func ipOrder(d store.Dialect) string {
	if d == store.Postgres {
		return "CAST(split_part(ip, '%', 1) AS inet)"
	}
	return "egovnet_ip_key(ip)"
}

// EndpointsPage lists one page of endpoints (dept "" = all), ordered by
// department and numeric address unless p.Sort names a column, and the
// number matching before the window. q matches address, MAC, host name,
// vendor, role and web titles, case-insensitively.
func (s *Store) EndpointsPage(ctx context.Context, dept string, p paging.Page) ([]Endpoint, int, error) {
	where, args := ` WHERE 1 = 1`, []any{}
	if dept != "" {
		where += ` AND department = ?`
		args = append(args, dept)
	}
	if p.Q != "" {
		like := p.Like()
		where += ` AND (LOWER(ip) LIKE ? ESCAPE '\' OR LOWER(mac) LIKE ? ESCAPE '\' OR LOWER(hostname) LIKE ? ESCAPE '\'
 OR LOWER(vendor) LIKE ? ESCAPE '\' OR LOWER(role) LIKE ? ESCAPE '\' OR LOWER(http_titles) LIKE ? ESCAPE '\')`
		for range 6 {
			args = append(args, like)
		}
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM endpoints`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count endpoints: %w", err)
	}
	ipo := ipOrder(s.db.Dialect)
	order := p.Order(map[string]string{"ip": ipo, "mac": "mac", "hostname": "hostname", "vendor": "vendor", "role": "role",
		"first_seen": "first_seen", "last_seen": "last_seen", "department": "department"}, "department, "+ipo)
	q := `SELECT department, ip, first_seen, last_seen, mac, vendor, hostname, role, open_ports, http_titles, seen_by, last_report, last_agent FROM endpoint_now` +
		where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	out, err := s.scanEndpoints(ctx, q, append(args, p.Limit, p.Offset)...)
	return out, total, err
}

// ReportsPage lists one page of reports, newest scan first, and the number
// matching before the window; q matches report id and agent id.
func (s *Store) ReportsPage(ctx context.Context, dept string, p paging.Page) ([]Report, int, error) {
	where, args := ` WHERE 1 = 1`, []any{}
	if dept != "" {
		where += ` AND department = ?`
		args = append(args, dept)
	}
	if p.Q != "" {
		like := p.Like()
		where += ` AND (LOWER(report_id) LIKE ? ESCAPE '\' OR LOWER(agent_id) LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM reports`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count reports: %w", err)
	}
	order := p.Order(map[string]string{"finished_at": "finished_at", "received_at": "received_at", "department": "department",
		"agent_id": "agent_id", "endpoints": "endpoints"}, "finished_at DESC, report_id")
	out, err := s.queryReports(ctx, `SELECT `+reportCols+` FROM reports`+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	return out, total, err
}

// scanEndpoints runs an endpoint query with the column list of Endpoints.
func (s *Store) scanEndpoints(ctx context.Context, q string, args ...any) ([]Endpoint, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	defer rows.Close()
	out := []Endpoint{}
	for rows.Next() {
		var e Endpoint
		var first, last, ports, titles, seenBy string
		if err := rows.Scan(&e.Department, &e.IP, &first, &last, &e.MAC, &e.Vendor, &e.Hostname, &e.Role, &ports, &titles, &seenBy, &e.LastReport, &e.LastAgent); err != nil {
			return nil, fmt.Errorf("scan endpoint: %w", err)
		}
		if e.FirstSeen, err = store.ParseTime(first); err != nil {
			return nil, err
		}
		if e.LastSeen, err = store.ParseTime(last); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ports), &e.OpenPorts); err != nil {
			return nil, fmt.Errorf("decode open ports of %s: %w", e.IP, err)
		}
		if err := json.Unmarshal([]byte(titles), &e.HTTP); err != nil {
			return nil, fmt.Errorf("decode http of %s: %w", e.IP, err)
		}
		if err := json.Unmarshal([]byte(seenBy), &e.SeenBy); err != nil {
			return nil, fmt.Errorf("decode seen_by of %s: %w", e.IP, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
