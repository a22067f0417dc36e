package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// DecodeReport reads one JSON ScanReport of at most maxBytes bytes, strictly:
// unknown or repeated fields, trailing data and oversized input are errors
// (an oversized input wraps ErrReportTooLarge). The decoded report is then
// validated; a *ValidationError lists every problem.
//
// The big lists (endpoints, devices, paths, scope) are decoded one element
// at a time and each element is validated as it arrives, so decoding stops
// at the first limit: the byte limit, a list longer than its bound, or
// MaxProblems problems. Memory is then what the decoded report needs plus
// one element's text, never a second copy of the whole body, so an upload
// costs a small multiple of its size and a hostile one is refused early.
func DecodeReport(r io.Reader, maxBytes int64) (*ScanReport, error) {
	return decodeReportAt(r, maxBytes, time.Now())
}

func decodeReportAt(r io.Reader, maxBytes int64, now time.Time) (*ScanReport, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("decode report: invalid byte limit %d", maxBytes)
	}
	lr := &limitReader{r: r, left: maxBytes}
	d := &reportDecoder{dec: json.NewDecoder(lr), elems: &validator{}, quiet: validator{quiet: true}}
	d.dec.DisallowUnknownFields()
	var rep ScanReport
	err := d.object(&rep)
	if err == nil {
		if _, terr := d.dec.Token(); terr != io.EOF {
			err = errors.New("decode report: trailing data after the JSON object")
			if terr != nil && !errors.Is(terr, ErrReportTooLarge) && !lr.over {
				err = fmt.Errorf("decode report: trailing data after the JSON object: %w", terr)
			}
		}
	}
	if lr.over || errors.Is(err, ErrReportTooLarge) {
		return nil, fmt.Errorf("decode report: %w (limit %d bytes)", ErrReportTooLarge, maxBytes)
	}
	var stop *stopped
	if errors.As(err, &stop) {
		return nil, d.problems(nil, now)
	}
	if err != nil {
		return nil, err
	}
	if ve := d.problems(&rep, now); ve != nil {
		return nil, ve
	}
	return &rep, nil
}

// limitReader fails with ErrReportTooLarge as soon as more than left bytes
// arrive, so nothing past the limit is ever buffered.
type limitReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, ErrReportTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		l.over = true
		return 0, ErrReportTooLarge
	}
	l.left -= int64(n)
	return n, err
}

// stopped ends decoding once a list broke its bound or the problem list
// is full: reading further would only cost memory.
type stopped struct{ at string }

func (s *stopped) Error() string { return "decoding stopped at " + s.at }

type reportDecoder struct {
	dec   *json.Decoder
	elems *validator // problems of list elements, found while decoding
	quiet validator  // checks each element first, without paths (validator.quiet)
	stop  string     // where decoding stopped, if it did
}

// problems merges the head, element and tail problems in report order; rep
// is nil when decoding stopped early (only element problems are known).
func (d *reportDecoder) problems(rep *ScanReport, now time.Time) *ValidationError {
	head, tail := &validator{}, &validator{}
	if rep != nil {
		head.head(rep, now)
		tail.tail(rep)
	}
	all := &validator{}
	for _, part := range []*validator{head, d.elems, tail} {
		for _, p := range part.problems {
			if len(all.problems) >= MaxProblems {
				all.dropped++
				continue
			}
			all.problems = append(all.problems, p)
		}
		all.dropped += part.dropped
	}
	if len(all.problems) == 0 {
		return nil
	}
	if all.dropped > 0 {
		all.problems = append(all.problems, fmt.Errorf("... and %d more problems", all.dropped))
	}
	if d.stop != "" {
		all.problems = append(all.problems, fmt.Errorf("%s: the rest of the report was not read", d.stop))
	}
	return &ValidationError{Problems: all.problems}
}

func (d *reportDecoder) object(rep *ScanReport) error {
	if err := d.delim('{', "report"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return fmt.Errorf("decode report: %w", err)
		}
		key, _ := tok.(string)
		name := canonicalKey(key)
		if name == "" {
			return fmt.Errorf("decode report: json: unknown field %q", trunc(key))
		}
		if seen[name] {
			return fmt.Errorf("decode report: field %q appears twice", name)
		}
		seen[name] = true
		if err := d.field(rep, name); err != nil {
			return err
		}
	}
	if _, err := d.dec.Token(); err != nil { // the closing brace
		return fmt.Errorf("decode report: %w", err)
	}
	return nil
}

var reportKeys = []string{"schema", "report_id", "agent", "started_at", "finished_at", "scope", "endpoints", "devices", "paths", "host", "stats"}

