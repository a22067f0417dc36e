// Package render prints a ScanReport as readable tables for `scan --format
// table`: an operator on a department network reads it before deciding to
// upload or import. Column widths count East Asian wide characters as two
// cells so Chinese titles and headers line up in a terminal.
package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/egovnet/egovnet/internal/wire"
)

// maxCell bounds a cell's display width; longer text is cut with "…".
const maxCell = 40

// Report writes the whole report.
func Report(w io.Writer, r *wire.ScanReport) error {
	ew := &errWriter{w: w}
	ew.printf("扫描报告 Scan report %s\n", r.ReportID)
	ew.printf("代理 Agent: %s (%s) 部门 department: %s 版本 version: %s\n", r.Agent.ID, r.Agent.Hostname, dash(r.Agent.Department), r.Agent.Version)
	ew.printf("范围 Scope: %s\n", dash(strings.Join(r.Scope, ", ")))
	ew.printf("时间 Time: %s → %s (%d ms), 探测地址 addresses probed: %d, 错误 errors: %d\n",
		r.StartedAt.UTC().Format("2006-01-02 15:04:05Z"), r.FinishedAt.UTC().Format("15:04:05Z"),
		r.Stats.DurationMs, r.Stats.AddressesProbed, r.Stats.Errors)
	if r.Stats.SpoolDepth > 0 || r.Stats.DroppedReports > 0 {
		ew.printf("缓存 Spool: %d pending, %d dropped\n", r.Stats.SpoolDepth, r.Stats.DroppedReports)
	}

	ew.printf("\n终端 Endpoints (%d)\n", len(r.Endpoints))
	t := table{head: []string{"IP", "MAC", "厂商 Vendor", "角色 Role", "TCP", "UDP", "发现 Seen by", "HTTP 标题 Title"}}
	for _, e := range r.Endpoints {
		t.add(e.IP, e.MAC, e.Vendor, e.Role, ints(e.OpenPorts), ints(e.UDPPorts), strings.Join(e.SeenBy, ","), httpCell(e.HTTP))
	}
	ew.write(t.String())

	if len(r.Devices) > 0 {
		ew.printf("\n设备 SNMP devices (%d)\n", len(r.Devices))
		t = table{head: []string{"目标 Target", "名称 Name", "sysObjectID", "描述 Descr", "接口 If", "ARP", "路由 Routes", "邻居 Nbrs", "软件 SW", "错误 Errors"}}
		for _, d := range r.Devices {
			t.add(d.Target, d.System.Name, d.System.ObjectID, firstLine(d.System.Descr), strconv.Itoa(len(d.Interfaces)),
				strconv.Itoa(len(d.ARP)), strconv.Itoa(len(d.Routes)), strconv.Itoa(len(d.Neighbors)),
				strconv.Itoa(len(d.Software)), strconv.Itoa(len(d.Errors)))
		}
		ew.write(t.String())
	}

	if len(r.Paths) > 0 {
		ew.printf("\n路径 Paths (%d)\n", len(r.Paths))
		t = table{head: []string{"目标 Target", "类型 Kind", "可达 Reachable", "跳 Hops"}, wide: 3}
		for _, p := range r.Paths {
			t.add(p.Target, p.Kind, yesNo(p.Reachable), hops(p.Hops))
		}
		ew.write(t.String())
	}

	if h := r.Host; h != nil {
		ew.printf("\n本机 Host %s (%s): %d 接口 interfaces, %d 路由 routes, %d 软件 packages\n",
			h.Hostname, h.OS, len(h.Interfaces), len(h.Routes), len(h.Software))
		t = table{head: []string{"接口 Interface", "类型 Type", "状态 Up", "MAC", "地址 Addresses"}, wide: 4}
		for _, i := range h.Interfaces {
			t.add(i.Name, i.Type, yesNo(i.Up), i.MAC, strings.Join(i.Addresses, " "))
		}
		ew.write(t.String())
		t = table{head: []string{"目的 Destination", "网关 Gateway", "接口 Interface", "Metric"}}
		for _, rt := range h.Routes {
			t.add(rt.Destination, rt.Gateway, rt.Interface, strconv.Itoa(rt.Metric))
		}
		ew.write(t.String())
	}

	if len(r.Stats.ErrorDetails) > 0 {
		ew.printf("\n错误 Errors (%d, showing %d)\n", r.Stats.Errors, len(r.Stats.ErrorDetails))
		t = table{head: []string{"方法 Method", "目标 Target", "错误 Error"}, wide: 2}
		for _, e := range r.Stats.ErrorDetails {
			t.add(e.Method, e.Target, e.Error)
		}
		ew.write(t.String())
	}
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) write(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// table pads columns by display width. Column wide (if >0) is not clipped.
type table struct {
	head []string
	rows [][]string
	wide int
}

func (t *table) add(cells ...string) {
	for i, c := range cells {
		c = strings.Join(strings.Fields(c), " ")
		if c == "" {
			c = "-"
		}
		if i != t.wide || t.wide == 0 {
			c = clipWidth(c, maxCell)
		}
		cells[i] = c
	}
	t.rows = append(t.rows, cells)
}

func (t *table) String() string {
	if len(t.rows) == 0 {
		return "  (无 none)\n"
	}
	wd := make([]int, len(t.head))
	for i, h := range t.head {
		wd[i] = Width(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			wd[i] = max(wd[i], Width(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("  ")
		for i, c := range cells {
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", wd[i]-Width(c)+2))
			}
		}
		b.WriteString("\n")
	}
	line(t.head)
	sep := make([]string, len(t.head))
	for i := range sep {
		sep[i] = strings.Repeat("-", wd[i])
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

// Width is the display width of s in a terminal (wide runes count two).
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

func clipWidth(s string, n int) string {
	if Width(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}

func ints(p []int) string {
	s := make([]string, len(p))
	for i, v := range p {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func httpCell(hs []wire.HTTPInfo) string {
	var parts []string
	for _, h := range hs {
		title := h.Title
		if title == "" {
			title = h.Server
		}
		parts = append(parts, fmt.Sprintf("%d:%s", h.Port, title))
	}
	return strings.Join(parts, " | ")
}

func hops(hs []wire.Hop) string {
	var parts []string
	for _, h := range hs {
		a := h.Address
		if a == "" {
			a = "*"
		}
		parts = append(parts, fmt.Sprintf("%d %s", h.TTL, a))
	}
	return strings.Join(parts, " > ")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "是 yes"
	}
	return "否 no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
