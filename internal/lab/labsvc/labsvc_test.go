package labsvc

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPageEscapesTitle(t *testing.T) {
	got := Page(`区司法局 <script>`, "")
	if !strings.Contains(got, "<title>区司法局 &lt;script&gt;</title>") {
		t.Errorf("page: %s", got)
	}
}

func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	ln, err := Listen(context.Background(), "127.0.0.1:0", ready)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(ready); err != nil || strings.TrimSpace(string(data)) != ln.Addr().String() {
		t.Fatalf("ready file %q, %v; want %s", data, err, ln.Addr())
	}
	return ln, ln.Addr().String()
}

func TestServers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	banner, bannerAddr := listen(t)
	go ServeBanner(ctx, banner, "SSH-2.0-OpenSSH_8.0", nil)
	web, webAddr := listen(t)
	go ServeHTTP(ctx, web, "区司法局门户网站", "nginx/1.20.1", "")
	relay, relayAddr := listen(t)
	go ServeRelay(ctx, relay, webAddr, nil)

	t.Run("banner", func(t *testing.T) {
		c, err := net.Dial("tcp4", bannerAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "SSH-2.0-OpenSSH_8.0\r\n" {
			t.Errorf("banner %q, %v", line, err)
		}
	})
	for name, addr := range map[string]string{"http": webAddr, "http through relay": relayAddr} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get("http://" + addr + "/anything")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.Header.Get("Server") != "nginx/1.20.1" || !strings.Contains(string(body), "<title>区司法局门户网站</title>") {
				t.Errorf("server %q body %q", resp.Header.Get("Server"), body)
			}
		})
	}
	t.Run("relay target down", func(t *testing.T) {
		dead, deadAddr := listen(t)
		dead.Close()
		r, rAddr := listen(t)
		go ServeRelay(ctx, r, deadAddr, nil)
		c, err := net.Dial("tcp4", rAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if n, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("read %d bytes from a relay whose target is down", n)
		}
	})
}

// TestPageCanonical: a site's own name is in the page, escaped.
func TestPageCanonical(t *testing.T) {
	got := Page("门户", `https://portal.fgw.example.gov.cn/?a=1&b="2"`)
	for _, want := range []string{
		`<link rel="canonical" href="https://portal.fgw.example.gov.cn/?a=1&amp;b=&#34;2&#34;">`,
		`<meta property="og:url" content="https://portal.fgw.example.gov.cn/?a=1&amp;b=&#34;2&#34;">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("page lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(Page("x", ""), "canonical") {
		t.Error("a page without a canonical URL names one")
	}
}
