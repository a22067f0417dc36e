package lab

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestPickRunAndRunsOf(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EGOVNET_LAB_RUN", "")
	if _, err := PickRun(dir, ""); err == nil || errors.Is(err, ErrAmbiguousRun) {
		t.Fatalf("no run: err = %v", err)
	}
	scen, _ := filepath.Abs("testdata/a.yaml")
	for i, run := range []string{"aaaa", "bbbb"} {
		st := &State{Run: run, Name: "lab-" + run, Scenario: scen, Created: time.Unix(int64(i), 0)}
		if run == "bbbb" {
			st.Scenario = "/elsewhere/b.yaml"
		}
		if err := st.save(dir); err != nil {
			t.Fatal(err)
		}
		if run == "aaaa" {
			if got, err := PickRun(dir, ""); err != nil || got.Run != "aaaa" {
				t.Fatalf("the only run: %v, %v", got, err)
			}
		}
	}
	tests := []struct {
		name, runID, env, want string
		ambiguous              bool
	}{
		{"named", "bbbb", "", "bbbb", false},
		{"from the environment", "", "aaaa", "aaaa", false},
		{"several, none named", "", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("EGOVNET_LAB_RUN", tc.env)
			got, err := PickRun(dir, tc.runID)
			if tc.ambiguous {
				if !errors.Is(err, ErrAmbiguousRun) {
					t.Fatalf("err = %v, want ErrAmbiguousRun", err)
				}
				return
			}
			if err != nil || got.Run != tc.want {
				t.Fatalf("got %v, %v; want run %s", got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		scenario string
		want     int
	}{{"", 2}, {"testdata/a.yaml", 1}, {"testdata/none.yaml", 0}} {
		if got, err := RunsOf(dir, tc.scenario); err != nil || len(got) != tc.want {
			t.Errorf("RunsOf(%q) = %d runs, %v; want %d", tc.scenario, len(got), err, tc.want)
		}
	}
}
