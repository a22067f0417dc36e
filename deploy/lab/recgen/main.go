// Command recgen regenerates the lab's own SNMP recordings
// (deploy/lab/recordings/*.snmprec) from deploy/lab/recordings/devices.yaml
// and the scenario it names: `go run ./deploy/lab/recgen` from the repository
// root. With -check it writes nothing and exits 1 when a file would change.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/egovnet/egovnet/internal/lab/recgen"
)

func main() {
	desc := flag.String("description", "deploy/lab/recordings/devices.yaml", "device description (YAML)")
	check := flag.Bool("check", false, "only report files that differ")
	flag.Parse()
	files, err := recgen.GenerateFile(*desc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "recgen:", err)
		os.Exit(2)
	}
	dir := filepath.Dir(*desc)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	stale := 0
	for _, n := range names {
		path := filepath.Join(dir, n)
		old, _ := os.ReadFile(path)
		if bytes.Equal(old, files[n]) {
			continue
		}
		stale++
		if *check {
			fmt.Fprintf(os.Stderr, "recgen: %s is not up to date\n", path)
			continue
		}
		if err := os.WriteFile(path, files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "recgen:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "recgen: wrote %s\n", path)
	}
	if *check && stale > 0 {
		os.Exit(1)
	}
}
