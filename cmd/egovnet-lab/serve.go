package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/lab/labsvc"
)

// The serve-* commands run inside lab namespaces, started by `up`.

// newListenCmd builds a hidden serve-* command: it listens on the address
// given by the required flag listenFlag, creates the --ready file once
// listening and then hands the listener to serve. Extra flags are added by
// the caller on the returned command.
func newListenCmd(use, short, listenFlag, listenUsage string, serve func(ctx context.Context, ln net.Listener) error) *cobra.Command {
	var addr, ready string
	c := &cobra.Command{
		Use:    use,
		Short:  short,
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := labsvc.Listen(cmd.Context(), addr, ready)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), ln)
		},
	}
	c.Flags().StringVar(&addr, listenFlag, "", listenUsage)
	c.Flags().StringVar(&ready, "ready", "", "file created once listening")
	_ = c.MarkFlagRequired(listenFlag)
	return c
}

func newServeTCPCmd() *cobra.Command {
	var banner string
	c := newListenCmd("serve-tcp --addr ADDR:PORT [--banner TEXT]",
		"TCP listener that sends a banner (used inside lab namespaces)",
		"addr", "listen address ADDR:PORT",
		func(ctx context.Context, ln net.Listener) error {
			return labsvc.ServeBanner(ctx, ln, banner, slog.Default())
		})
	c.Flags().StringVar(&banner, "banner", "", "line sent to every connection")
	return c
}

func newServeHTTPCmd() *cobra.Command {
	var title, server, canonical string
	c := newListenCmd("serve-http --addr ADDR:PORT --title TITLE",
		"HTTP server with an HTML title (used inside lab namespaces)",
		"addr", "listen address ADDR:PORT",
		func(ctx context.Context, ln net.Listener) error {
			return labsvc.ServeHTTP(ctx, ln, title, server, canonical)
		})
	c.Flags().StringVar(&title, "title", "", "HTML title")
	c.Flags().StringVar(&server, "server", "", "Server header")
	c.Flags().StringVar(&canonical, "canonical", "", "the page's canonical URL (link rel=canonical, og:url)")
	_ = c.MarkFlagRequired("title")
	return c
}

func newServeRelayCmd() *cobra.Command {
	var to string
	c := newListenCmd("serve-relay --listen ADDR:PORT --to ADDR:PORT",
		"TCP relay from the management node to the root side of the management link",
		"listen", "listen address ADDR:PORT (on the management node)",
		func(ctx context.Context, ln net.Listener) error {
			return labsvc.ServeRelay(ctx, ln, to, slog.Default())
		})
	c.Flags().StringVar(&to, "to", "", "target ADDR:PORT (root side of the management link)")
	_ = c.MarkFlagRequired("to")
	return c
}

func newServeDNSCmd() *cobra.Command {
	var addr, ready string
	var records, noPTR []string
	c := &cobra.Command{
		Use:    "serve-dns --addr ADDR:PORT --record NAME=IPV4...",
		Short:  "Authoritative DNS responder for A and PTR records (used inside lab namespaces)",
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			skip := map[string]bool{}
			for _, n := range noPTR {
				skip[n] = true
			}
			z, err := labsvc.NewZone(records, skip)
			if err != nil {
				return cliexit.Usage(err)
			}
			var lc net.ListenConfig
			pc, err := lc.ListenPacket(cmd.Context(), "udp4", addr)
			if err != nil {
				return fmt.Errorf("listen %s: %w", addr, err)
			}
			if ready != "" {
				if err := os.WriteFile(ready, []byte(pc.LocalAddr().String()+"\n"), 0o644); err != nil {
					return fmt.Errorf("write ready file: %w", err)
				}
			}
			return labsvc.ServeDNS(cmd.Context(), pc, z)
		},
	}
	c.Flags().StringVar(&addr, "addr", "", "listen address ADDR:PORT (UDP)")
	c.Flags().StringVar(&ready, "ready", "", "file created once listening")
	c.Flags().StringArrayVar(&records, "record", nil, "NAME=IPV4 (A record, and its PTR)")
	c.Flags().StringArrayVar(&noPTR, "no-ptr", nil, "NAME that gets no PTR record")
	_ = c.MarkFlagRequired("addr")
	return c
}
