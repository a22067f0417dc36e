package snmp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// maxHalvings bounds how often one request is retried with a smaller
// max-repetitions before the table is given up (25 -> 12 -> 6 -> 3).
const maxHalvings = 3

// maxTableVarbinds stops a device that loops or lies from filling memory.
const maxTableVarbinds = 2_000_000

// walkSubtree returns every varbind under root, in order. GETBULK (v2c, v3)
// with adaptive max-repetitions, GETNEXT for v1. It never panics: a panic
// in gosnmp's decoding becomes the table's error.
func (w *walker) walkSubtree(ctx context.Context, root string) (pdus []gosnmp.SnmpPDU, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in SNMP decoding: %v", r)
		}
	}()
	root = strings.TrimPrefix(root, ".")
	prefix := "." + root + "."
	cur := "." + root
	last := ""
	halvings := 0
	for {
		if err := ctx.Err(); err != nil {
			return pdus, err
		}
		var pkt *gosnmp.SnmpPacket
		var rerr error
		if w.cred.Version == V1 || w.noBulk {
			pkt, rerr = w.c.GetNext([]string{cur})
		} else {
			pkt, rerr = w.c.GetBulk([]string{cur}, 0, w.maxRep)
		}
		w.requests++
		if rerr == nil && pkt.Error == gosnmp.TooBig {
			rerr = errTooBig
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return pdus, ctx.Err()
			}
			if w.cred.Version != V1 && (isTimeout(rerr) || errors.Is(rerr, errTooBig)) && w.maxRep > 1 && halvings < maxHalvings {
				// Devices choke on large GETBULKs (gosnmp #100, #498):
				// halve for this device and ask the same thing again.
				w.maxRep /= 2
				halvings++
				continue
			}
			return pdus, rerr
		}
		halvings = 0
		if pkt.Error != gosnmp.NoError {
			if (w.cred.Version == V1 || w.noBulk) && pkt.Error == gosnmp.NoSuchName {
				return pdus, nil // v1-style end of MIB view
			}
			if w.cred.Version != V1 && !w.noBulk {
				// Some old agents refuse GETBULK (genErr, badValue...):
				// ask the same again with GETNEXT, for the rest of this device.
				w.noBulk = true
				continue
			}
			return pdus, fmt.Errorf("device answered %s at %s", pkt.Error, cur)
		}
		if len(pkt.Variables) == 0 {
			return pdus, nil
		}
		for _, v := range pkt.Variables {
			switch v.Type {
			case gosnmp.EndOfMibView, gosnmp.NoSuchObject, gosnmp.NoSuchInstance:
				return pdus, nil
			}
			name := v.Name
			if !strings.HasPrefix(name, ".") {
				name = "." + name
			}
			if !strings.HasPrefix(name, prefix) {
				return pdus, nil
			}
			if last != "" && compareOID(name, last) <= 0 {
				return pdus, fmt.Errorf("OID not increasing: %s after %s", name, last)
			}
			last = name
			v.Name = name
			pdus = append(pdus, v)
		}
		if len(pdus) > maxTableVarbinds {
			return pdus, fmt.Errorf("more than %d varbinds, giving up", maxTableVarbinds)
		}
		cur = last
	}
}

// walkTogether walks several subtrees in lock step; any error aborts it
// (the caller then walks them alone).
// Each request carries about 2 x max-repetitions varbinds (a pair gets
// max-repetitions rows each; more roots get fewer rows each), so halving
// max-repetitions after a timeout or tooBig shrinks the request too.
// firstReps, when > 0, caps the first request's repetitions.
func (w *walker) walkTogether(ctx context.Context, roots []string, firstReps uint32) (res [][]gosnmp.SnmpPDU, err error) {
	res = make([][]gosnmp.SnmpPDU, len(roots))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in SNMP decoding: %v", r)
		}
	}()
	type state struct {
		prefix, cur string
		done        bool
	}
	st := make([]state, len(roots))
	for i, r := range roots {
		r = strings.TrimPrefix(r, ".")
		st[i] = state{prefix: "." + r + ".", cur: "." + r}
	}
	halvings := 0
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var active []int
		var oids []string
		for i := range st {
			if !st[i].done {
				active = append(active, i)
				oids = append(oids, st[i].cur)
			}
		}
		if len(active) == 0 {
			return res, nil
		}
		reps := w.maxRep
		if n := uint32(len(active)); n > 2 {
			reps = max(1, 2*w.maxRep/n)
		}
		if firstReps > 0 && firstReps < reps {
			reps = firstReps
		}
		firstReps = 0
		pkt, rerr := w.c.GetBulk(oids, 0, reps)
		w.requests++
		if rerr == nil && pkt.Error == gosnmp.TooBig {
			rerr = errTooBig
		}
		if rerr != nil {
			if ctx.Err() == nil && (isTimeout(rerr) || errors.Is(rerr, errTooBig)) && w.maxRep > 1 && halvings < maxHalvings {
				w.maxRep /= 2
				halvings++
				continue
			}
			return res, rerr
		}
		halvings = 0
		if pkt.Error != gosnmp.NoError {
			w.noBulk = true // the per-table fallback asks with GETNEXT
			return res, fmt.Errorf("device answered %s", pkt.Error)
		}
		if len(pkt.Variables) == 0 {
			return res, nil
		}
		progressed := false
		for k, v := range pkt.Variables {
			i := active[k%len(active)]
			s := &st[i]
			if s.done {
				continue
			}
			name := v.Name
			if !strings.HasPrefix(name, ".") {
				name = "." + name
			}
			switch v.Type {
			case gosnmp.EndOfMibView, gosnmp.NoSuchObject, gosnmp.NoSuchInstance:
				s.done = true
				continue
			}
			if !strings.HasPrefix(name, s.prefix) {
				s.done = true
				continue
			}
			if compareOID(name, s.cur) <= 0 {
				return res, fmt.Errorf("OID not increasing: %s after %s", name, s.cur)
			}
			v.Name = name
			s.cur = name
			res[i] = append(res[i], v)
			progressed = true
			total++
		}
		if total > maxTableVarbinds {
			return res, fmt.Errorf("more than %d varbinds, giving up", maxTableVarbinds)
		}
		if !progressed {
			// Nothing new for any active root: treat them as finished.
			for _, i := range active {
				st[i].done = true
			}
		}
	}
}

var (
	errTooBig = errors.New("device answered tooBig")
	errNoBulk = errors.New("no GETBULK for this device")
)

func isTimeout(err error) bool {
	if errors.Is(err, gosnmp.ErrMaxRetriesExceeded) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "timeout") || strings.Contains(s, "i/o timeout")
}

// compareOID orders two dotted OIDs numerically.
func compareOID(a, b string) int {
	a = strings.TrimPrefix(a, ".")
	b = strings.TrimPrefix(b, ".")
	for a != "" || b != "" {
		if a == "" {
			return -1
		}
		if b == "" {
			return 1
		}
		var x, y string
		x, a, _ = strings.Cut(a, ".")
		y, b, _ = strings.Cut(b, ".")
		if len(x) != len(y) {
			if len(x) < len(y) {
				return -1
			}
			return 1
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
