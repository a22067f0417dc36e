package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

// TestFleetAgents drives the real binaries of issue #15 on loopback: the
// relay for isolated networks, an agent's health going late then silent,
// and the report file an endpoint agent writes for import. The subtests
// run in parallel: the health one mostly waits for the collector's clock.
func TestFleetAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	bins := testenv.BuildBinaries(t, "egovnet-collector", "egovnet-agent")
	colBin, agentBin := filepath.Join(bins, "egovnet-collector"), filepath.Join(bins, "egovnet-agent")
	for _, backend := range []string{"sqlite", "postgres"} {
		pg := backend == "postgres"
		t.Run("relay/"+backend, func(t *testing.T) { t.Parallel(); relayScenario(t, colBin, agentBin, pg) })
		t.Run("health late then silent/"+backend, func(t *testing.T) { t.Parallel(); healthScenario(t, colBin, agentBin, pg) })
	}
	t.Run("endpoint report file for import", func(t *testing.T) { t.Parallel(); importScenario(t, colBin, agentBin) })
}

// lockedBuffer is a process's output, readable while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// fleetAgent is one egovnet-agent installation: its data dir and config.
type fleetAgent struct {
	t    *testing.T
	bin  string
	dir  string
	cfg  string
	proc *exec.Cmd
	done chan struct{}
	logs *lockedBuffer
}

func newFleetAgent(t *testing.T, bin, name, config string) *fleetAgent {
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\nlog: {level: debug}\n%s", filepath.Join(dir, "data"), config)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &fleetAgent{t: t, bin: bin, dir: dir, cfg: cfg}
}

// run runs one command to completion; it must succeed.
func (a *fleetAgent) run(args ...string) string {
	a.t.Helper()
	cmd := exec.Command(a.bin, append(args, "--config", a.cfg)...)
	out, errs, code := testenv.Run(a.t, cmd)
	if code != 0 {
		a.t.Fatalf("egovnet-agent %v: exit %d\n%s%s", args, code, out, errs)
	}
	return out + errs
}

// start runs the daemon in the background; stop ends it with SIGTERM.
func (a *fleetAgent) start(args ...string) {
	a.t.Helper()
	a.logs = &lockedBuffer{}
	a.proc = exec.Command(a.bin, append(append([]string{"run"}, args...), "--config", a.cfg)...)
	a.proc.Stdout, a.proc.Stderr = a.logs, a.logs
	if err := a.proc.Start(); err != nil {
		a.t.Fatal(err)
	}
	done := make(chan struct{})
	a.done = done
	go func() { _ = a.proc.Wait(); close(done) }()
	a.t.Cleanup(a.stop)
}

func (a *fleetAgent) stop() {
	if a.proc == nil {
		return
	}
	select {
	case <-a.done:
		return
	default:
	}
	_ = a.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		_ = a.proc.Process.Kill()
		<-a.done
	}
}

