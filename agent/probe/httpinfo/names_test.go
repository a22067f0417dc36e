package httpinfo

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPageLinks(t *testing.T) {
	tests := []struct {
		name, body, canonical, og string
	}{
		{"both", `<head><link rel="canonical" href="https://www.czj.example.gov.cn/"><meta property="og:url" content="https://czj.example.gov.cn/index"></head>`,
			"https://www.czj.example.gov.cn/", "https://czj.example.gov.cn/index"},
		{"rel list, self-closing, upper case", `<LINK REL="alternate canonical" HREF="//a.example.cn/x" />`, "//a.example.cn/x", ""},
		{"links in body ignored", `<body><link rel="canonical" href="https://late.example.cn/">`, "", ""},
		{"none", `<title>x</title>`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, o := PageLinks([]byte(tt.body), "text/html")
			if c != tt.canonical || o != tt.og {
				t.Fatalf("got %q, %q; want %q, %q", c, o, tt.canonical, tt.og)
			}
		})
	}
}

func TestFetchNamesFromRealServers(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head><title>门户</title><link rel="canonical" href="https://www.czj.example.gov.cn/">`+
			`<meta property="og:url" content="http://czj.example.gov.cn/"><link rel="canonical" href="https://second.example.cn/"></head></html>`)
	})
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://portal.example.gov.cn/login", http.StatusFound)
	})
	relative := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<link rel="canonical" href="/index.html"><meta property="og:url" content="http://127.0.0.1/">`)
	})
	plain := httptest.NewServer(page)
	defer plain.Close()
	redir := httptest.NewServer(redirect)
	defer redir.Close()
	rel := httptest.NewServer(relative)
	defer rel.Close()
	tlsSrv := httptest.NewTLSServer(page) // certificate SANs: example.com and loopback IPs
	defer tlsSrv.Close()
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"canonical and og:url, first canonical only", plain.URL, "[{www.czj.example.gov.cn http-canonical} {czj.example.gov.cn http-og-url}]"},
		{"redirect names the host the server answers for", redir.URL, "[{portal.example.gov.cn http-host}]"},
		{"relative links and addresses are not names", rel.URL, "[]"},
		{"certificate names on https", tlsSrv.URL, "[{www.czj.example.gov.cn http-canonical} {czj.example.gov.cn http-og-url} {example.com tls}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, p := target(t, tt.url)
			res := FetchMany(context.Background(), []Target{{Addr: a, Port: p}}, Options{Timeout: 3 * time.Second, Workers: 1})
			if len(res) != 1 || res[0].Err != nil {
				t.Fatalf("results %+v", res)
			}
			if tt.name == "certificate names on https" {
				// httptest's port is not a TLS port: Fetch tries http first
				// and the server's 400 names HTTPS.
				if res[0].Info.Scheme != "https" {
					t.Fatalf("scheme %q, want https", res[0].Info.Scheme)
				}
			}
			if got := fmt.Sprint(nonNil(res[0].Names)); got != tt.want {
				t.Fatalf("names %s, want %s", got, tt.want)
			}
		})
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
