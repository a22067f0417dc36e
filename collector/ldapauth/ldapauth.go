// Package ldapauth lets people log in with their directory account
// (OpenLDAP or Active Directory): the collector binds with a service
// account, finds the user by a filter, binds as the user with the password
// given, and maps the user's groups to an egovnet role (and, for a
// department administrator, a department). A user in no mapped group is
// refused: directory membership alone grants nothing.
package ldapauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// RoleMap grants Role (and Department) to members of GroupDN.
type RoleMap struct {
	GroupDN    string
	Role       string
	Department string
}

// Config is auth.ldap.
type Config struct {
	URL          string // ldap://host:389 or ldaps://host:636
	BindDN       string
	BindPassword string
	BaseDN       string
	UserFilter   string // "(uid=%s)"; AD: "(sAMAccountName=%s)"
	StartTLS     bool
	CAFile       string
	Timeout      time.Duration
	Roles        []RoleMap
}

// Result is an authenticated directory user.
type Result struct {
	DN         string
	Role       string
	Department string
	Groups     []string
}

// Errors: ErrRefused covers unknown user and wrong password alike, so a
// caller cannot tell them apart; ErrNoRole means the password was right but
// no mapped group includes the user.
var (
	ErrRefused = errors.New("directory refused the name or password")
	ErrNoRole  = errors.New("directory account is in no group mapped to an egovnet role")
)

// Client authenticates against one directory.
type Client struct{ cfg Config }

// New checks the configuration.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		return nil, fmt.Errorf("auth.ldap.url: %q is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]", cfg.URL)
	}
	if cfg.UserFilter == "" {
		cfg.UserFilter = "(uid=%s)"
	}
	if strings.Count(cfg.UserFilter, "%s") != 1 {
		return nil, fmt.Errorf("auth.ldap.user_filter: %q must contain %%s exactly once", cfg.UserFilter)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Client{cfg: cfg}, nil
}

func (c *Client) dial(ctx context.Context) (*ldap.Conn, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.cfg.CAFile != "" {
		pem, err := os.ReadFile(c.cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read auth.ldap.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("auth.ldap.ca_file %s: no PEM certificate", c.cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	u, _ := url.Parse(c.cfg.URL)
	tc.ServerName = u.Hostname()
	d := &net.Dialer{Timeout: c.cfg.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		d.Deadline = dl
	}
	conn, err := ldap.DialURL(c.cfg.URL, ldap.DialWithDialer(d), ldap.DialWithTLSConfig(tc))
	if err != nil {
		return nil, fmt.Errorf("connect to directory: %w", err)
	}
	conn.SetTimeout(c.cfg.Timeout)
	if c.cfg.StartTLS && u.Scheme == "ldap" {
		if err := conn.StartTLS(tc); err != nil {
			conn.Close()
			return nil, fmt.Errorf("directory StartTLS: %w", err)
		}
	}
	return conn, nil
}

// Authenticate checks name and password against the directory.
func (c *Client) Authenticate(ctx context.Context, name, password string) (Result, error) {
	// An empty password is an unauthenticated bind that many servers
	// answer with success: never let it through.
	if name == "" || password == "" {
		return Result{}, ErrRefused
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	if err := conn.Bind(c.cfg.BindDN, c.cfg.BindPassword); err != nil {
		return Result{}, fmt.Errorf("directory service bind: %w", err)
	}
	filter := fmt.Sprintf(c.cfg.UserFilter, ldap.EscapeFilter(name))
	res, err := conn.Search(ldap.NewSearchRequest(c.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, int(c.cfg.Timeout/time.Second), false,
		filter, []string{"dn", "memberOf"}, nil))
	if err != nil {
		return Result{}, fmt.Errorf("directory user search: %w", err)
	}
	if len(res.Entries) != 1 {
		return Result{}, ErrRefused // none, or ambiguous
	}
	entry := res.Entries[0]
	if err := conn.Bind(entry.DN, password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return Result{}, ErrRefused
		}
		return Result{}, fmt.Errorf("directory user bind: %w", err)
	}
	groups := entry.GetAttributeValues("memberOf")
	if len(groups) == 0 {
		// No memberOf overlay (plain OpenLDAP): ask the groups, as the
		// service account again.
		if err := conn.Bind(c.cfg.BindDN, c.cfg.BindPassword); err != nil {
			return Result{}, fmt.Errorf("directory service bind: %w", err)
		}
		dn := ldap.EscapeFilter(entry.DN)
		gres, err := conn.Search(ldap.NewSearchRequest(c.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, int(c.cfg.Timeout/time.Second), false,
			"(|(member="+dn+")(uniqueMember="+dn+"))", []string{"dn"}, nil))
		if err != nil {
			return Result{}, fmt.Errorf("directory group search: %w", err)
		}
		for _, g := range gres.Entries {
			groups = append(groups, g.DN)
		}
	}
	out := Result{DN: entry.DN, Groups: groups}
	for _, m := range c.cfg.Roles {
		for _, g := range groups {
			if sameDN(g, m.GroupDN) {
				out.Role, out.Department = m.Role, m.Department
				return out, nil
			}
		}
	}
	return out, ErrNoRole
}

func sameDN(a, b string) bool {
	x, err1 := ldap.ParseDN(a)
	y, err2 := ldap.ParseDN(b)
	if err1 != nil || err2 != nil {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return x.EqualFold(y)
}
