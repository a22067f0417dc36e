// Package snmpsim runs Debian's snmpsimd (snmpsim 0.4.5) as a test peer:
// real device recordings served over real UDP, so SNMP code is tested against
// a simulator nobody on the team wrote. It hides the simulator's traps: root
// must drop privileges, the index cache must be writable by that user, the
// only readiness signal is a log line, and an unknown community is silence.
// It is used by tests and benchmark scripts only; optionally it runs the
// simulator inside a network namespace (or behind any exec prefix).
package snmpsim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config says what to serve and where.
type Config struct {
	// DataDirs are passed as --data-dir; community = file name without .snmprec.
	DataDirs []string
	// Host is the IPv4 address to listen on (default 127.0.0.1).
	Host string
	// Port is the UDP port; 0 picks a free one.
	Port int
	// Namespace, when set, runs snmpsimd via `ip netns exec NAME`.
	Namespace string
	// ExecPrefix, when set, is put in front of the snmpsimd command line
	// (e.g. a wrapper); Namespace is applied after it.
	ExecPrefix []string
	// Binary is the simulator (default "snmpsimd" from PATH).
	Binary string
	// ExtraArgs are appended to the command line (e.g. --max-varbinds=64).
	ExtraArgs []string
	// StartTimeout bounds how long Start waits for the ready log line
	// (default 90s: indexing 41 recordings takes 3-6 s on an idle machine).
	StartTimeout time.Duration
}

// Server is one running snmpsimd.
type Server struct {
	Host string
	Port int

	cmd      *exec.Cmd
	cacheDir string
	done     chan struct{}
	waitErr  error
	mu       sync.Mutex
	log      strings.Builder
	stopOnce sync.Once
}

// Endpoint is host:port of the simulator.
func (s *Server) Endpoint() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// PID is the simulator's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Log returns what the simulator printed so far (bounded).
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Start launches snmpsimd and returns once it logs that it listens.
// A port clash (another process took the free port) is retried with a new port.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if len(cfg.DataDirs) == 0 {
		return nil, errors.New("start snmpsimd: no data dirs")
	}
	for _, d := range cfg.DataDirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("start snmpsimd: data dir %q is not a directory", d)
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		c := cfg
		if c.Port == 0 {
			p, err := pickPort(c)
			if err != nil {
				return nil, err
			}
			c.Port = p
		}
		s, err := start(ctx, c)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if cfg.Port != 0 || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func pickPort(cfg Config) (int, error) {
	if cfg.Namespace != "" || len(cfg.ExecPrefix) > 0 {
		// Another namespace's ports cannot be probed from here; a fresh
		// namespace has them all free, and a clash is retried by Start.
		return 20000 + rand.IntN(40000), nil
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	c, err := net.ListenPacket("udp4", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("pick free udp port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func start(ctx context.Context, cfg Config) (*Server, error) {
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	bin := cfg.Binary
	if bin == "" {
		bin = "snmpsimd"
	}
	if _, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("start snmpsimd: %w", err)
	}
	cacheDir, err := os.MkdirTemp("", "egovnet-snmpsim-cache-")
	if err != nil {
		return nil, fmt.Errorf("create snmpsim cache dir: %w", err)
	}
	args := []string{}
	for _, d := range cfg.DataDirs {
		abs, _ := filepath.Abs(d)
		args = append(args, "--data-dir="+abs)
	}
	args = append(args,
		fmt.Sprintf("--agent-udpv4-endpoint=%s:%d", host, cfg.Port),
		"--cache-dir="+cacheDir,
	)
	if os.Geteuid() == 0 {
		// snmpsimd refuses to run as root and drops privileges before it
		// builds its indexes, so the cache must belong to the target user.
		uid, gid, uname, gname := nobody()
		if err := os.Chown(cacheDir, uid, gid); err != nil {
			os.RemoveAll(cacheDir)
			return nil, fmt.Errorf("chown snmpsim cache dir: %w", err)
		}
		args = append(args, "--process-user="+uname, "--process-group="+gname)
	}
	args = append(args, cfg.ExtraArgs...)

	argv := append([]string{}, cfg.ExecPrefix...)
	if cfg.Namespace != "" {
		argv = append(argv, "ip", "netns", "exec", cfg.Namespace)
	}
	argv = append(argv, bin)
	argv = append(argv, args...)

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		os.RemoveAll(cacheDir)
		return nil, fmt.Errorf("start snmpsimd: %w", err)
	}
	s := &Server{Host: host, Port: cfg.Port, cmd: cmd, cacheDir: cacheDir, done: make(chan struct{})}
	ready := make(chan struct{})
	want := fmt.Sprintf("Listening at UDP/IPv4 endpoint %s:%d", host, cfg.Port)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			if s.log.Len() < 256*1024 {
				s.log.WriteString(line)
				s.log.WriteByte('\n')
			}
			s.mu.Unlock()
			if !signalled && strings.Contains(line, want) {
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		s.waitErr = cmd.Wait()
		pw.Close()
		close(s.done)
	}()

	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		os.RemoveAll(cacheDir)
		return nil, fmt.Errorf("snmpsimd exited before listening (%v): %s", s.waitErr, tail(s.Log(), 2000))
	case <-timer.C:
		s.Stop()
		return nil, fmt.Errorf("snmpsimd not listening after %s: %s", timeout, tail(s.Log(), 2000))
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("start snmpsimd: %w", ctx.Err())
	}
}

// Stop terminates the simulator by PID (SIGTERM, then SIGKILL after 5 s)
// and removes its cache dir. Safe to call twice.
func (s *Server) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		if s.cmd.Process != nil {
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(5 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.done
			}
		}
		err = os.RemoveAll(s.cacheDir)
	})
	return err
}

// Alive reports whether the simulator process is still running (snmpsimd
// exits on some malformed data, after which every request times out).
func (s *Server) Alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func nobody() (uid, gid int, uname, gname string) {
	uid, gid, uname, gname = 65534, 65534, "nobody", "nogroup"
	if u, err := user.Lookup("nobody"); err == nil {
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			gname = g.Name
		}
	}
	return
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
