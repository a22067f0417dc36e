// Package labsvc holds the small servers egovnet-lab runs inside lab
// namespaces, so a lab needs no other tools: a TCP listener that sends a
// banner (a database, SSH or VPN concentrator as a sweep sees it), an HTTP
// server whose page has a title (a department website), and a TCP relay that
// carries agents' connections from the management node to the collector on
// the root side of the management link.
package labsvc

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// maxConns bounds concurrent connections per listener: a sweep of thousands
// of AnyIP addresses must not exhaust the machine.
const maxConns = 256

// Listen opens a TCP listener and, once it is open, creates the ready file
// (if any) so that the lab knows the service is up.
func Listen(ctx context.Context, addr, readyFile string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if readyFile != "" {
		if err := os.WriteFile(readyFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			ln.Close()
			return nil, fmt.Errorf("write ready file: %w", err)
		}
	}
	return ln, nil
}

// ServeBanner accepts connections on ln until ctx ends; each one gets the
// banner, then is held open briefly (like a real daemon waiting for a login)
// and closed.
func ServeBanner(ctx context.Context, ln net.Listener, banner string, log *slog.Logger) error {
	return acceptLoop(ctx, ln, log, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if banner != "" {
			if _, err := io.WriteString(c, banner+"\r\n"); err != nil {
				return
			}
		}
		buf := make([]byte, 512)
		_, _ = c.Read(buf)
	})
}

// Page is the HTML a lab website serves; canonical (if any) is the URL the
// site names itself by (link rel=canonical and og:url).
func Page(title, canonical string) string {
	t := html.EscapeString(title)
	head := "<meta charset=\"utf-8\"><title>" + t + "</title>"
	if canonical != "" {
		c := html.EscapeString(canonical)
		head += "<link rel=\"canonical\" href=\"" + c + "\"><meta property=\"og:url\" content=\"" + c + "\">"
	}
	return "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>" + head + "</head><body><h1>" + t + "</h1></body></html>\n"
}

// ServeHTTP serves the page with title on every path until ctx ends.
func ServeHTTP(ctx context.Context, ln net.Listener, title, server, canonical string) error {
	page := Page(title, canonical)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if server != "" {
			w.Header().Set("Server", server)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = io.WriteString(w, page)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(limitListener(ln, maxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}

// ServeRelay copies every connection accepted on ln to target and back.
func ServeRelay(ctx context.Context, ln net.Listener, target string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return acceptLoop(ctx, ln, log, func(c net.Conn) {
		d := net.Dialer{Timeout: 10 * time.Second}
		up, err := d.DialContext(ctx, "tcp4", target)
		if err != nil {
			log.Warn("relay dial failed", "target", target, "err", err)
			return
		}
		defer up.Close()
		var wg sync.WaitGroup
		wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer wg.Done()
			_, _ = io.Copy(dst, src)
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
		}
		go pipe(up, c)
		go pipe(c, up)
		wg.Wait()
	})
}

// acceptLoop serves connections with bounded concurrency until ctx ends.
func acceptLoop(ctx context.Context, ln net.Listener, log *slog.Logger, handle func(net.Conn)) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	sem := make(chan struct{}, maxConns)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			defer c.Close()
			handle(c)
		}()
	}
}

// limitListener caps concurrent connections of an http.Server.
func limitListener(ln net.Listener, n int) net.Listener {
	return &limited{Listener: ln, sem: make(chan struct{}, n)}
}

type limited struct {
	net.Listener
	sem chan struct{}
}

func (l *limited) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &releaseConn{Conn: c, release: func() { <-l.sem }}, nil
}

type releaseConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *releaseConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
