package icmp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"
	"syscall"
)

var errClosed = net.ErrClosed

// errorSet summarises failures by message, keeping the first address of
// each, so that a /16 of unroutable addresses yields one line, not 65536.
type errorSet struct {
	mu    sync.Mutex
	first map[string]netip.Addr
	n     map[string]int
	total int
}

func (s *errorSet) add(op string, addr netip.Addr, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.first, s.n = map[string]netip.Addr{}, map[string]int{}
	}
	msg := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg = errno.Error() // the address is in the summary once, not in every key
	}
	k := op + ": " + msg
	if _, ok := s.n[k]; !ok {
		s.first[k] = addr
	}
	s.n[k]++
	s.total++
}

func (s *errorSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *errorSet) summary() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, n := range s.n {
		line := k
		if a := s.first[k]; a.IsValid() {
			line = fmt.Sprintf("%s (%s", k, a)
			if n > 1 {
				line += fmt.Sprintf(" and %d more", n-1)
			}
			line += ")"
		} else if n > 1 {
			line = fmt.Sprintf("%s (%d times)", k, n)
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}