// canonicalKey matches keys as encoding/json does (exact, else ignoring
// case) and returns "" for an unknown key.
func canonicalKey(k string) string {
	for _, c := range reportKeys {
		if k == c {
			return c
		}
	}
	for _, c := range reportKeys {
		if strings.EqualFold(k, c) {
			return c
		}
	}
	return ""
}

func (d *reportDecoder) field(rep *ScanReport, name string) error {
	switch name {
	case "scope":
		return streamList(d, name, MaxScope, &rep.Scope, nil)
	case "endpoints":
		return streamList(d, name, MaxEndpoints, &rep.Endpoints, (*validator).endpoint)
	case "devices":
		return streamList(d, name, MaxDevices, &rep.Devices, (*validator).device)
	case "paths":
		return streamList(d, name, MaxPaths, &rep.Paths, (*validator).path)
	}
	var dst any
	switch name {
	case "schema":
		dst = &rep.Schema
	case "report_id":
		dst = &rep.ReportID
	case "agent":
		dst = &rep.Agent
	case "started_at":
		dst = &rep.StartedAt
	case "finished_at":
		dst = &rep.FinishedAt
	case "host":
		dst = &rep.Host
	case "stats":
		dst = &rep.Stats
	}
	if err := d.dec.Decode(dst); err != nil {
		return fmt.Errorf("decode report: %s: %w", name, err)
	}
	return nil
}

// streamList decodes a JSON array (or null) into *list one element at a
// time, validating each with check, and stops at max+1 elements or when the
// problem list is full. An element is checked quietly first (d.quiet) and
// again into d.elems, with its path, only when it has a problem.
func streamList[T any](d *reportDecoder, name string, max int, list *[]T, check func(v *validator, path string, e *T)) error {
	tok, err := d.dec.Token()
	if err != nil {
		return fmt.Errorf("decode report: %s: %w", name, err)
	}
	if tok == nil {
		*list = nil
		return nil
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return fmt.Errorf("decode report: %s: expected an array, got %v", name, tok)
	}
	// Chunks joined once at the end: growing one slice by append would
	// leave a trail of discarded arrays for the collector to find, several
	// times the list's own size at the peak. They start small and double
	// up to chunkMost, so a 10-element list (most uploads) does not clear
	// and drop a 4,096-element array, and a long one wastes at most one
	// partly filled chunk.
	const chunkFirst, chunkMost = 16, 4096
	var chunks [][]T
	n := 0
	for ; d.dec.More(); n++ {
		if n == max {
			d.elems.addf(name, "too many entries (more than %d)", max)
			d.stop = index(name, n)
			return &stopped{at: d.stop}
		}
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == cap(chunks[len(chunks)-1]) {
			size := chunkFirst
			if len(chunks) > 0 {
				size = 2 * cap(chunks[len(chunks)-1])
			}
			chunks = append(chunks, make([]T, 0, min(size, chunkMost, max)))
		}
		c := &chunks[len(chunks)-1]
		*c = append(*c, *new(T))
		e := &(*c)[len(*c)-1]
		if err := d.dec.Decode(e); err != nil {
			return fmt.Errorf("decode report: %s: %w", index(name, n), err)
		}
		if check != nil {
			d.quiet.failed = false
			if check(&d.quiet, "", e); d.quiet.failed {
				check(d.elems, index(name, n), e)
				if d.elems.dropped > 0 {
					d.stop = index(name, n)
					return &stopped{at: d.stop}
				}
			}
		}
	}
	if _, err := d.dec.Token(); err != nil {
		return fmt.Errorf("decode report: %s: %w", name, err)
	}
	if len(chunks) == 1 {
		// A short list is copied out of its chunk: the decoded report may
		// be kept (the rules' latest-report cache), and a 10-endpoint list
		// must not pin a 4,096-element array (about 1 MiB of endpoints).
		if c := chunks[0]; cap(c) > 2*len(c) {
			*list = append(make([]T, 0, len(c)), c...)
		} else {
			*list = c
		}
		return nil
	}
	out := make([]T, 0, n)
	for i := range chunks {
		out = append(out, chunks[i]...)
		chunks[i] = nil
	}
	*list = out
	return nil
}

func (d *reportDecoder) delim(want json.Delim, what string) error {
	tok, err := d.dec.Token()
	if err != nil {
		return fmt.Errorf("decode report: %w", err)
	}
	if got, ok := tok.(json.Delim); !ok || got != want {
		return fmt.Errorf("decode report: %s must be a JSON object, got %v", what, tok)
	}
	return nil
}
