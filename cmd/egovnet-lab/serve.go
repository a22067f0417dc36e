package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/egovnet/egovnet/internal/lab/labsvc"
)

// The serve-* commands run inside lab namespaces, started by `up`.

func newServeTCPCmd() *cobra.Command {
	var addr, banner, ready string
	c := &cobra.Command{
		Use:    "serve-tcp --addr ADDR:PORT [--banner TEXT]",
		Short:  "TCP listener that sends a banner (used inside lab namespaces)",
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := labsvc.Listen(cmd.Context(), addr, ready)
			if err != nil {
				return err
			}
			return labsvc.ServeBanner(cmd.Context(), ln, banner, slog.Default())
		},
	}
	c.Flags().StringVar(&addr, "addr", "", "listen address ADDR:PORT")
	c.Flags().StringVar(&banner, "banner", "", "line sent to every connection")
	c.Flags().StringVar(&ready, "ready", "", "file created once listening")
	_ = c.MarkFlagRequired("addr")
	return c
}

func newServeHTTPCmd() *cobra.Command {
	var addr, title, server, ready string
	c := &cobra.Command{
		Use:    "serve-http --addr ADDR:PORT --title TITLE",
		Short:  "HTTP server with an HTML title (used inside lab namespaces)",
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := labsvc.Listen(cmd.Context(), addr, ready)
			if err != nil {
				return err
			}
			return labsvc.ServeHTTP(cmd.Context(), ln, title, server)
		},
	}
	c.Flags().StringVar(&addr, "addr", "", "listen address ADDR:PORT")
	c.Flags().StringVar(&title, "title", "", "HTML title")
	c.Flags().StringVar(&server, "server", "", "Server header")
	c.Flags().StringVar(&ready, "ready", "", "file created once listening")
	_ = c.MarkFlagRequired("addr")
	_ = c.MarkFlagRequired("title")
	return c
}

func newServeRelayCmd() *cobra.Command {
	var listen, to, ready string
	c := &cobra.Command{
		Use:    "serve-relay --listen ADDR:PORT --to ADDR:PORT",
		Short:  "TCP relay from the management node to the root side of the management link",
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := labsvc.Listen(cmd.Context(), listen, ready)
			if err != nil {
				return err
			}
			return labsvc.ServeRelay(cmd.Context(), ln, to, slog.Default())
		},
	}
	c.Flags().StringVar(&listen, "listen", "", "listen address ADDR:PORT (on the management node)")
	c.Flags().StringVar(&to, "to", "", "target ADDR:PORT (root side of the management link)")
	c.Flags().StringVar(&ready, "ready", "", "file created once listening")
	_ = c.MarkFlagRequired("listen")
	_ = c.MarkFlagRequired("to")
	return c
}
