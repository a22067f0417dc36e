// Package tsdb ships the collector's time series (progress per department,
// agent health) to InfluxDB for Grafana. Points first land in a bounded
// outbox table in the collector's store, in the same transaction as the
// state they describe, and a single writer replays them in order through
// influxdb-client-go's blocking write API. So ingest never waits for
// InfluxDB, an outage loses nothing until the outbox bound is reached, and
// whatever had to be dropped is counted where operators can see it. (The
// client's async API keeps its retry buffer in memory only, and its error
// channel must be drained or Close blocks: see STYLE.md.)
package tsdb

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Measurement names and tag keys (CONTRACT "InfluxDB points").
const (
	MeasurementProgress = "egovnet_progress"
	MeasurementAgent    = "egovnet_agent"
)

// Point is one InfluxDB point. Field values are int64 (written as
// integers), float64 or int (converted to int64); nothing else.
type Point struct {
	Measurement string
	Tags        map[string]string
	Fields      map[string]any
	Time        time.Time
}

// Line encodes p as one line of InfluxDB line protocol with nanosecond
// timestamps. Tags and fields are sorted so equal points give equal lines.
func (p Point) Line() (string, error) {
	if p.Measurement == "" {
		return "", errors.New("encode point: empty measurement")
	}
	if len(p.Fields) == 0 {
		return "", fmt.Errorf("encode point %s: no fields", p.Measurement)
	}
	if p.Time.IsZero() {
		return "", fmt.Errorf("encode point %s: zero timestamp", p.Measurement)
	}
	var b strings.Builder
	escape(&b, p.Measurement, ", ")
	tagKeys := make([]string, 0, len(p.Tags))
	for k, v := range p.Tags {
		if k == "" {
			return "", fmt.Errorf("encode point %s: empty tag key", p.Measurement)
		}
		if v == "" {
			continue // InfluxDB rejects empty tag values; an absent tag means the same
		}
		tagKeys = append(tagKeys, k)
	}
	sort.Strings(tagKeys)
	for _, k := range tagKeys {
		b.WriteByte(',')
		escape(&b, k, ",= ")
		b.WriteByte('=')
		escape(&b, p.Tags[k], ",= ")
	}
	fieldKeys := make([]string, 0, len(p.Fields))
	for k := range p.Fields {
		fieldKeys = append(fieldKeys, k)
	}
	sort.Strings(fieldKeys)
	for i, k := range fieldKeys {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteByte(',')
		}
		escape(&b, k, ",= ")
		b.WriteByte('=')
		switch v := p.Fields[k].(type) {
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
			b.WriteByte('i')
		case int:
			b.WriteString(strconv.FormatInt(int64(v), 10))
			b.WriteByte('i')
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return "", fmt.Errorf("encode point %s: field %s is %v", p.Measurement, k, v)
			}
			s := strconv.FormatFloat(v, 'f', -1, 64)
			b.WriteString(s)
		default:
			return "", fmt.Errorf("encode point %s: field %s has unsupported type %T", p.Measurement, k, v)
		}
	}
	b.WriteByte(' ')
	b.WriteString(strconv.FormatInt(p.Time.UnixNano(), 10))
	return b.String(), nil
}

func escape(b *strings.Builder, s, special string) {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ') // line protocol has no escape for newlines
			continue
		case strings.ContainsRune(special, r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
}
