// Package web serves the collector's browser UI: a Chinese-first single page
// (zh-CN default, English available) that reads only the public JSON API of
// the CONTRACT, so every number it shows is one a script could fetch too.
// Assets are embedded; nothing is loaded from outside the collector.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Assets returns the embedded files (for tests and packaging).
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	return sub
}

// etags holds a content hash per asset: embedded files carry no modification
// time, so without them every page load would fetch every script again
// (ECharts alone is 1 MB).
var etags = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Assets(), p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m["/"+p] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return m
}()

// Handler serves the UI at / and its assets under /ui/. Every answer carries
// a strict Content-Security-Policy: the page runs only its own script.
func Handler() http.Handler {
	files := http.FileServerFS(Assets())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			h.Set("Cache-Control", "no-store")
			http.ServeFileFS(w, r, Assets(), "index.html")
		case strings.HasPrefix(r.URL.Path, "/ui/"):
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/ui")
			if tag, ok := etags[r2.URL.Path]; ok {
				// Vendored files carry their version in the name and never
				// change; the UI's own files are revalidated (304 when same).
				h.Set("ETag", tag)
				if strings.HasPrefix(r2.URL.Path, "/vendor/") {
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					h.Set("Cache-Control", "no-cache")
				}
			}
			files.ServeHTTP(w, r2)
		default:
			http.NotFound(w, r)
		}
	})
}
