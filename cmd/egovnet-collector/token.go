package main

import (
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage agent enrolment tokens", Args: noArgs}
	var dept string
	var ttl time.Duration
	var uses int
	create := &cobra.Command{
		Use:   "create",
		Short: "Print a new enrolment token for a department of the plan",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if dept == "" {
				return cliexit.Usagef("--department is required")
			}
			if uses < 1 {
				return cliexit.Usagef("--uses must be at least 1 (got %d)", uses)
			}
			return g.withApp(ctx, true, func(app *server.App) error {
				if ok, err := app.DepartmentKnown(dept); err != nil {
					return err
				} else if !ok {
					return cliexit.Usagef("department %q is not in the plan %s", dept, app.Config.PlanFile)
				}
				if !c.Flags().Changed("ttl") {
					ttl = app.Config.Auth.TokenTTL
				}
				if ttl <= 0 {
					return cliexit.Usagef("--ttl must be positive (got %s)", ttl)
				}
				secret, tok, err := app.Auth.CreateToken(ctx, dept, ttl, uses, server.Operator())
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, secret)
				fmt.Fprintf(g.stderr, "token %s for %s: %d use(s), expires %s\n", tok.ID, dept, tok.UsesLeft, tok.ExpiresAt.Format(time.RFC3339))
				return nil
			})
		},
	}
	create.Flags().StringVar(&dept, "department", "", "department code from the plan (required)")
	create.Flags().DurationVar(&ttl, "ttl", 0, "validity (default auth.token_ttl, 168h)")
	create.Flags().IntVar(&uses, "uses", 1, "number of enrolments the token allows")

	list := &cobra.Command{
		Use:   "list",
		Short: "List enrolment tokens (never their secrets)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return g.withApp(c.Context(), false, func(app *server.App) error {
				toks, err := app.Auth.Tokens(c.Context())
				if err != nil {
					return err
				}
				tw := newTable(g.stdout, "ID\tDEPARTMENT\tUSES LEFT\tEXPIRES\tREVOKED\tCREATED BY")
				for _, t := range toks {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%v\t%s\n", t.ID, t.Department, t.UsesLeft, t.ExpiresAt.Format(time.RFC3339), t.Revoked, t.CreatedBy)
				}
				return tw.Flush()
			})
		},
	}
	var id string
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke an enrolment token by id",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if id == "" {
				return cliexit.Usagef("--id is required")
			}
			return g.withApp(c.Context(), false, func(app *server.App) error {
				if err := app.Auth.RevokeToken(c.Context(), id, server.Operator()); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "revoked token %s\n", id)
				return nil
			})
		},
	}
	revoke.Flags().StringVar(&id, "id", "", "token id (from token list)")
	cmd.AddCommand(create, list, revoke)
	return cmd
}
