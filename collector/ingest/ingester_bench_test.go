package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

// BenchmarkIngest commits reports of 1,000 endpoints (a busy /22) into a
// store that already holds them, i.e. the steady state of daily scans.
func BenchmarkIngest(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var db *store.DB
			if backend == "sqlite" {
				db = storetest.NewSQLite(b)
			} else {
				db = storetest.NewPostgres(b)
			}
			ctx := context.Background()
			if err := inventory.New(db).SyncDepartments(ctx, []inventory.Department{{Code: "CZJ", Name: "x"}}, time.Now()); err != nil {
				b.Fatal(err)
			}
			in := New(db, auditlog.New(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
			src := Source{Kind: inventory.SourceUpload, AgentID: "agent-1", Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: "agent-1"}}
			base := time.Now().UTC().Add(-time.Duration(b.N+1) * time.Minute)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep := report(uuid.NewString(), base.Add(time.Duration(i)*time.Minute))
				rep.Endpoints = rep.Endpoints[:0]
				for j := 0; j < 1000; j++ {
					rep.Endpoints = append(rep.Endpoints, wire.Endpoint{IP: fmt.Sprintf("10.1.%d.%d", j/250, j%250+1), SeenBy: []string{"icmp", "tcp"}, OpenPorts: []int{22, 80}, Role: "server"})
				}
				if _, err := in.Ingest(ctx, rep, "CZJ", src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "endpoints/s")
		})
	}
}