// identity is what enroll saved.
func (a *fleetAgent) identity() (id, cred string) {
	a.t.Helper()
	b, err := os.ReadFile(filepath.Join(a.dir, "data", "identity.json"))
	if err != nil {
		a.t.Fatal(err)
	}
	var f struct {
		AgentID    string `json:"agent_id"`
		Credential string `json:"credential"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		a.t.Fatal(err)
	}
	return f.AgentID, f.Credential
}

// spooled counts reports still in the agent's own spool.
func (a *fleetAgent) spooled() int {
	ents, _ := os.ReadDir(filepath.Join(a.dir, "data", "spool"))
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			n++
		}
	}
	return n
}

var spooledRe = regexp.MustCompile(`msg="report spooled" report=([0-9a-f-]{36})`)

// once runs `run --once` and returns the report id it made; the report
// must have left the agent's spool, i.e. been acknowledged upstream.
func (a *fleetAgent) once(args ...string) string {
	a.t.Helper()
	out := a.run(append([]string{"run", "--once"}, args...)...)
	m := spooledRe.FindStringSubmatch(out)
	if m == nil {
		a.t.Fatalf("no report id in the agent's log:\n%s", out)
	}
	if n := a.spooled(); n != 0 {
		a.t.Fatalf("report %s not acknowledged: %d left in the agent's spool\n%s", m[1], n, out)
	}
	return m[1]
}

// waitFor polls ok until it holds or the deadline passes (a readiness
// wait, never a timing assertion).
func waitFor(t *testing.T, what string, d time.Duration, ok func() bool, logs ...fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, l := range logs {
				b.WriteString(l.String() + "\n----\n")
			}
			t.Fatalf("%s: not within %s\n%s", what, d, b.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type listedReport struct {
	ReportID string `json:"report_id"`
	AgentID  string `json:"agent_id"`
	Source   string `json:"source"`
}

func (c *collector) reports(dept string) []listedReport {
	c.t.Helper()
	a := c.http("GET", "/api/v1/reports?limit=500&department="+dept, nil, c.admin())
	if a.status != 200 {
		c.t.Fatalf("list reports: %d %s", a.status, a.body)
	}
	var out []listedReport
	if err := json.Unmarshal(a.body, &out); err != nil {
		c.t.Fatalf("decode reports: %v", err)
	}
	return out
}

type agentItem struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	Profile      string  `json:"profile"`
	LastSeen     *string `json:"last_seen"`
	LastReportAt *string `json:"last_report_at"`
}

func (c *collector) agentHealth(id string) agentItem {
	c.t.Helper()
	a := c.http("GET", "/api/v1/agents", nil, c.admin())
	if a.status != 200 {
		c.t.Fatalf("list agents: %d %s", a.status, a.body)
	}
	var items []agentItem
	if err := json.Unmarshal(a.body, &items); err != nil {
		c.t.Fatalf("decode agents %s: %v", a.body, err)
	}
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	c.t.Fatalf("agent %s not listed: %s", id, a.body)
	return agentItem{}
}

func (c *collector) appendConfig(s string) {
	c.t.Helper()
	f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		c.t.Fatal(err)
	}
}

type stringer func() string

func (s stringer) String() string { return s() }

// relayScenario: a network agent relays for two endpoint agents (enrolled
// through it, too). The collector stops while they keep reporting: the
// relay acknowledges from its spool; the collector comes back: every
// acknowledged report arrives exactly once, under its endpoint agent.
// Bodies rewritten on the way are refused by the collector.
func relayScenario(t *testing.T, colBin, agentBin string, postgres bool) {
	c := newCollector(t, colBin, postgres)
	c.appendConfig("fleet: {poll_interval: 1s}\n")
	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "CZJ", "--uses", "3"))
	c.start()

	relayAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreeTCPPort(t))
	relayURL := "http://" + relayAddr
	network := newFleetAgent(t, agentBin, "network", fmt.Sprintf(
		"collector: {poll_interval: 1s}\nscope: {udp: false}\nupdate: {auto: false}\nrelay: {listen: %q, max_report_bytes: %d}\n", relayAddr, maxReport))
	network.run("enroll", "--collector", c.url, "--token", token)
	network.start()
	relayHealth := func() (reports int) {
		res, err := http.Get(relayURL + "/healthz")
		if err != nil {
			return -1
		}
		defer res.Body.Close()
		var h struct {
			Reports int `json:"spool_reports"`
		}
		_ = json.NewDecoder(res.Body).Decode(&h)
		return h.Reports
	}
	logs := []fmt.Stringer{stringer(func() string { return "network agent:\n" + network.logs.String() }), stringer(func() string { return "collector:\n" + c.logs.String() })}
	waitFor(t, "relay listening", time.Minute, func() bool { return relayHealth() >= 0 }, logs...)

	// The endpoint agents know only the relay: enrolment goes through it.
	endpoints := []*fleetAgent{
		newFleetAgent(t, agentBin, "pc-1", "collector: {poll_interval: 1s}\n"),
		newFleetAgent(t, agentBin, "pc-2", "collector: {poll_interval: 1s}\n"),
	}
	ids, creds := map[*fleetAgent]string{}, map[*fleetAgent]string{}
	for _, ep := range endpoints {
		ep.run("enroll", "--collector", relayURL, "--token", token)
		ids[ep], creds[ep] = ep.identity()
	}
	acked := map[string]string{} // report id -> the endpoint agent that made it
	for _, ep := range endpoints {
		acked[ep.once("--profile", "endpoint")] = ids[ep]
	}
	waitFor(t, "reports relayed while the collector is up", time.Minute, func() bool {
		n := 0
		for _, r := range c.reports("CZJ") {
			if _, ok := acked[r.ReportID]; ok {
				n++
			}
		}
		return n == 2 && relayHealth() == 0
	}, logs...)

	// Their polls through the relay were their heartbeats: both are listed
	// as endpoint agents of their own.
	for _, ep := range endpoints {
		if h := c.agentHealth(ids[ep]); h.Profile != "endpoint" || h.LastSeen == nil {
			t.Fatalf("endpoint agent %s behind the relay: %+v", ids[ep], h)
		}
	}
	// The collector goes away; the endpoint agents keep reporting.
	c.stop()
	poll := func(cred string) int {
		req, _ := http.NewRequest("GET", relayURL+"/api/v1/agent/config?version=e2e&profile=endpoint", nil)
		req.Header.Set("Authorization", "Bearer "+cred)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := poll(creds[endpoints[0]]); code != http.StatusServiceUnavailable {
		t.Fatalf("config poll through the relay with the collector down: %d, want 503", code)
	}
	for range 2 {
		for _, ep := range endpoints {
			acked[ep.once("--profile", "endpoint")] = ids[ep]
		}
	}
	if n := relayHealth(); n != 4 {
		t.Fatalf("relay spool holds %d reports, want the 4 acknowledged while the collector was down", n)
	}
	// Rewritten on the way: another agent's report under pc-1's credential,
	// and a report id already stored, with other content.
	forged := validReport(ids[endpoints[1]])
	var firstOfPC1 string
	for id, agent := range acked {
		if agent == ids[endpoints[0]] && firstOfPC1 == "" {
			firstOfPC1 = id
		}
	}
	altered := validReport(ids[endpoints[0]])
	altered.ReportID = firstOfPC1
	for _, rep := range []any{forged, altered} {
		body, _ := json.Marshal(rep)
		req, _ := http.NewRequest("POST", relayURL+"/api/v1/reports", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+creds[endpoints[0]])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("relay refused an upload it cannot judge: %d", res.StatusCode)
		}
	}

	// The collector comes back; an endpoint agent's poll through the relay
	// shows it (as the next 30 s poll would) and the backlog moves.
	c.start()
	waitFor(t, "config poll through the relay", time.Minute, func() bool { return poll(creds[endpoints[0]]) == http.StatusOK }, logs...)
	waitFor(t, "relay spool drained", 2*time.Minute, func() bool { return relayHealth() == 0 }, logs...)

	seen := map[string]int{}
	for _, r := range c.reports("CZJ") {
		seen[r.ReportID]++
		if want, ok := acked[r.ReportID]; ok && (r.AgentID != want || r.Source != "upload") {
			t.Errorf("report %s filed under agent %s (%s), want endpoint agent %s", r.ReportID, r.AgentID, r.Source, want)
		}
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged report %s stored %d times, want exactly once", id, seen[id])
		}
	}
	if seen[forged.ReportID] != 0 {
		t.Errorf("a report rewritten to name another agent was stored")
	}
	rejected, _ := filepath.Glob(filepath.Join(network.dir, "data", "relay-spool", "rejected", "*.relay.error"))
	var reasons []string
	for _, f := range rejected {
		b, _ := os.ReadFile(f)
		reasons = append(reasons, string(b))
	}
	all := strings.Join(reasons, "")
	if len(rejected) != 2 || !strings.Contains(all, "403") || !strings.Contains(all, "409") {
		t.Fatalf("rewritten bodies should be refused by the collector (403 another agent, 409 altered content): %q", reasons)
	}
	network.stop()
	c.stop()
}

// healthScenario: an agent that stops polling is late after three poll
// intervals, and silent once two scan intervals pass without a report.
// The shortest scan interval the collector accepts is a minute, so the
// silent state comes about two minutes after the last report.
func healthScenario(t *testing.T, colBin, agentBin string, postgres bool) {
	c := newCollector(t, colBin, postgres)
	c.appendConfig("fleet: {poll_interval: 1s, default_interval: 1m}\n")
	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	token := strings.TrimSpace(c.mustRun("", "token", "create", "--department", "CZJ"))
	c.start()
	a := newFleetAgent(t, agentBin, "pc", "collector: {poll_interval: 1s}\nschedule: {interval: 1m}\nupdate: {auto: false}\n")
	a.run("enroll", "--collector", c.url, "--token", token)
	id, _ := a.identity()
	a.start("--profile", "endpoint")
	logs := []fmt.Stringer{stringer(func() string { return "agent:\n" + a.logs.String() })}
	waitFor(t, "agent ok with a report", time.Minute, func() bool {
		h := c.agentHealth(id)
		return h.Status == "ok" && h.LastReportAt != nil && h.Profile == "endpoint"
	}, logs...)
	a.stop()

	var states []string
	observe := func(want string) func() bool {
		return func() bool {
			s := c.agentHealth(id).Status
			if len(states) == 0 || states[len(states)-1] != s {
				states = append(states, s)
			}
			return s == want
		}
	}
	waitFor(t, "stopped agent late", 30*time.Second, observe("late"), logs...)
	waitFor(t, "stopped agent silent", 4*time.Minute, observe("silent"), logs...)
	if strings.Join(states, ",") != "ok,late,silent" && strings.Join(states, ",") != "late,silent" {
		t.Fatalf("health went %v, want ok, late, silent in that order", states)
	}
	h := c.agentHealth(id)
	if h.LastSeen == nil || h.LastReportAt == nil {
		t.Fatalf("a silent agent keeps its last_seen and last_report_at: %+v", h)
	}
	c.stop()
}

// importScenario: where no network reaches the collector, an endpoint
// agent writes its report to a file (`run --once --out`), carried over
// and imported; its host facts arrive as an upload's would.
func importScenario(t *testing.T, colBin, agentBin string) {
	c := newCollector(t, colBin, false)
	a := newFleetAgent(t, agentBin, "isolated-pc", "")
	file := filepath.Join(a.dir, "report.json")
	if _, errs, code := testenv.Run(t, exec.Command(agentBin, "run", "--out", file, "--config", a.cfg)); code != 2 || !strings.Contains(errs, "--out needs --once") {
		t.Fatalf("--out without --once: exit %d %s", code, errs)
	}
	a.run("run", "--once", "--profile", "endpoint", "--out", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ReportID string `json:"report_id"`
		Agent    struct {
			Profile string `json:"profile"`
		} `json:"agent"`
		Endpoints []json.RawMessage `json:"endpoints"`
		Host      *struct {
			OSInfo *struct {
				Name string `json:"name"`
			} `json:"os_info"`
		} `json:"host"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report file: %v\n%s", err, b)
	}
	if rep.Agent.Profile != "endpoint" || rep.Host == nil || rep.Host.OSInfo == nil || rep.Host.OSInfo.Name == "" || len(rep.Endpoints) != 0 {
		t.Fatalf("endpoint report file lacks the host's facts or probed something: %.600s", b)
	}
	if a.spooled() != 0 {
		t.Fatal("--out also spooled the report")
	}
	out := c.mustRun("", "import", "--report", file, "--department", "CZJ")
	if !strings.Contains(out, "stored report "+rep.ReportID) {
		t.Fatalf("import: %s", out)
	}
	if out := c.mustRun("", "import", "--report", file, "--department", "CZJ"); !strings.HasPrefix(out, "already present") {
		t.Fatalf("second import: %s", out)
	}
	c.mustRun(adminPassword+"\n"+adminPassword+"\n", "user", "add", "--name", "admin", "--role", "sysadmin")
	c.start()
	found := false
	for _, r := range c.reports("CZJ") {
		found = found || (r.ReportID == rep.ReportID && r.Source == "import")
	}
	if !found {
		t.Fatalf("imported report %s not listed", rep.ReportID)
	}
	c.stop()
}
