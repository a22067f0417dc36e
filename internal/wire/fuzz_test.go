package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeReport feeds arbitrary bytes to DecodeReport. It must never
// panic; whatever it accepts must be valid, survive a marshal/decode round
// trip unchanged, and contain no control characters the validation
// promises to refuse.
func FuzzDecodeReport(f *testing.F) {
	good, _ := json.Marshal(validReport())
	f.Add(good)
	f.Add([]byte(`{"schema":"egovnet.scan/v1"}`))
	f.Add([]byte(`{"endpoints":[{"ip":"10.0.0.1","seen_by":["icmp"],"role":"unknown"}],"endpoints":[]}`))
	f.Add([]byte(`{"ENDPOINTS":null,"scope":["10.0.0.0/8"]}`))
	f.Add([]byte(`[]`))
	// After the seed reports (March and November 2026), so both validate.
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var loose ScanReport
		if json.Unmarshal(data, &loose) == nil {
			quietAgrees(t, &loose, now)
		}
		rep, err := decodeReportAt(bytes.NewReader(data), 1<<20, now)
		if err != nil {
			if rep != nil {
				t.Fatal("error with a report")
			}
			var ve *ValidationError
			if errors.As(err, &ve) && len(ve.Problems) == 0 {
				t.Fatal("validation error without problems")
			}
			return
		}
		if verr := rep.ValidateAt(now); verr != nil {
			t.Fatalf("accepted an invalid report: %v", verr)
		}
		out, err := json.Marshal(rep)
		if err != nil {
			t.Fatalf("marshal accepted report: %v", err)
		}
		again, err := decodeReportAt(bytes.NewReader(out), int64(len(out))+1, now)
		if err != nil {
			t.Fatalf("round trip refused: %v\n%s", err, out)
		}
		out2, _ := json.Marshal(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the report:\n%s\n%s", out, out2)
		}
		if !reflect.DeepEqual(normalize(rep), normalize(again)) {
			t.Fatalf("round trip changed values")
		}
	})
}

// normalize maps nil and empty lists alike (both travel as []).
func normalize(r *ScanReport) *ScanReport {
	var n ScanReport
	b, _ := json.Marshal(r)
	_ = json.Unmarshal(b, &n)
	return &n
}
