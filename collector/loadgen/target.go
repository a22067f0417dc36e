package loadgen

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/plan"
)

// Target is a collector under load, reached over HTTP on loopback.
type Target struct {
	URL         string
	Store       string // sqlite or postgres when loadgen started it
	Departments []Department
	PID         int // the collector process, for its memory; 0 when unknown

	configFile     string // the collector's configuration (tokens are minted with it)
	user, password string // a user that may list reports ("" = no verification)

	// attached: a collector loadgen did not start; its synthetic agents
	// are revoked after the run so their reports stop counting there.
	attached bool

	cmd     *exec.Cmd
	exited  chan struct{}
	dir     string
	keep    bool
	dropPG  func()
	logPath string
}

// StartOptions says how to start a collector of our own.
type StartOptions struct {
	// Binary is the egovnet-collector executable (default: this program).
	Binary string
	// Departments of the generated plan (1..MaxDepartments).
	Departments int
	// Postgres is a DSN; loadgen creates a fresh schema in it for the run
	// and drops it at Close. Empty: SQLite in the work directory.
	Postgres string
	// Dir is the work directory (plan, configuration, data, collector.log);
	// default a temporary directory removed at Close.
	Dir string
	// Keep keeps the work directory and the PostgreSQL schema.
	Keep bool
}

// Start runs `egovnet-collector serve` as the README does: a configuration
// with the product defaults but for listen (a free loopback port),
// data_dir, plan_file (a generated plan) and the store, then waits until
// /healthz answers. A viewer user is added for the verification of stored
// reports. The caller must Close the target.
func Start(ctx context.Context, o StartOptions) (_ *Target, err error) {
	if o.Binary == "" {
		if o.Binary, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find own executable: %w", err)
		}
	}
	t := &Target{Store: "sqlite", keep: o.Keep, dir: o.Dir}
	if t.dir == "" {
		if t.dir, err = os.MkdirTemp("", "egovnet-loadgen-"); err != nil {
			return nil, fmt.Errorf("create work dir: %w", err)
		}
	} else if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	planFile, err := WritePlan(t.dir, o.Departments)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// Everything else keeps the product defaults: this is what is measured.
	yaml := fmt.Sprintf("listen: \"127.0.0.1:%d\"\ndata_dir: %q\nplan_file: %q\n", port, filepath.Join(t.dir, "data"), planFile)
	if o.Postgres != "" {
		dsn, drop, err := freshSchema(ctx, o.Postgres)
		if err != nil {
			return nil, err
		}
		if !o.Keep {
			t.dropPG = drop
		}
		t.Store = "postgres"
		yaml += fmt.Sprintf("store: {driver: postgres, dsn: %q}\n", dsn)
	}
	t.configFile = filepath.Join(t.dir, "collector.yaml")
	if err := os.WriteFile(t.configFile, []byte(yaml), 0o600); err != nil {
		return nil, fmt.Errorf("write collector config: %w", err)
	}
	t.user, t.password = "loadgen", verifierPassword()
	if err := t.withApp(ctx, func(app *server.App) error {
		return app.Auth.AddUser(ctx, auth.User{Name: t.user, Role: auth.RoleViewer}, t.password, server.Operator())
	}); err != nil {
		return nil, fmt.Errorf("add verification user: %w", err)
	}
	if err := t.loadPlan(); err != nil {
		return nil, err
	}
	t.logPath = filepath.Join(t.dir, "collector.log")
	logf, err := os.OpenFile(t.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open collector log: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor
	// Not CommandContext: Close stops it with SIGTERM, so it shuts down as
	// an operator's service manager would stop it.
	t.cmd = exec.Command(o.Binary, "--config", t.configFile, "serve")
	t.cmd.Stdout, t.cmd.Stderr = logf, logf
	detach(t.cmd)
	if err := t.cmd.Start(); err != nil {
		t.cmd = nil
		return nil, fmt.Errorf("start collector: %w", err)
	}
	t.PID = t.cmd.Process.Pid
	t.exited = make(chan struct{})
	go func() { t.cmd.Wait(); close(t.exited) }()
	t.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := t.waitHealthy(ctx, 60*time.Second); err != nil {
		return nil, err
	}
	return t, nil
}

// AttachOptions names an existing collector.
type AttachOptions struct {
	URL        string // loopback only
	ConfigFile string // the collector's configuration: its plan, and tokens are minted with it
	PID        int    // optional, for the collector's memory
	User       string // optional user able to list reports, for verification
	Password   string
}

// Attach loads an existing collector on loopback. Tokens are minted as
// `egovnet-collector token create` does, through its configuration.
func Attach(ctx context.Context, o AttachOptions) (*Target, error) {
	if err := loopbackURL(o.URL); err != nil {
		return nil, err
	}
	if o.ConfigFile == "" {
		return nil, errors.New("attach: the collector's configuration file is required (to read its plan and mint enrolment tokens)")
	}
	t := &Target{URL: strings.TrimRight(o.URL, "/"), PID: o.PID, configFile: o.ConfigFile, user: o.User, password: o.Password, keep: true, attached: true}
	if err := t.loadPlan(); err != nil {
		return nil, err
	}
	if err := t.waitHealthy(ctx, 10*time.Second); err != nil {
		return nil, err
	}
	return t, nil
}

// ErrNotLoopback refuses a collector URL that is not on loopback.
var ErrNotLoopback = errors.New("only loopback collectors (127.0.0.0/8, ::1, localhost) may be loaded")

