// Command hostile measures the collector's peak memory under the hostile
// inputs of issue #10: it starts a real collector on loopback with 200,000
// violations in its store, sends a licence-sheet zip bomb, 16 MB of junk
// CSV and concurrent PDF/XLSX/CSV/JSON exports, and prints the collector's
// peak resident set (VmHWM from /proc) for each, reset between inputs.
// deploy/bench/hostile.sh runs it; `make bench` calls that.
package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

const password = "Bench-Hostile-2026!x"

func main() {
	bin := flag.String("collector", "bin/egovnet-collector", "collector binary")
	plan := flag.String("plan", "configs/plan.yaml", "plan file")
	n := flag.Int("violations", 200000, "violations in the store")
	port := flag.Int("port", 18391, "loopback port")
	flag.Parse()
	if err := run(*bin, *plan, *n, *port); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

func run(bin, plan string, n, port int) error {
	ctx := context.Background()
	dir := os.Getenv("HOSTILE_DIR") // kept between runs when set: seeding 200,000 violations takes minutes
	reuse := dir != ""
	if !reuse {
		var err error
		if dir, err = os.MkdirTemp("", "egovnet-hostile-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	seeded := filepath.Join(dir, "seeded")
	_, err := os.Stat(seeded)
	reuse = reuse && err == nil
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "collector.yaml")
	abs, _ := filepath.Abs(plan)
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("listen: 127.0.0.1:%d\ndata_dir: %s\nplan_file: %s\nlog:\n  level: warn\nauth: {totp: {required_roles: []}}\n", port, data, abs)), 0o600); err != nil {
		return err
	}
	if reuse {
		fmt.Printf("reusing the store seeded in %s\n", dir)
		return measure(bin, cfg, dir, port)
	}
	start := time.Now()
	if err := seed(ctx, data, n); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded %d violations in %s\n", n, time.Since(start).Round(time.Second))
	for _, u := range [][]string{{"viewer", "viewer"}, {"czj", "dept-admin", "--department", "CZJ"}} {
		cmd := exec.Command(bin, append([]string{"--config", cfg, "user", "add", "--name", u[0], "--role", u[1]}, u[2:]...)...)
		cmd.Stdin = strings.NewReader(password + "\n" + password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("user add %s: %v: %s", u[0], err, out)
		}
	}
	if err := os.WriteFile(seeded, nil, 0o600); err != nil {
		return err
	}
	return measure(bin, cfg, dir, port)
}

// measure starts a fresh collector for each hostile input and prints its peak RSS.
func measure(bin, cfg, dir string, port int) error {
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	bomb := zipBomb(1 << 30)
	junk := junkCSV(16<<20 - 1024)
	pdf := request{"GET", "/api/v1/exports/violations?format=pdf", "viewer", "", nil}
	xlsx := request{"GET", "/api/v1/exports/violations?format=xlsx", "viewer", "", nil}
	csv := request{"GET", "/api/v1/exports/violations?format=csv", "viewer", "", nil}
	inputs := []struct {
		name string
		reqs []request
	}{
		{"licence xlsx zip bomb (1 GB inflated)", []request{{"POST", "/api/v1/licenses/import", "czj", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bomb}}},
		{"licence csv, 16 MB of junk rows", []request{{"POST", "/api/v1/licenses/import", "czj", "text/csv", junk}}},
		{"2 concurrent PDF exports of all violations", repeat(2, pdf)},
		{"2 concurrent XLSX exports of all violations", repeat(2, xlsx)},
		{"2 concurrent CSV exports of all violations", repeat(2, csv)},
		{"JSON export of all violations", repeat(1, request{"GET", "/api/v1/exports/violations?format=json", "viewer", "", nil})},
		{"6 concurrent exports (PDF, XLSX, CSV)", append(append(repeat(2, pdf), repeat(2, xlsx)...), repeat(2, csv)...)},
	}
	fmt.Printf("%-44s %8s %s\n", "hostile input (fresh collector each)", "VmHWM", "answers")
	var worst int64
	for _, in := range inputs {
		// a fresh collector per input: VmHWM is then this input's peak,
		// not what an earlier one left in the heap
		srv := exec.Command(bin, "--config", cfg, "serve")
		logf, _ := os.Create(filepath.Join(dir, "collector.log"))
		srv.Stdout, srv.Stderr = logf, logf
		if err := srv.Start(); err != nil {
			return err
		}
		if err := waitHealthy(base); err != nil {
			_ = srv.Process.Kill()
			_ = srv.Wait()
			b, _ := os.ReadFile(filepath.Join(dir, "collector.log"))
			return fmt.Errorf("%w\n%s", err, b)
		}
		answers := fire(base, in.reqs)
		hwm := status(srv.Process.Pid, "VmHWM")
		_ = srv.Process.Kill()
		_ = srv.Wait()
		logf.Close()
		worst = max(worst, hwm)
		fmt.Printf("%-44s %5d MB %s\n", in.name, hwm>>10, answers)
	}
	fmt.Printf("collector peak RSS under hostile inputs: %d MB (goal: under 512 MB)\n", worst>>10)
	return nil
}

