package main

import (
	"errors"
	"fmt"

	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

// newUserTOTPCmd is `user totp --name N`: enrol (or re-enrol) a user's
// second factor; prints the otpauth:// URI and one-time recovery codes.
func newUserTOTPCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "totp",
		Short: "Give a user a new TOTP second factor: prints an otpauth:// URI for an authenticator app and 10 recovery codes",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if name == "" {
				return cliexit.Usagef("--name is required")
			}
			return g.withApp(c.Context(), false, func(app *server.App) error {
				uri, codes, err := app.EnrollTOTP(c.Context(), name)
				if errors.Is(err, server.ErrUnknownUser) {
					return cliexit.Usagef("--name %s: no such user", name)
				}
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, uri)
				fmt.Fprintln(g.stderr, "扫描上面的 otpauth:// 链接（或生成二维码）加入身份验证器；恢复码每个只能用一次，请离线保存：")
				fmt.Fprintln(g.stderr, "Add the otpauth:// URI above to an authenticator app. Recovery codes, each usable once — keep them offline:")
				for _, code := range codes {
					fmt.Fprintln(g.stderr, "  "+code)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "user name")
	return cmd
}
