package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrAmbiguousRun means several runs are up and none was named.
var ErrAmbiguousRun = errors.New("several runs are up, choose one with --run")

// PickRun chooses the run a command acts on: runID, else $EGOVNET_LAB_RUN,
// else the only run recorded in dir. With several runs and none named it
// lists them in an error wrapping ErrAmbiguousRun.
func PickRun(dir, runID string) (*State, error) {
	if runID == "" {
		runID = os.Getenv("EGOVNET_LAB_RUN")
	}
	if runID != "" {
		return LoadState(dir, runID)
	}
	all, err := ListStates(dir)
	if err != nil {
		return nil, err
	}
	switch len(all) {
	case 0:
		return nil, errors.New("no lab is up (egovnet-lab up SCENARIO.yaml)")
	case 1:
		return all[0], nil
	}
	var ids []string
	for _, st := range all {
		ids = append(ids, st.Run+" ("+st.Name+")")
	}
	return nil, fmt.Errorf("%w: %s", ErrAmbiguousRun, strings.Join(ids, ", "))
}

// RunsOf returns the runs recorded in dir that were built from scenario
// (a path, made absolute as Up records it), or every run when scenario is "".
func RunsOf(dir, scenario string) ([]*State, error) {
	all, err := ListStates(dir)
	if err != nil {
		return nil, err
	}
	if scenario == "" {
		return all, nil
	}
	want, err := filepath.Abs(scenario)
	if err != nil {
		return nil, fmt.Errorf("resolve scenario path: %w", err)
	}
	var out []*State
	for _, st := range all {
		if st.Scenario == want {
			out = append(out, st)
		}
	}
	return out, nil
}

// FindSNMPData locates the SNMP recordings a scenario's simulated devices
// serve: $EGOVNET_TESTDATA/snmp, else ../shared/testdata/snmp beside the
// working directory or the scenario, or any of their parents ("" if none).
func FindSNMPData(scenario string) string {
	if td := os.Getenv("EGOVNET_TESTDATA"); td != "" {
		return filepath.Join(td, "snmp")
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	starts = append(starts, filepath.Dir(scenario))
	for _, d := range starts {
		for dir := d; ; dir = filepath.Dir(dir) {
			cand := filepath.Join(dir, "..", "shared", "testdata", "snmp")
			if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
				abs, _ := filepath.Abs(cand)
				return abs
			}
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	return ""
}
