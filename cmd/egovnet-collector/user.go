package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/internal/cliexit"
	"github.com/spf13/cobra"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users", Args: noArgs}
	var name, role, dept string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a user; the password is read twice from stdin",
		Long: "Add a user. Roles: sysadmin, secadmin, auditor, dept-admin (needs --department), viewer.\n" +
			"The password is read from stdin twice (one line each) and must satisfy the password policy:\n" +
			"at least 8 characters using 3 of upper case, lower case, digits and symbols, not containing the user name.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := auth.CheckUser(name, role, dept); err != nil {
				return cliexit.Usage(err)
			}
			return g.withApp(c.Context(), true, func(app *server.App) error {
				if ok, err := app.DepartmentKnown(dept); err != nil {
					return err
				} else if !ok {
					return cliexit.Usagef("department %q is not in the plan %s", dept, app.Config.PlanFile)
				}
				pw, err := readPasswordTwice(g.stdin, g.stderr)
				if err != nil {
					return cliexit.Usage(err)
				}
				if err := auth.CheckPassword(name, pw); err != nil {
					return cliexit.Usage(fmt.Errorf("password refused by the password policy:\n%w", err))
				}
				err = app.Auth.AddUser(c.Context(), auth.User{Name: name, Role: role, Department: dept}, pw, server.Operator())
				if errors.Is(err, auth.ErrUserExists) {
					return cliexit.Usage(err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "added user %s (%s)\n", name, role)
				return nil
			})
		},
	}
	add.Flags().StringVar(&name, "name", "", "user name (required)")
	add.Flags().StringVar(&role, "role", "", "sysadmin, secadmin, auditor, dept-admin or viewer (required)")
	add.Flags().StringVar(&dept, "department", "", "department code (dept-admin only)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return g.withApp(c.Context(), false, func(app *server.App) error {
				users, err := app.Auth.Users(c.Context())
				if err != nil {
					return err
				}
				for _, u := range users {
					fmt.Fprintf(g.stdout, "%s\t%s\t%s\n", u.Name, u.Role, u.Department)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(add, list, newUserTOTPCmd(g))
	return cmd
}

// readPasswordTwice reads two lines; they must match. Prompts go to stderr
// only when stdin is a terminal (scripts pipe "pw\npw\n").
func readPasswordTwice(in io.Reader, prompt io.Writer) (string, error) {
	tty := false
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	r := bufio.NewReader(in)
	read := func(label string) (string, error) {
		if tty {
			fmt.Fprint(prompt, label)
		}
		line, err := r.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	first, err := read("Password: ")
	if err != nil {
		return "", err
	}
	second, err := read("Repeat password: ")
	if err != nil {
		return "", errors.New("read password from stdin: the password must be given twice (two lines)")
	}
	if first != second {
		return "", errors.New("the two passwords differ")
	}
	return first, nil
}
