package main

import (
	"github.com/egovnet/egovnet/collector/server"
	"github.com/spf13/cobra"
)

func newServeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve the API (and web UI) until interrupted",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if cfg.PlanFile == "" {
				return server.ErrNoPlan
			}
			app, err := server.Open(ctx, cfg, g.logger(cfg))
			if err != nil {
				return err
			}
			defer app.Close()
			return app.Serve(ctx)
		},
	}
}
