package catalog

import (
	"fmt"
	"sync"
	"testing"
)

// TestMatchMemo: memoised matches equal fresh ones under concurrent use,
// each distinct input is stored once, and the memo stops growing at its
// bound.
func TestMatchMemo(t *testing.T) {
	c, err := LoadFS(dataFS, "data") // its own memo, not the shared catalog's
	if err != nil {
		t.Fatal(err)
	}
	inputs := []Input{
		{Name: "Microsoft Office Professional Plus 2016", Version: "16.0", Source: "registry"},
		{Name: "WPS Office", Version: "11.8", Source: "registry"},
		{Name: "Kylin Linux Advanced Server V10", Version: "10", Source: "dpkg"},
		{Name: "oracle-instantclient19.3-basic", Version: "19.3", Source: "rpm"},
		{Name: "something nobody catalogued", Source: "import"},
	}
	want := make([]Result, len(inputs))
	for i, in := range inputs {
		want[i] = c.match(in)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 50; round++ {
				for i, in := range inputs {
					if got := c.Match(in); fmt.Sprint(got) != fmt.Sprint(want[i]) {
						errs <- fmt.Sprintf("%q: memoised %+v, fresh %+v", in.Name, got, want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	stored := 0
	c.memo.Range(func(_, _ any) bool { stored++; return true })
	if n := c.memoN.Load(); n != int64(stored) || stored < len(inputs) {
		t.Fatalf("memo holds %d entries, counts %d, want at least %d", stored, n, len(inputs))
	}
	// at the bound, new names are matched but not remembered
	c.memoN.Store(maxMemo)
	fresh := Input{Name: "yet another unknown tool", Version: "1"}
	if got := c.Match(fresh); got.Name != fresh.Name {
		t.Fatalf("match at the bound: %+v", got)
	}
	if _, ok := c.memo.Load(fresh); ok {
		t.Fatal("the memo grew past its bound")
	}
}
