package icmpid

import (
	"errors"
	"sync"
	"testing"
)

func TestAcquireNoCollisionsAmongConcurrentUsers(t *testing.T) {
	a := New(65530) // start near the wrap to exercise it
	const users, each = 64, 200
	var mu sync.Mutex
	seen := map[uint16]int{}
	var wg sync.WaitGroup
	leases := make(chan *Lease, users*each)
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				l, err := a.Acquire()
				if err != nil {
					t.Errorf("user %d: %v", u, err)
					return
				}
				mu.Lock()
				seen[l.ID()]++
				mu.Unlock()
				leases <- l
			}
		}(u)
	}
	wg.Wait()
	close(leases)
	for id, n := range seen {
		if n != 1 {
			t.Errorf("id %d handed out %d times while held", id, n)
		}
	}
	if len(seen) != users*each || a.InUse() != users*each {
		t.Fatalf("distinct ids = %d, in use = %d, want %d", len(seen), a.InUse(), users*each)
	}
	for l := range leases {
		l.Release()
		l.Release() // idempotent
	}
	if a.InUse() != 0 {
		t.Fatalf("in use after release = %d", a.InUse())
	}
}

func TestAcquireExhaustionAndReuse(t *testing.T) {
	a := New(0)
	var all []*Lease
	for i := 0; i < 65536; i++ {
		l, err := a.Acquire()
		if err != nil {
			t.Fatalf("acquire %d: %v", i, err)
		}
		all = append(all, l)
	}
	if _, err := a.Acquire(); !errors.Is(err, ErrExhausted) {
		t.Fatalf("acquire on full allocator: err = %v, want ErrExhausted", err)
	}
	all[1234].Release()
	l, err := a.Acquire()
	if err != nil || l.ID() != 1234 {
		t.Fatalf("after release: id %v err %v, want 1234", l, err)
	}
}

func TestReleasedIDIsReusedLast(t *testing.T) {
	a := New(10)
	l1, _ := a.Acquire()
	l1.Release()
	l2, _ := a.Acquire()
	if l2.ID() == l1.ID() {
		t.Fatalf("released id %d reused immediately", l1.ID())
	}
}
