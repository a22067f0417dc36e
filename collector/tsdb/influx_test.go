package tsdb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/collector/tsdb"
	"github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/influxtest"
)

type row struct {
	time  time.Time
	value any
}

// readField reads one field's points back with Flux through the same client
// library, oldest first.
func readField(t *testing.T, srv *influxtest.Server, measurement, field, agent string) []row {
	t.Helper()
	c := influxdb2.NewClient(srv.URL, "")
	defer c.Close()
	q := fmt.Sprintf(`from(bucket: %q)
  |> range(start: 2000-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == %q and r._field == %q and r.agent == %q)
  |> sort(columns: ["_time"])`, srv.Bucket, measurement, field, agent)
	res, err := c.QueryAPI("").Query(context.Background(), q)
	if err != nil {
		t.Fatalf("flux query: %v", err)
	}
	var out []row
	for res.Next() {
		out = append(out, row{res.Record().Time(), res.Record().Value()})
	}
	if res.Err() != nil {
		t.Fatalf("flux result: %v", res.Err())
	}
	return out
}

func agentPoint(agent string, i int, v int) tsdb.Point {
	return tsdb.Point{
		Measurement: tsdb.MeasurementAgent,
		Tags:        map[string]string{"department": "CZJ", "agent": agent},
		Fields:      map[string]any{"errors": v, "scan_duration_ms": int64(1000 + i)},
		Time:        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
	}
}

