// Package nstest builds small throw-away network namespace topologies for
// the probe packages' integration tests (sweep, ARP, path), and runs code
// inside a namespace. Every namespace is named egl-<random>-<name> so that
// concurrent tests by other packages never meet, and is deleted in
// t.Cleanup, failed test or not. Probes never leave these namespaces.
package nstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/egovnet/egovnet/internal/testenv"
)

// Lab is the set of namespaces one test created.
type Lab struct {
	t  testing.TB
	id string
}

// New checks for root and the ip tool and returns an empty lab.
func New(t testing.TB) *Lab {
	t.Helper()
	testenv.Root(t)
	testenv.Binary(t, "ip")
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return &Lab{t: t, id: hex.EncodeToString(b[:])}
}

// NS creates namespace egl-<id>-<name> with loopback up and returns its name.
func (l *Lab) NS(name string) string {
	l.t.Helper()
	ns := "egl-" + l.id + "-" + name
	l.Run("ip", "netns", "add", ns)
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			l.t.Logf("delete namespace %s: %v: %s", ns, err, out)
		}
	})
	l.IP(ns, "link", "set", "lo", "up")
	// No duplicate address detection: IPv6 addresses, link-local ones
	// included, are usable at once instead of after a second or two.
	l.Sysctl(ns, "net.ipv6.conf.all.accept_dad", "0")
	l.Sysctl(ns, "net.ipv6.conf.default.accept_dad", "0")
	return ns
}

// Run runs a command and fails the test when it fails.
func (l *Lab) Run(name string, args ...string) string {
	l.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// IP runs `ip -n ns args...`.
func (l *Lab) IP(ns string, args ...string) string {
	l.t.Helper()
	return l.Run("ip", append([]string{"-n", ns}, args...)...)
}

// Exec runs a command inside ns.
func (l *Lab) Exec(ns string, args ...string) string {
	l.t.Helper()
	return l.Run("ip", append([]string{"netns", "exec", ns}, args...)...)
}

// Sysctl sets key=value inside ns.
func (l *Lab) Sysctl(ns, key, value string) {
	l.t.Helper()
	l.Exec(ns, "sysctl", "-q", "-w", key+"="+value)
}

// Veth links ifA in nsA with ifB in nsB, gives each side its addresses
// (CIDR, optional; IPv6 without duplicate address detection) and brings
// both up.
func (l *Lab) Veth(nsA, ifA string, addrsA []string, nsB, ifB string, addrsB []string) {
	l.t.Helper()
	l.IP(nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB)
	for _, side := range []struct {
		ns, ifc string
		addrs   []string
	}{{nsA, ifA, addrsA}, {nsB, ifB, addrsB}} {
		for _, a := range side.addrs {
			args := []string{"addr", "add", a, "dev", side.ifc}
			if strings.Contains(a, ":") {
				args = append(args, "nodad")
			}
			l.IP(side.ns, args...)
		}
		l.IP(side.ns, "link", "set", side.ifc, "up")
	}
}

// Router turns on IPv4 and IPv6 forwarding in ns.
func (l *Lab) Router(ns string) {
	l.t.Helper()
	l.Sysctl(ns, "net.ipv4.ip_forward", "1")
	l.Sysctl(ns, "net.ipv6.conf.all.forwarding", "1")
}

// Loss drops a random share (0..1) of the IPv4 packets leaving dev in ns,
// silently (no error reaches any sender), with a classic-BPF random
// classifier steering them into a zero-length queue: this kernel has no
// netem and no gact, but cls_bpf and htb.
func (l *Lab) Loss(ns, dev string, share float64) {
	l.t.Helper()
	threshold := uint64((1 - share) * float64(1<<32))
	tc := func(args ...string) { l.Run("tc", append([]string{"-n", ns}, args...)...) }
	testenv.Binary(l.t, "tc")
	tc("qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "1", "r2q", "100000")
	tc("class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit")
	tc("class", "add", "dev", dev, "parent", "1:", "classid", "1:2", "htb", "rate", "10gbit")
	tc("qdisc", "add", "dev", dev, "parent", "1:2", "handle", "20:", "pfifo", "limit", "0")
	// ld random; jge threshold ? ret -1 (class 1:2) : ret 0 (no match)
	prog := fmt.Sprintf("4,32 0 0 %d,53 0 1 %d,6 0 0 %d,6 0 0 0", uint32(0xfffff038), threshold, uint32(0xffffffff))
	tc("filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1", "bpf", "bytecode", prog, "classid", "1:2")
}

// Do runs fn on an OS thread that has entered namespace ns. Sockets fn
// opens belong to ns even when used from other goroutines later. The
// thread is never returned to the scheduler: it exits with the goroutine.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread dies with this goroutine
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter namespace %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
