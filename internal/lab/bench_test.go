package lab_test

import (
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/lab"
)

// BenchmarkUpDown measures a full up and down of each shipped scenario
// (go test ./internal/lab -run XXX -bench UpDown -benchtime 3x, as root).
func BenchmarkUpDown(b *testing.B) {
	for _, name := range []string{"district-small.yaml", "district-large.yaml"} {
		b.Run(name, func(b *testing.B) {
			requireLabPeers(b)
			var up, down time.Duration
			for i := 0; i < b.N; i++ {
				run := lab.NewRunID()
				t0 := time.Now()
				if r := runLab(b, "up", "--run", run, scenarioPath(name)); r.code != 0 {
					runLab(b, "down", "--run", run)
					b.Fatalf("up: exit %d: %s", r.code, r.stderr)
				}
				t1 := time.Now()
				if r := runLab(b, "down", "--run", run); r.code != 0 {
					b.Fatalf("down: exit %d: %s", r.code, r.stderr)
				}
				up += t1.Sub(t0)
				down += time.Since(t1)
			}
			b.ReportMetric(up.Seconds()/float64(b.N), "s-up/op")
			b.ReportMetric(down.Seconds()/float64(b.N), "s-down/op")
		})
	}
}
