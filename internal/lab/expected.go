package lab

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// ExpectedFinding is one row of a scenario's *.expected.yaml: what the rules
// must find on that lab network (Expect "none" marks a department or subject
// that must stay clean). The lab owns the file; tests of other packages read
// it through LoadExpected so the format has one reader.
type ExpectedFinding struct {
	Department string `yaml:"department"`
	Rule       string `yaml:"rule"`
	Subject    string `yaml:"subject"`
	Expect     string `yaml:"expect"`
	Status     string `yaml:"status"`
}

// LoadExpected reads the findings list of an expected-findings file.
func LoadExpected(path string) ([]ExpectedFinding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read expected findings: %w", err)
	}
	var exp struct {
		Findings []ExpectedFinding `yaml:"findings"`
	}
	if err := yaml.Unmarshal(data, &exp); err != nil {
		return nil, fmt.Errorf("parse expected findings %s: %w", path, err)
	}
	return exp.Findings, nil
}
