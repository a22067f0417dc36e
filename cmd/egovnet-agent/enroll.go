package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/version"
)

func newEnrollCmd() *cobra.Command {
	var collector, token, caFile, cfgFile string
	cmd := &cobra.Command{
		Use:   "enroll --collector URL --token T [--ca-file F]",
		Short: "Exchange an enrolment token for this agent's credential (stored in the data dir, mode 0600)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := agentconfig.Load(config.New(), cfgFile)
			if err != nil {
				return cliexit.Usage(err)
			}
			var problems []error
			if collector == "" {
				collector = cfg.Collector.URL
			}
			if collector == "" {
				problems = append(problems, errors.New("--collector URL is required"))
			}
			if strings.TrimSpace(token) == "" {
				problems = append(problems, errors.New("--token is required"))
			}
			if caFile == "" {
				caFile = cfg.Collector.CAFile
			}
			if caFile != "" {
				if _, err := os.Stat(caFile); err != nil {
					problems = append(problems, fmt.Errorf("--ca-file: %w", err))
				}
			}
			var cl *uplink.Client
			if collector != "" {
				cl, err = uplink.New(collector, uplink.Options{CAFile: caFile, Retries: 2, UserAgent: "egovnet-agent/" + version.Version})
				if err != nil {
					problems = append(problems, err)
				}
			}
			if len(problems) > 0 {
				return cliexit.Usage(errors.Join(problems...))
			}
			host, _ := os.Hostname()
			resp, err := cl.Enroll(cmd.Context(), uplink.EnrollRequest{Token: strings.TrimSpace(token), Hostname: host, AgentVersion: version.Version})
			if err != nil {
				return err
			}
			if prev, err := uplink.LoadIdentity(cfg.DataDir); err == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "replacing the previous enrolment (agent %s)\n", prev.AgentID)
			}
			id := uplink.Identity{AgentID: resp.AgentID, Credential: config.Secret(resp.Credential), Collector: collector, CAFile: caFile, Department: resp.Department, ReleaseKey: resp.ReleaseKey}
			if err := uplink.SaveIdentity(cfg.DataDir, id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "enrolled as agent %s; credential stored in %s\n", resp.AgentID, cfg.DataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&collector, "collector", "", "collector base URL, e.g. https://collector.example:8443")
	cmd.Flags().StringVar(&token, "token", "", "enrolment token (from egovnet-collector token create)")
	cmd.Flags().StringVar(&caFile, "ca-file", "", "PEM file of the CA that signed the collector's certificate")
	cmd.Flags().StringVar(&cfgFile, "config", "", "agent config file (for data_dir); optional")
	return cmd
}
