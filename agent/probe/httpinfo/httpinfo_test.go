package httpinfo

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/egovnet/egovnet/internal/testenv"
)

func gbk(t *testing.T, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTitle(t *testing.T) {
	tests := []struct {
		name, body, ctype, want string
	}{
		{"utf8 plain", "<html><head><title>区财政局 门户</title></head></html>", "text/html", "区财政局 门户"},
		{"gbk by header", "<title>" + gbk(t, "区财政局") + "</title>", "text/html; charset=GBK", "区财政局"},
		{"gb2312 by meta http-equiv", `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>` + gbk(t, "杨浦区人民政府") + "</title>", "text/html", "杨浦区人民政府"},
		{"gbk by meta charset", `<meta charset=gbk><title>` + gbk(t, "综合管理平台") + "</title>", "", "综合管理平台"},
		{"undeclared gbk", "<title>" + gbk(t, "登录") + "</title>", "text/html", "登录"},
		{"entities and whitespace", "<title>\n  A &amp; B\t\n C </title>", "", "A & B C"},
		{"no title", "<html><body>hi</body></html>", "", ""},
		{"uppercase tag", "<TITLE>Router</TITLE>", "", "Router"},
		{"title in body is still the title", "<body><title>x</title>", "", "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Title([]byte(tc.body), tc.ctype); got != tc.want {
				t.Fatalf("Title = %q, want %q", got, tc.want)
			}
		})
	}
}

func target(t *testing.T, u string) (netip.Addr, int) {
	t.Helper()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://"))
	p, _ := strconv.Atoi(port)
	return netip.MustParseAddr(host), p
}

func TestFetchRealServers(t *testing.T) {
	page := "<html><head><meta charset=\"gb2312\"><title>" + gbk(t, "区政务服务网") + "</title></head></html>"
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Server", "nginx/1.20.1")
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(page))
		}
	})
	plain := httptest.NewServer(h)
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(h)
	defer tlsSrv.Close()

	for _, tc := range []struct {
		name, url, scheme string
	}{{"http", plain.URL, "http"}, {"https self-signed", tlsSrv.URL, "https"}} {
		t.Run(tc.name, func(t *testing.T) {
			a, p := target(t, tc.url)
			info, err := Fetch(context.Background(), a, p, Options{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if info.Title != "区政务服务网" || info.Server != "nginx/1.20.1" || info.Status != 200 || info.Scheme != tc.scheme || info.Port != p {
				t.Fatalf("info = %+v", info)
			}
		})
	}
}

func TestFetchRedirectStaysOnTarget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			http.Redirect(w, r, "/login", http.StatusFound)
		case "/login":
			// A redirect to another host must not be followed.
			http.Redirect(w, r, "http://portal.example.gov.cn/", http.StatusFound)
		}
	}))
	defer srv.Close()
	a, p := target(t, srv.URL)
	info, err := Fetch(context.Background(), a, p, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != http.StatusFound {
		t.Fatalf("info = %+v", info)
	}
}

func TestFetchReadsAtMost64KiB(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat(" ", MaxBody) + "<title>too late</title>"))
	}))
	defer srv.Close()
	a, p := target(t, srv.URL)
	info, err := Fetch(context.Background(), a, p, Options{Timeout: 5 * time.Second})
	if err != nil || info.Title != "" {
		t.Fatalf("info %+v err %v", info, err)
	}
}

func TestFetchManyRecordsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<title>ok</title>"))
	}))
	defer srv.Close()
	a, p := target(t, srv.URL)
	dead := testenv.FreeTCPPort(t)
	res := FetchMany(context.Background(), []Target{{a, dead}, {a, p}}, Options{Timeout: 2 * time.Second})
	if len(res) != 2 {
		t.Fatalf("results %d", len(res))
	}
	var ok, failed int
	for _, r := range res {
		if r.Err != nil {
			failed++
		} else if r.Info.Title == "ok" {
			ok++
		}
	}
	if ok != 1 || failed != 1 {
		t.Fatalf("results = %+v", res)
	}
}
