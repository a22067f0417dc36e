// Package httpinfo asks web ports what they are: GET / and read the HTML
// title and the Server header. Department websites and device management
// UIs are found this way. It is inventory, not trust: certificates are not
// verified, and redirects are followed only on the same address so a probe
// never leaves the scope it was given. Chinese sites still serve GBK/GB2312,
// so the body is decoded by the declared charset (header or <meta>), else
// UTF-8 when valid, else GB18030.
package httpinfo

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/egovnet/egovnet/internal/wire"
)

// MaxBody is how much of a page is read at most.
const MaxBody = 64 << 10

// maxTitle bounds the stored title (runes).
const maxTitle = 256

// WebPorts are the ports asked by default; TLSPorts are tried with HTTPS first.
var (
	WebPorts = map[int]bool{80: true, 443: true, 8000: true, 8008: true, 8080: true, 8081: true, 8088: true,
		8443: true, 8888: true, 9080: true, 9443: true, 7001: true, 4443: true}
	TLSPorts = map[int]bool{443: true, 8443: true, 9443: true, 4443: true}
)

// Options tune fetching.
type Options struct {
	Timeout time.Duration // whole request; default 3s
	Workers int           // default 8
}

// Target is one web port.
type Target struct {
	Addr netip.Addr
	Port int
}

// Result is one target's answer or failure.
type Result struct {
	Target Target
	Info   wire.HTTPInfo
	// Names the site answers for (page links, redirects, certificate).
	Names []wire.Name
	Err   error
}

// FetchMany asks every target with a bounded pool; results sorted by target.
func FetchMany(ctx context.Context, targets []Target, opts Options) []Result {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	jobs := make(chan Target)
	var mu sync.Mutex
	var out []Result
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				info, names, err := fetch(ctx, t.Addr, t.Port, opts)
				mu.Lock()
				out = append(out, Result{Target: t, Info: info, Names: names, Err: err})
				mu.Unlock()
			}
		}()
	}
feed:
	for _, t := range targets {
		select {
		case jobs <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Target.Addr != out[j].Target.Addr {
			return out[i].Target.Addr.Less(out[j].Target.Addr)
		}
		return out[i].Target.Port < out[j].Target.Port
	})
	return out
}

// Fetch asks one port, HTTPS first on TLS ports, then the other scheme.
func Fetch(ctx context.Context, addr netip.Addr, port int, opts Options) (wire.HTTPInfo, error) {
	info, _, err := fetch(ctx, addr, port, opts)
	return info, err
}

func fetch(ctx context.Context, addr netip.Addr, port int, opts Options) (wire.HTTPInfo, []wire.Name, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	schemes := []string{"http", "https"}
	if TLSPorts[port] {
		schemes = []string{"https", "http"}
	}
	var errs []error
	for i, s := range schemes {
		info, names, wantsTLS, err := fetchScheme(ctx, s, addr, port, opts.Timeout)
		if err == nil && wantsTLS && i == 0 {
			// "plain HTTP request sent to HTTPS port": ask again over TLS.
			if tinfo, tnames, _, terr := fetchScheme(ctx, "https", addr, port, opts.Timeout); terr == nil {
				return tinfo, tnames, nil
			}
		}
		if err == nil {
			return info, names, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return wire.HTTPInfo{}, nil, errors.Join(errs...)
}

// fetchScheme does one GET; wantsTLS reports a plain-HTTP answer that says
// the port speaks HTTPS (Go, nginx and Apache all answer 400 naming HTTPS).
func fetchScheme(ctx context.Context, scheme string, addr netip.Addr, port int, timeout time.Duration) (info wire.HTTPInfo, names []wire.Name, wantsTLS bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hostport := net.JoinHostPort(addr.String(), strconv.Itoa(port))
	// Every connection goes to the target address, whatever a redirect names.
	dialer := &net.Dialer{}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, hostport)
		},
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}, //nolint:gosec // inventory, not trust
		DisableKeepAlives:      true,
		Proxy:                  nil,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return http.ErrUseLastResponse
			}
			if req.URL.Host != hostport && req.URL.Host != addr.String() {
				return http.ErrUseLastResponse // another host: out of scope
			}
			return nil
		},
	}
	u := url.URL{Scheme: scheme, Host: hostport, Path: "/"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return wire.HTTPInfo{}, nil, false, fmt.Errorf("build request %s: %w", u.String(), err)
	}
	req.Header.Set("User-Agent", "egovnet-agent (inventory)")
	req.Header.Set("Accept", "text/html,*/*;q=0.5")
	resp, err := client.Do(req)
	if err != nil {
		return wire.HTTPInfo{}, nil, false, fmt.Errorf("get %s: %w", u.String(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil && len(body) == 0 {
		return wire.HTTPInfo{}, nil, false, fmt.Errorf("read %s: %w", u.String(), err)
	}
	wantsTLS = scheme == "http" && resp.StatusCode == http.StatusBadRequest &&
		bytes.Contains(bytes.ToUpper(body), []byte("HTTPS"))
	names = siteNames(resp, body)
	return wire.HTTPInfo{
		Port:   port,
		Scheme: scheme,
		Title:  Title(body, resp.Header.Get("Content-Type")),
		Server: clip(resp.Header.Get("Server"), maxTitle),
		Status: resp.StatusCode,
	}, names, wantsTLS, nil
}

// Title extracts the HTML title decoded to UTF-8; "" when there is none.
func Title(body []byte, contentType string) string {
	text := decode(body, contentType)
	z := html.NewTokenizer(strings.NewReader(text))
	inTitle := false
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return clip(strings.Join(strings.Fields(b.String()), " "), maxTitle)
		case html.StartTagToken:
			name, _ := z.TagName()
			if string(name) == "title" {
				inTitle = true
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "title" && inTitle {
				return clip(strings.Join(strings.Fields(b.String()), " "), maxTitle)
			}
		case html.TextToken:
			if inTitle {
				b.Write(z.Text())
			}
		}
	}
}

// decode turns body into UTF-8 by the declared charset, else UTF-8 when
// valid, else GB18030 (a superset of GBK and GB2312).
func decode(body []byte, contentType string) string {
	var enc encoding.Encoding
	if name := declaredCharset(body, contentType); name != "" {
		if e, err := htmlindex.Get(name); err == nil {
			enc = e
		}
		switch strings.ToLower(name) {
		case "gb2312", "gbk", "x-gbk", "cp936", "gb18030", "euc-cn":
			enc = simplifiedchinese.GB18030
		}
	}
	if enc == nil {
		if utf8.Valid(body) {
			return string(body)
		}
		enc = simplifiedchinese.GB18030
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return string(bytes.ToValidUTF8(body, []byte("\uFFFD")))
	}
	return string(out)
}

// declaredCharset returns the charset named by the Content-Type header or a
// <meta> tag within the first 1024 bytes (the HTML5 prescan).
func declaredCharset(body []byte, contentType string) string {
	if _, name, certain := charset.DetermineEncoding(body, contentType); certain && name != "" {
		return name
	}
	// DetermineEncoding is "certain" only for header and BOM; its meta
	// prescan answer is returned as uncertain. Redo the prescan explicitly.
	if i := bytes.Index(bytes.ToLower(body[:min(len(body), 1024)]), []byte("charset=")); i >= 0 {
		rest := body[i+len("charset="):]
		rest = bytes.TrimLeft(rest, `"' `)
		end := bytes.IndexAny(rest, `"' ;/>`)
		if end < 0 {
			end = len(rest)
		}
		return strings.ToLower(string(rest[:end]))
	}
	return ""
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
