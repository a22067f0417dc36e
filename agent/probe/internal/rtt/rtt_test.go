package rtt

import (
	"testing"
	"time"
)

func TestEstimator(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		samples  []time.Duration
		wantSRTT time.Duration
		wantRTO  time.Duration
	}{
		{"no sample", nil, 0, 0},
		{"first sample sets rttvar to half", []time.Duration{8 * ms}, 8 * ms, 8*ms + 4*4*ms},
		// srtt = (7*8+16)/8 = 9; rttvar = (3*4+8)/4 = 5.
		{"second sample smooths", []time.Duration{8 * ms, 16 * ms}, 9 * ms, 9*ms + 4*5*ms},
		// srtt = (7*8+8)/8 = 8; rttvar = (3*4+0)/4 = 3.
		{"steady samples shrink the variation", []time.Duration{8 * ms, 8 * ms}, 8 * ms, 8*ms + 4*3*ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Estimator
			for _, s := range tt.samples {
				e.Observe(s)
			}
			if e.SRTT() != tt.wantSRTT || e.RTO() != tt.wantRTO {
				t.Fatalf("srtt %v rto %v, want %v %v", e.SRTT(), e.RTO(), tt.wantSRTT, tt.wantRTO)
			}
		})
	}
}
