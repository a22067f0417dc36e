package httpinfo

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/egovnet/egovnet/internal/wire"
)

// Name sources, as the wire names them.
const (
	SourceCanonical = "http-canonical"
	SourceOGURL     = "http-og-url"
	SourceHost      = "http-host"
	SourceTLS       = "tls"
)

// maxNames bounds the names one page contributes (a certificate may list
// hundreds of SANs; the wire keeps 64 per endpoint).
const maxNames = 16

// siteNames are the host names a site answers for: the page's canonical
// link and og:url, the host a redirect sends to (the server's own name for
// itself), and the certificate's names on TLS. Addresses are not names.
func siteNames(resp *http.Response, body []byte) []wire.Name {
	var out []wire.Name
	add := func(host, src string) {
		host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
		if host == "" || len(host) > 253 || strings.ContainsAny(host, " /\\") || len(out) >= maxNames {
			return
		}
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
			return
		}
		n := wire.Name{Name: host, Source: src}
		for _, o := range out {
			if o == n {
				return
			}
		}
		out = append(out, n)
	}
	canonical, og := PageLinks(body, resp.Header.Get("Content-Type"))
	add(urlHost(canonical), SourceCanonical)
	add(urlHost(og), SourceOGURL)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		add(urlHost(resp.Header.Get("Location")), SourceHost)
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		c := resp.TLS.PeerCertificates[0]
		for _, n := range c.DNSNames {
			add(strings.TrimPrefix(n, "*."), SourceTLS)
		}
		if len(c.DNSNames) == 0 {
			add(c.Subject.CommonName, SourceTLS)
		}
	}
	return out
}

func urlHost(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if strings.HasPrefix(s, "//") {
		s = "http:" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "" // relative: names no host
	}
	return u.Hostname()
}

// PageLinks returns the page's <link rel="canonical" href> and
// <meta property="og:url" content>, "" when absent.
func PageLinks(body []byte, contentType string) (canonical, ogURL string) {
	z := html.NewTokenizer(strings.NewReader(decode(body, contentType)))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return canonical, ogURL
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr || (string(name) != "link" && string(name) != "meta") {
				if string(name) == "body" {
					return canonical, ogURL // links live in <head>
				}
				continue
			}
			attrs := map[string]string{}
			for {
				k, v, more := z.TagAttr()
				attrs[strings.ToLower(string(k))] = string(v)
				if !more {
					break
				}
			}
			switch {
			case string(name) == "link" && canonical == "" && hasToken(attrs["rel"], "canonical"):
				canonical = attrs["href"]
			case string(name) == "meta" && ogURL == "" && strings.EqualFold(attrs["property"], "og:url"):
				ogURL = attrs["content"]
			}
		}
	}
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
