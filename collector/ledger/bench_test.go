package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// BenchmarkReportCompliance is the ledger's share of one report in a
// district: record a PC's software, then the department's compliance (what
// the progress recorder asks after every report), in districts of 50 and
// 200 departments of 20 PCs each, with a shared pool licence. The cost
// should not grow with the district.
func BenchmarkReportCompliance(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, depts := range []int{50, 200} {
			b.Run(fmt.Sprintf("%s/district-%d", backend, depts), func(b *testing.B) {
				var db *store.DB
				if backend == "sqlite" {
					db = storetest.NewSQLite(b)
				} else {
					db = storetest.NewPostgres(b)
				}
				ctx := context.Background()
				s := newStore(db)
				if _, err := s.CreateLicense(ctx, License{Product: "wps", Seats: depts * 5, FilingStatus: FilingFiled}); err != nil {
					b.Fatal(err)
				}
				sw := []wire.Software{{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Source: "registry"},
					{Name: "WPS Office", Version: "11.8", Source: "registry"}, {Name: "Kylin Linux Advanced Server V10", Version: "10", Source: "dpkg"}}
				pc := func(d, i int, at time.Time) *wire.ScanReport {
					dept := fmt.Sprintf("D%03d", d)
					return report(fmt.Sprintf("r-%d-%d-%d", d, i, at.UnixNano()), dept, at, nil, &wire.Host{Hostname: fmt.Sprintf("pc-%d", i), Software: sw})
				}
				for d := 0; d < depts; d++ {
					for i := 0; i < 20; i++ {
						if err := s.RecordReport(ctx, pc(d, i, t0), ""); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ResetTimer()
				for n := 0; n < b.N; n++ {
					d := n % depts
					if err := s.RecordReport(ctx, pc(d, n%20, t0.Add(time.Duration(n+1)*time.Second)), ""); err != nil {
						b.Fatal(err)
					}
					if _, _, _, _, err := s.Compliance(ctx, fmt.Sprintf("D%03d", d)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