func TestWriterRoundTripInflux18(t *testing.T) {
	srv := influxtest.Start(t, "egovnet")
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		bucket string
		token  string
	}{
		{"db/rp bucket, empty token", srv.Bucket, ""},
		{"db bucket, user:password token ignored without auth", srv.Database, "egovnet:secret"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := tsdb.NewWriter(tsdb.Config{URL: srv.URL, Bucket: tc.bucket, Token: "x", Org: "ignored"}, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			agent := fmt.Sprintf("agent-%d", i)
			for j := 0; j < 3; j++ {
				if err := w.Outbox().Enqueue(ctx, agentPoint(agent, j, j*10)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(ctx); err != nil {
				t.Fatalf("flush: %v", err)
			}
			got := readField(t, srv, tsdb.MeasurementAgent, "errors", agent)
			if len(got) != 3 {
				t.Fatalf("read back %d points, want 3: %v", len(got), got)
			}
			for j, r := range got {
				if r.value != int64(j*10) || !r.time.Equal(agentPoint(agent, j, 0).Time) {
					t.Fatalf("point %d = %v at %v, want %d at %v", j, r.value, r.time, j*10, agentPoint(agent, j, 0).Time)
				}
			}
		})
	}
	st, err := tsdb.ReadStats(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 || st.Written != 6 || st.Dropped != 0 {
		t.Fatalf("stats = %+v, want 6 written, none pending or dropped", st)
	}
}

// TestWriterRejectsOnlyBadPoints: a field-type conflict makes InfluxDB answer
// 400 for the batch; the good points arrive and only the bad one is counted
// as rejected.
func TestWriterRejectsOnlyBadPoints(t *testing.T) {
	srv := influxtest.Start(t, "egovnet")
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	w, err := tsdb.NewWriter(tsdb.Config{URL: srv.URL, Bucket: srv.Bucket}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	good := agentPoint("a", 0, 1)
	conflict := agentPoint("a", 1, 0)
	conflict.Fields = map[string]any{"errors": 2.5} // float into an integer field
	if err := w.Outbox().Enqueue(ctx, good, conflict, agentPoint("a", 2, 3)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	st, _ := tsdb.ReadStats(ctx, db)
	if st.Pending != 0 || st.Written != 2 || st.Rejected != 1 {
		t.Fatalf("stats = %+v, want written 2 rejected 1", st)
	}
	if got := readField(t, srv, tsdb.MeasurementAgent, "errors", "a"); len(got) != 2 {
		t.Fatalf("read back %v, want the 2 good points", got)
	}
}

// TestWriterOutageReplay stops InfluxDB while points keep coming, then
// restarts it: every point arrives, in enqueue order (proved by three writes
// to the same series and timestamp, where the last one written wins).
func TestWriterOutageReplay(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		srv := influxtest.Start(t, "egovnet")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w, err := tsdb.NewWriter(tsdb.Config{URL: srv.URL, Bucket: srv.Bucket, Timeout: 5 * time.Second, BatchSize: 7}, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		w.PollInterval = 50 * time.Millisecond
		w.MaxBackoff = 200 * time.Millisecond
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		enqueue := func(from, to int) {
			for i := from; i < to; i++ {
				if err := w.Outbox().Enqueue(ctx, agentPoint("outage", i, i)); err != nil {
					t.Fatal(err)
				}
				w.Notify()
			}
		}
		waitDrained := func(what string) tsdb.Stats {
			deadline := time.Now().Add(2 * time.Minute)
			for {
				st, err := tsdb.ReadStats(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				if st.Pending == 0 {
					return st
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: outbox still holds %d points", what, st.Pending)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}

		enqueue(0, 10)
		waitDrained("before outage")

		srv.Stop()
		enqueue(10, 40)
		// Same series and time three times: only replay in order leaves 302.
		for _, v := range []int{300, 301, 302} {
			if err := w.Outbox().Enqueue(ctx, agentPoint("outage", 100, v)); err != nil {
				t.Fatal(err)
			}
		}
		// While InfluxDB is down nothing leaves the outbox. Wait until the
		// writer has seen the failure so the assertion is about the outage.
		for {
			st, err := w.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.LastError != "" && st.LastErrorAt.After(st.LastWrite) {
				if st.Pending != 33 {
					t.Fatalf("pending during outage = %d, want 33", st.Pending)
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}

		srv.Restart()
		w.Notify()
		st := waitDrained("after restart")
		if st.Written != 43 || st.Dropped != 0 || st.Rejected != 0 {
			t.Fatalf("stats = %+v, want 43 written, nothing dropped or rejected", st)
		}
		got := readField(t, srv, tsdb.MeasurementAgent, "errors", "outage")
		if len(got) != 41 {
			t.Fatalf("read back %d points, want 41 (40 + 1 overwritten thrice)", len(got))
		}
		for i := 0; i < 40; i++ {
			if got[i].value != int64(i) {
				t.Fatalf("point %d = %v, want %d", i, got[i].value, i)
			}
		}
		if got[40].value != int64(302) {
			t.Fatalf("last write to one series/time = %v, want 302 (replay out of order)", got[40].value)
		}
	})
}

// TestWriterAuthInflux18: on 1.8 the token is "user:password"; a wrong one
// is refused (401) and the points stay queued rather than being dropped or
// counted as rejected, so fixing the configuration loses nothing.
func TestWriterAuthInflux18(t *testing.T) {
	srv := influxtest.StartWithAuth(t, "egovnet", "egovnet", "s3cret:p@ss")
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	wrong, err := tsdb.NewWriter(tsdb.Config{URL: srv.URL, Bucket: srv.Bucket, Token: "egovnet:wrong"}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if err := wrong.Outbox().Enqueue(ctx, agentPoint("auth", 0, 7)); err != nil {
		t.Fatal(err)
	}
	err = wrong.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "influx.token") {
		t.Fatalf("flush with a wrong password = %v, want an authorization error", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error leaks the token: %v", err)
	}
	if st, _ := tsdb.ReadStats(ctx, db); st.Pending != 1 || st.Rejected != 0 || st.Dropped != 0 {
		t.Fatalf("stats after auth failure = %+v, want the point still pending", st)
	}
	right, err := tsdb.NewWriter(tsdb.Config{URL: srv.URL, Bucket: srv.Bucket, Token: config.Secret(srv.Token)}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer right.Close()
	if err := right.Flush(ctx); err != nil {
		t.Fatalf("flush with user:password: %v", err)
	}
	c := influxdb2.NewClient(srv.URL, srv.Token)
	defer c.Close()
	res, err := c.QueryAPI("").Query(ctx, fmt.Sprintf(`from(bucket: %q) |> range(start: 2000-01-01T00:00:00Z) |> filter(fn: (r) => r.agent == "auth" and r._field == "errors")`, srv.Bucket))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for res.Next() {
		n++
		if res.Record().Value() != int64(7) {
			t.Fatalf("value = %v, want 7", res.Record().Value())
		}
	}
	if n != 1 {
		t.Fatalf("read back %d points, want 1", n)
	}
}

// BenchmarkWriterReplay measures how fast a backlog drains into a real
// InfluxDB 1.8 (SQLite outbox, batches of 1000).
func BenchmarkWriterReplay(b *testing.B) {
	srv := influxtest.Start(b, "egovnet")
	db := storetest.NewSQLite(b)
	ctx := context.Background()
	w, err := tsdb.NewWriter(tsdb.Config{URL: srv.URL, Bucket: srv.Bucket}, db, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	const backlog = 10000
	pts := make([]tsdb.Point, backlog)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range pts {
			pts[j] = agentPoint(fmt.Sprint("bench-", i), j, j)
		}
		if err := w.Outbox().Enqueue(ctx, pts...); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := w.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(backlog*b.N)/b.Elapsed().Seconds(), "points/s")
}
