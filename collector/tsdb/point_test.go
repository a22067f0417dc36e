package tsdb

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPointLine(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 5, time.UTC)
	tests := []struct {
		name    string
		p       Point
		want    string
		wantErr string
	}{
		{
			name: "progress point sorted and typed",
			p: Point{Measurement: MeasurementProgress, Time: at,
				Tags:   map[string]string{"department": "CZJ", "district": "310110"},
				Fields: map[string]any{"websites": 2, "internet_egress": int64(1), "license_compliance": 0.75, "cloud_ratio": 1.0}},
			want: "egovnet_progress,department=CZJ,district=310110 cloud_ratio=1,internet_egress=1i,license_compliance=0.75,websites=2i " + "1772352000000000005",
		},
		{
			name: "escapes spaces commas equals",
			p: Point{Measurement: "m x", Time: at,
				Tags:   map[string]string{"agent": "a b,c=d"},
				Fields: map[string]any{"f": 0}},
			want: `m\ x,agent=a\ b\,c\=d f=0i 1772352000000000005`,
		},
		{
			name: "empty tag value omitted, chinese kept",
			p: Point{Measurement: "m", Time: at,
				Tags:   map[string]string{"agent": "", "department": "区财政局"},
				Fields: map[string]any{"f": 1.5}},
			want: `m,department=区财政局 f=1.5 1772352000000000005`,
		},
		{name: "no fields", p: Point{Measurement: "m", Time: at}, wantErr: "no fields"},
		{name: "no measurement", p: Point{Fields: map[string]any{"f": 1}, Time: at}, wantErr: "empty measurement"},
		{name: "zero time", p: Point{Measurement: "m", Fields: map[string]any{"f": 1}}, wantErr: "zero timestamp"},
		{name: "NaN refused", p: Point{Measurement: "m", Time: at, Fields: map[string]any{"f": math.NaN()}}, wantErr: "is NaN"},
		{name: "string refused", p: Point{Measurement: "m", Time: at, Fields: map[string]any{"f": "x"}}, wantErr: "unsupported type string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.Line()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Line() error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Line(): %v", err)
			}
			if got != tc.want {
				t.Fatalf("Line()\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{"disabled is valid", Config{}, nil},
		{"v2 style", Config{URL: "http://influx:8086", Org: "egov", Bucket: "egovnet"}, nil},
		{"1.8 style", Config{URL: "https://influx:8086", Token: "user:pw", Bucket: "egovnet/autogen"}, nil},
		{"bad url and no bucket", Config{URL: "influx:8086"}, []string{`influx.url "influx:8086"`, "influx.bucket: required"}},
		{"token with a blank", Config{URL: "http://h:1", Bucket: "b", Token: "user:pass word"}, []string{"influx.token: must not contain spaces"}},
		{"negative bound", Config{URL: "http://h:1", Bucket: "b", OutboxMax: -1}, []string{"influx.outbox_max -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %v", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to name %q", err, w)
				}
			}
		})
	}
}
