package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

// endpointHost is one fake PC: its identity goes into the agent's
// host.facts_file, its packages into host.software_file.
type endpointHost struct {
	dept, hostname, user, serial, os string
	office                           bool // Microsoft Office 2016 installed
}

// TestEndpointAgentsFillLedger runs 20 real endpoint agents (distinct data
// dirs, host identities and software) against a real collector on
// loopback and checks the 明细表: every PC with its user, OS and hardware,
// its installs and their licence status, and the compliance counts.
//
// CZJ (pc-00..09) holds 10 WPS seats, 10 Kylin seats and 2 Office <=2016
// seats: Office is on pc-00, 03, 06, 09, so pc-00 and pc-03 get the seats
// (seats go to devices in order) and pc-06, pc-09 are over-deployed. GAJ
// (pc-10..19) holds no licence: every commercial install is unlicensed,
// only Debian is free.
func TestEndpointAgentsFillLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both binaries, 20 agents")
	}
	dir := t.TempDir()
	bins := testenv.BuildBinaries(t, "egovnet-collector", "egovnet-agent")
	colBin, agentBin := filepath.Join(bins, "egovnet-collector"), filepath.Join(bins, "egovnet-agent")

	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
	planFile := filepath.Join(testenv.RepoRoot(), "configs", "plan.yaml")
	colCfg := coreWriteFile(t, dir, "collector.yaml", fmt.Sprintf("listen: %q\ndata_dir: %q\nplan_file: %q\nauth: {totp: {required_roles: []}}\n",
		listen, filepath.Join(dir, "cdata"), planFile))
	collector := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(colBin, append(args, "--config", colCfg)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("egovnet-collector %v: %v\n%s%s", args, err, out, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	const pass = "Egov#2026net!x"
	collector(pass+"\n"+pass+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	licences := coreWriteFile(t, dir, "licences.csv", "\ufeff软件名称,版本范围,授权数量,使用部门,费用(元),用途,合同编号,购买日期,到期日期,备案状态\n"+
		"WPS Office,,10,CZJ,1000,日常办公,HT-1,2025-01-01,,已备案\n"+
		"Kylin OS,,10,CZJ,2000,办公终端,HT-2,2025-01-01,,已备案\n"+
		"Microsoft Office 专业增强版,<=2016,2,CZJ,3200,日常办公,HT-3,2025-01-01,,已备案\n")
	collector("", "license", "import", "--file", licences)
	tokens := map[string]string{
		"CZJ": collector("", "token", "create", "--department", "CZJ", "--uses", "10"),
		"GAJ": collector("", "token", "create", "--department", "GAJ", "--uses", "10"),
	}

	serve := exec.Command(colBin, "serve", "--config", colCfg)
	var serveLog syncBuffer
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Signal(os.Interrupt); _ = serve.Wait() })
	base := "http://" + listen
	get := func(path string) []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.SetBasicAuth("admin", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return nil
		}
		return b
	}
	deadline := time.Now().Add(time.Minute)
	for get("/healthz") == nil {
		if time.Now().After(deadline) {
			t.Fatalf("collector not healthy:\n%s", serveLog.String())
		}
		time.Sleep(250 * time.Millisecond)
	}

	var hosts []endpointHost
	for i := 0; i < 20; i++ {
		h := endpointHost{dept: "CZJ", hostname: fmt.Sprintf("pc-%02d", i), user: fmt.Sprintf("user-%02d", i),
			serial: fmt.Sprintf("SN-E2E-%02d", i), os: "Kylin", office: i%3 == 0}
		if i >= 10 {
			h.dept = "GAJ"
		}
		if i%2 == 1 {
			h.os = "Debian GNU/Linux"
		}
		hosts = append(hosts, h)
	}
	// Enrol and run the agents, five at a time: agents of one department
	// report at once, as they do in the morning.
	envs := make([][]string, len(hosts))
	for i, h := range hosts {
		adir := filepath.Join(dir, "agents", h.hostname)
		if err := os.MkdirAll(adir, 0o700); err != nil {
			t.Fatal(err)
		}
		version := "V10"
		if h.os != "Kylin" {
			version = "12"
		}
		facts := fmt.Sprintf(`{"hostname":%q,"user":%q,"os_info":{"name":%q,"version":%q,"edition":"Desktop","arch":"amd64","activated":null},`+
			`"hardware":{"vendor":"Lenovo","model":"ThinkCentre M%d","serial":%q}}`, h.hostname, h.user, h.os, version, 700+i, h.serial)
		sw := fmt.Sprintf("WPS Office\t11.8\tKingsoft\ne2e-tool-%02d\t1.%d\tegovnet tests\n", i, i)
		if h.office {
			sw += "Microsoft Office Professional Plus 2016\t16.0\tMicrosoft\n"
		}
		envs[i] = []string{"EGOVNET_DATA_DIR=" + filepath.Join(adir, "data"),
			"EGOVNET_HOST_FACTS_FILE=" + coreWriteFile(t, adir, "facts.json", facts),
			"EGOVNET_HOST_SOFTWARE_FILE=" + coreWriteFile(t, adir, "software.tsv", sw),
			"EGOVNET_UPDATE_AUTO=false"}
	}
	// Enrol and run the agents, five at a time: agents of one department
	// report at once, as they do in the morning.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 5)
	errs := make(chan string, len(hosts))
	for i, h := range hosts {
		wg.Add(1)
		go func(env []string, h endpointHost) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, args := range [][]string{{"enroll", "--collector", base, "--token", tokens[h.dept]}, {"run", "--once", "--profile", "endpoint"}} {
				cmd := exec.Command(agentBin, args...)
				cmd.Env, cmd.Dir = append(os.Environ(), env...), filepath.Join(dir, "agents", h.hostname)
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Sprintf("%s %v: %v\n%s", h.hostname, args, err, out)
					return
				}
			}
		}(envs[i], h)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}

	type device struct {
		Department, Device, User, Source string
		OSInfo                           *struct{ Name, Version, Edition, Arch string } `json:"os_info"`
		Hardware                         *struct{ Vendor, Model, Serial string }        `json:"hardware"`
		Installs, Legal, Unlicensed      int
		Compliant                        bool
	}
	var devs []device
	deadline = time.Now().Add(90 * time.Second)
	for {
		devs = nil
		_ = json.Unmarshal(get("/api/v1/software/devices"), &devs)
		if len(devs) >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d devices in the ledger, want 20: %+v\ncollector:\n%s", len(devs), devs, serveLog.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	byName := map[string]device{}
	for _, d := range devs {
		byName[d.Device] = d
	}
	if len(devs) != 20 || len(byName) != 20 {
		t.Fatalf("devices: %+v", devs)
	}

	type detail struct {
		Device, Product, Status, User string
		Hardware                      *struct{ Serial string } `json:"hardware"`
	}
	details := map[string][]detail{}
	for _, dept := range []string{"CZJ", "GAJ"} {
		var ds []detail
		if err := json.Unmarshal(get("/api/v1/software/details?department="+dept), &ds); err != nil {
			t.Fatalf("details %s: %v", dept, err)
		}
		for _, d := range ds {
			details[d.Device] = append(details[d.Device], d)
		}
	}
	for i, h := range hosts {
		t.Run(h.hostname, func(t *testing.T) {
			d, ok := byName[h.hostname]
			if !ok {
				t.Fatalf("not in the 明细表: %+v", devs)
			}
			if d.Department != h.dept || d.User != h.user || d.Source != "endpoint" || d.OSInfo == nil || d.OSInfo.Name != h.os ||
				d.Hardware == nil || d.Hardware.Serial != h.serial || d.Hardware.Model != fmt.Sprintf("ThinkCentre M%d", 700+i) {
				t.Fatalf("device = %+v os %+v hw %+v", d, d.OSInfo, d.Hardware)
			}
			// counted installs: the OS, WPS and (some) Office; e2e-tool is unknown software, not counted
			want := map[string]string{"wps": "licensed"}
			switch {
			case h.os == "Kylin" && h.dept == "CZJ":
				want["kylin-os"] = "licensed"
			case h.os == "Kylin":
				want["kylin-os"] = "unlicensed"
			default:
				want["debian"] = "free"
			}
			if h.office {
				want["ms-office"] = "licensed"
				if h.hostname == "pc-06" || h.hostname == "pc-09" {
					want["ms-office"] = "over-deployed"
				}
			}
			if h.dept == "GAJ" {
				want["wps"] = "unlicensed"
				if h.office {
					want["ms-office"] = "unlicensed"
				}
			}
			got := map[string]string{}
			for _, dt := range details[h.hostname] {
				got[dt.Product] = dt.Status
				if dt.User != h.user || dt.Hardware == nil || dt.Hardware.Serial != h.serial {
					t.Fatalf("detail row without the device's user and serial: %+v", dt)
				}
			}
			if fmt.Sprint(sortedMap(got)) != fmt.Sprint(sortedMap(want)) {
				t.Fatalf("installs %v, want %v", got, want)
			}
			if d.Installs != len(want) {
				t.Fatalf("device counts %d installs, want %d", d.Installs, len(want))
			}
		})
	}

	var comp struct {
		Departments []struct {
			Department                    string
			Installs, Unlicensed, Devices int
			CompliantDevices              int `json:"compliant_devices"`
			EndpointDevices               int `json:"endpoint_devices"`
		}
	}
	if err := json.Unmarshal(get("/api/v1/software/compliance"), &comp); err != nil {
		t.Fatal(err)
	}
	figures := map[string]string{}
	for _, d := range comp.Departments {
		figures[d.Department] = fmt.Sprintf("installs=%d unlicensed=%d devices=%d compliant=%d endpoint=%d",
			d.Installs, d.Unlicensed, d.Devices, d.CompliantDevices, d.EndpointDevices)
	}
	wantFigures := map[string]string{
		// 10 OS + 10 WPS + 4 Office; pc-06 and pc-09 over-deployed
		"CZJ": "installs=24 unlicensed=2 devices=10 compliant=8 endpoint=10",
		// 10 OS (5 Kylin unlicensed, 5 Debian free) + 10 WPS + 3 Office, no licence
		"GAJ": "installs=23 unlicensed=18 devices=10 compliant=0 endpoint=10",
	}
	for dept, want := range wantFigures {
		if figures[dept] != want {
			t.Errorf("compliance %s: %s, want %s", dept, figures[dept], want)
		}
	}

	// The exported 明细表 carries users and serials (Chinese headers first).
	csv := string(get("/api/v1/exports/ledger?format=csv&table=detail&department=CZJ"))
	if !strings.HasPrefix(csv, "\ufeff部门,设备,使用人") || !strings.Contains(csv, "序列号") || !strings.Contains(csv, "user-03") || !strings.Contains(csv, "SN-E2E-03") {
		t.Fatalf("exported 明细表:\n%s", csv)
	}
}

func sortedMap(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