// loopbackURL refuses any collector address but loopback: the load tool
// never sends traffic anywhere else.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("collector url %q: not an http(s) URL: %w", raw, ErrNotLoopback)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("collector url %q: %w", raw, ErrNotLoopback)
	}
	return nil
}

func (t *Target) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(t.configFile)
	if err != nil {
		return nil, fmt.Errorf("load collector config %s: %w", t.configFile, err)
	}
	return cfg, nil
}

func (t *Target) loadPlan() error {
	cfg, err := t.loadConfig()
	if err != nil {
		return err
	}
	if cfg.PlanFile == "" {
		return fmt.Errorf("collector config %s: no plan_file", t.configFile)
	}
	p, err := plan.Load(cfg.PlanFile)
	if err != nil {
		return fmt.Errorf("load plan %s: %w", cfg.PlanFile, err)
	}
	t.Departments = Departments(p)
	if len(t.Departments) == 0 {
		return fmt.Errorf("plan %s: no department has an IPv4 prefix in private or documentation space to draw addresses from", cfg.PlanFile)
	}
	return nil
}

// withApp opens the collector's store and plan as the CLI's admin
// commands do (token create, user add), for fn, and closes it.
func (t *Target) withApp(ctx context.Context, fn func(*server.App) error) error {
	cfg, err := t.loadConfig()
	if err != nil {
		return err
	}
	app, err := server.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return fmt.Errorf("open collector store: %w", err)
	}
	defer app.Close()
	return fn(app)
}

// Revoke revokes the given agents, as `egovnet-collector agent revoke`
// does: their credentials stop working and their reports stop counting in
// findings (they stay stored, like any revoked agent's).
func (t *Target) Revoke(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return t.withApp(ctx, func(app *server.App) error {
		var errs []error
		for _, id := range ids {
			if err := app.Auth.RevokeAgent(ctx, id, server.Operator()); err != nil {
				errs = append(errs, fmt.Errorf("revoke agent %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	})
}

// Mint creates one enrolment token per department with the given number
// of uses, as `egovnet-collector token create --uses N` does.
func (t *Target) Mint(ctx context.Context, uses map[string]int) (map[string]string, error) {
	out := make(map[string]string, len(uses))
	err := t.withApp(ctx, func(app *server.App) error {
		for dept, n := range uses {
			secret, _, err := app.Auth.CreateToken(ctx, dept, time.Hour, n, server.Operator())
			if err != nil {
				return fmt.Errorf("create token for %s: %w", dept, err)
			}
			out[dept] = secret
		}
		return nil
	})
	return out, err
}

func (t *Target) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("build health request: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if t.exited != nil {
			select {
			case <-t.exited:
				return fmt.Errorf("collector exited before it was healthy; see %s", t.logPath)
			default:
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("collector at %s not healthy after %s (last error %v)", t.URL, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Memory reads the collector's peak and current resident set.
func (t *Target) Memory() Memory {
	if t.PID <= 0 {
		return Memory{}
	}
	m, err := ReadMemory(t.PID)
	if err != nil {
		return Memory{PID: t.PID}
	}
	return m
}

// ReadMemory reads VmHWM and VmRSS of pid from /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read process status: %w", err)
	}
	defer f.Close()
	return parseStatus(pid, f)
}

func parseStatus(pid int, r io.Reader) (Memory, error) {
	m := Memory{PID: pid}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("parse %s %q: %w", k, v, err)
		}
		if k == "VmHWM" {
			m.HWMKB = n
		} else {
			m.RSSKB = n
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("read process status: %w", err)
	}
	return m, nil
}

// Close stops a collector loadgen started (SIGTERM, then SIGKILL after
// 15 s), drops its PostgreSQL schema and removes its work directory unless
// kept. An attached collector is left running.
func (t *Target) Close() error {
	var errs []error
	if t.cmd != nil && t.cmd.Process != nil {
		_ = t.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-t.exited:
		case <-time.After(15 * time.Second):
			_ = t.cmd.Process.Kill()
			<-t.exited
			errs = append(errs, errors.New("collector did not stop on SIGTERM within 15 s; killed"))
		}
		t.cmd = nil
	}
	if t.dropPG != nil {
		t.dropPG()
		t.dropPG = nil
	}
	if !t.keep && t.dir != "" {
		if err := os.RemoveAll(t.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove work dir: %w", err))
		}
		t.dir = ""
	}
	return errors.Join(errs...)
}

// Dir is the work directory of a started collector ("" when attached).
func (t *Target) Dir() string { return t.dir }

// Credentials are the user and password that may list the target's
// reports ("" when none is known).
func (t *Target) Credentials() (user, password string) { return t.user, t.password }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// verifierPassword returns a random password that always meets the
// collector's policy: groups of three hex digits between fixed separators
// can never repeat one character more than three times in a row, which a
// plain 24-digit hex string does about once in two hundred draws.
func verifierPassword() string {
	h := randomHex(12)
	var b strings.Builder
	b.WriteString("Lg")
	for i := 0; i < len(h); i += 3 {
		b.WriteString("-")
		b.WriteString(h[i : i+3])
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freshSchema creates an empty schema in the PostgreSQL of dsn and returns
// a DSN pinned to it, and the function that drops it: every run starts
// from an empty store and leaves nothing behind.
func freshSchema(ctx context.Context, dsn string) (string, func(), error) {
	admin, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("open postgres: %w", err)
	}
	schema := "loadgen_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	return withSearchPath(dsn, schema), drop, nil
}

func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return fmt.Sprintf("%s search_path=%s", dsn, schema)
}