type request struct {
	method, path, user, ctype string
	body                      []byte
}

func repeat(n int, r request) []request {
	out := make([]request, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// fire sends the requests at once and summarises the answers.
func fire(base string, reqs []request) string {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var out []string
	for _, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			req, _ := http.NewRequest(r.method, base+r.path, bytes.NewReader(r.body))
			req.SetBasicAuth(r.user, password)
			if r.ctype != "" {
				req.Header.Set("Content-Type", r.ctype)
			}
			resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
			s := ""
			if err != nil {
				s = "error " + err.Error()
			} else {
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				s = fmt.Sprintf("%d (%d KB, %.1fs)", resp.StatusCode, n>>10, time.Since(t0).Seconds())
			}
			mu.Lock()
			out = append(out, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return strings.Join(out, ", ")
}

// status reads a kB field of /proc/PID/status.
func status(pid int, field string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			v, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return v
		}
	}
	return 0
}

func waitHealthy(base string) error {
	for i := 0; i < 300; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("collector not healthy")
}

// seed stores n open violations over the plan's departments, with the
// citations and evidence real findings carry.
func seed(ctx context.Context, data string, n int) error {
	db, err := store.Open(ctx, "sqlite", data, "")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	st := lifecycle.NewStore(db)
	depts := []string{"CZJ", "GAJ"}
	at := time.Now().Add(-time.Hour).UTC()
	ruleIDs := []string{wire.RuleAddressOutsidePlan, wire.RuleInternetEgress, wire.RuleDepartmentWebsite}
	for d, dept := range depts {
		var vs []wire.Violation
		for i := d; i < n; i += len(depts) {
			vs = append(vs, wire.Violation{
				Rule: ruleIDs[i%len(ruleIDs)], Department: dept, Subject: fmt.Sprintf("10.%d.%d.%d", 1+d, (i/250)%250, i%250+1) + "#" + strconv.Itoa(i),
				Severity: wire.SeverityHigh, Status: wire.StatusOpen,
				Citations: []wire.Citation{{Pack: "yangpu-2021", Document: "杨浦区电子政务管理办法（杨府办发〔2021〕3号）", Article: "第十九条",
					Text: "本区电子政务网络须加强互联网接入管理。公务网应当与互联网物理隔离,政务外网应当与互联网逻辑隔离。"}},
				Evidence:  []wire.Evidence{{Agent: "bench", Method: "snmp", ObservedAt: at, Detail: map[string]any{"next_hop": "203.0.113.1", "if_index": i % 48}}},
				FirstSeen: at, LastSeen: at,
			})
		}
		if err := st.Apply(ctx, dept, lifecycle.Scan{ReportID: "bench-" + dept, Agent: "bench", FinishedAt: at}, vs, 3); err != nil {
			return err
		}
	}
	return nil
}

// zipBomb is an XLSX whose sheet inflates to size bytes.
func zipBomb(size int) []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for name, text := range parts {
		w, _ := zw.Create(name)
		_, _ = io.WriteString(w, text)
	}
	head := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	crc := crc32.NewIEEE()
	pad := bytes.Repeat([]byte(" "), 1<<20)
	total := 0
	for _, b := range [][]byte{[]byte(head)} {
		fw.Write(b)
		crc.Write(b)
		total += len(b)
	}
	for total < size {
		fw.Write(pad)
		crc.Write(pad)
		total += len(pad)
	}
	tail := []byte(`</sheetData></worksheet>`)
	fw.Write(tail)
	crc.Write(tail)
	total += len(tail)
	fw.Close()
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(total)})
	w.Write(comp.Bytes())
	zw.Close()
	return out.Bytes()
}

// junkCSV is a licence sheet of about n bytes of rows that do not parse.
func junkCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("软件名称,授权数量,费用,备注\n")
	for i := 0; b.Len() < n-200; i++ {
		fmt.Fprintf(&b, "no such product %d,many,lots,%s\n", i, strings.Repeat("垃圾", i%50))
	}
	return b.Bytes()
}
