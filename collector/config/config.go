// Package config is the collector's configuration: the keys the CONTRACT
// fixes plus the limits and timeouts production needs, their defaults, and a
// validation that names every problem at once so an operator fixes a broken
// file in one pass instead of one error per restart.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	iconfig "github.com/egovnet/egovnet/internal/config"
)

// MinAuditRetention is the shortest audit-log retention allowed: 网络安全法
// art. 21 requires network logs to be kept at least six months.
const MinAuditRetention = 180 * 24 * time.Hour

// Config is the whole collector configuration.
type Config struct {
	Listen   string `mapstructure:"listen"`
	DataDir  string `mapstructure:"data_dir"`
	PlanFile string `mapstructure:"plan_file"`
	TLS      TLS    `mapstructure:"tls"`
	Store    Store  `mapstructure:"store"`
	Influx   Influx `mapstructure:"influx"`
	Export   Export `mapstructure:"export"`
	Rules    Rules  `mapstructure:"rules"`
	Log      Log    `mapstructure:"log"`
	Limits   Limits `mapstructure:"limits"`
	Auth     Auth   `mapstructure:"auth"`
	Audit    Audit  `mapstructure:"audit"`
	// Raw report retention (issue 16).
	Inventory Inventory `mapstructure:"inventory"`
	HTTP      HTTP      `mapstructure:"http"`
	// Notifications and metrics (issue #17).
	Notify  Notify  `mapstructure:"notify"`
	Metrics Metrics `mapstructure:"metrics"`
	// Agents managed from the centre (issue #15).
	Fleet Fleet `mapstructure:"fleet"`
}

// Fleet configures central agent management. The key files default to the
// data dir; several collectors on one PostgreSQL must share them.
type Fleet struct {
	PollInterval    time.Duration `mapstructure:"poll_interval"`
	DefaultInterval time.Duration `mapstructure:"default_interval"`
	SealKeyFile     string        `mapstructure:"seal_key_file"`
	ReleaseKeyFile  string        `mapstructure:"release_key_file"`
}

// Notify configures where events go (CONTRACT "Notifications").
type Notify struct {
	Webhooks []Webhook `mapstructure:"webhooks"`
	Syslog   Syslog    `mapstructure:"syslog"`
	SMTP     SMTP      `mapstructure:"smtp"`
	// Interval between dispatcher passes; MaxAttempts before a delivery is
	// given up (it stays in the outbox, marked dead); AgentSilentAfter: no
	// report for this long raises agent.silent (0 disables).
	Interval         time.Duration `mapstructure:"interval"`
	MaxAttempts      int           `mapstructure:"max_attempts"`
	AgentSilentAfter time.Duration `mapstructure:"agent_silent_after"`
}

// NotifyRoute selects events for one sink; empty lists mean all.
type NotifyRoute struct {
	Events      []string `mapstructure:"events"`
	Departments []string `mapstructure:"departments"`
	MinSeverity string   `mapstructure:"min_severity"`
}

// Webhook is one HTTP receiver; Secret signs every body (HMAC-SHA256).
type Webhook struct {
	URL         string         `mapstructure:"url"`
	Secret      iconfig.Secret `mapstructure:"secret"`
	NotifyRoute `mapstructure:",squash"`
}

// Syslog is the SOC's receiver: udp://, tcp:// or tls://HOST:PORT.
type Syslog struct {
	Address     string `mapstructure:"address"`
	Facility    string `mapstructure:"facility"`
	CAFile      string `mapstructure:"ca_file"`
	NotifyRoute `mapstructure:",squash"`
}

// SMTP sends mail.
type SMTP struct {
	Address     string         `mapstructure:"address"`
	From        string         `mapstructure:"from"`
	To          []string       `mapstructure:"to"`
	Username    string         `mapstructure:"username"`
	Password    iconfig.Secret `mapstructure:"password"`
	RequireTLS  bool           `mapstructure:"require_tls"`
	NotifyRoute `mapstructure:",squash"`
}

// Metrics configures GET /metrics. Token, when set, must be presented as a
// bearer token; Enabled false removes the route.
type Metrics struct {
	Enabled bool           `mapstructure:"enabled"`
	Token   iconfig.Secret `mapstructure:"token"`
}

// TLS configures HTTPS. Disable must be set explicitly to serve plain HTTP
// on a non-loopback address.
type TLS struct {
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	Disable  bool   `mapstructure:"disable"`
}

// Store selects the database.
type Store struct {
	Driver string         `mapstructure:"driver"`
	DSN    iconfig.Secret `mapstructure:"dsn"`
}

// Influx is the optional time-series sink.
type Influx struct {
	URL       string         `mapstructure:"url"`
	Token     iconfig.Secret `mapstructure:"token"`
	Org       string         `mapstructure:"org"`
	Bucket    string         `mapstructure:"bucket"`
	OutboxMax int            `mapstructure:"outbox_max"`
	BatchSize int            `mapstructure:"batch_size"`
	Timeout   time.Duration  `mapstructure:"timeout"`
}

// Export configures document exports.
type Export struct {
	// FontFile is a CJK TrueType font (.ttf or .ttc) for PDF exports; empty
	// means the usual system font paths.
	FontFile string `mapstructure:"font_file"`
	// H-export (#10 export memory, #17 export integrity):
	// SigningKeyFile is the SM2 key that seals exports; empty is
	// <data_dir>/export-signing-key.pem, generated on first use.
	SigningKeyFile string `mapstructure:"signing_key_file"`
	// MaxPDFRows caps the rows of a PDF export (larger exports: CSV/XLSX).
	MaxPDFRows int `mapstructure:"max_pdf_rows"`
	// MaxConcurrent bounds the exports rendered at once; more get 429.
	MaxConcurrent int `mapstructure:"max_concurrent"`
	// SpoolDir holds HTTP exports while they are sealed; empty is the
	// system temp directory.
	SpoolDir string `mapstructure:"spool_dir"`
}

// SigningKeyPath is the export signing key's path.
func (c *Config) SigningKeyPath() string {
	if c.Export.SigningKeyFile != "" {
		return c.Export.SigningKeyFile
	}
	return filepath.Join(c.DataDir, "export-signing-key.pem")
}

// Rules parameterises the violation lifecycle.
type Rules struct {
	ResolveAfter int `mapstructure:"resolve_after"`
	// PatternsFile optionally replaces detection patterns (line-naming
	// aliases, tunnel interface types, management-UI titles) with a YAML
	// file, so a district can match its carriers' circuit names.
	PatternsFile string `mapstructure:"patterns_file"`
	// FactsHorizon (H-facts, issue #10 item 4): an agent's latest report
	// older than this, measured back from the scan being judged, no longer
	// keeps findings alive; 0 keeps every agent's latest report however
	// old (the offline audit's view).
	FactsHorizon time.Duration `mapstructure:"facts_horizon"`
	// BatchAbove (issue 16): a department whose judgement reads at least
	// this many facts (endpoints, ARP entries, routes, FDB entries) is
	// judged once every BatchInterval for all its scans meanwhile, not on
	// every report, so a report's cost does not grow with its department;
	// 0 judges every report inline.
	BatchAbove    int           `mapstructure:"batch_above"`
	BatchInterval time.Duration `mapstructure:"batch_interval"`
	// BatchUnderLoad: a report that arrives while others are being
	// ingested is judged with its department's next batch too, so
	// concurrent uploads share one judgement per department per
	// BatchInterval; an idle collector still judges small departments on
	// arrival.
	BatchUnderLoad bool `mapstructure:"batch_under_load"`
	// MaxJudgementLag bounds how far a department's batched judgement may
	// fall behind its uploads: while its oldest queued scan has waited
	// longer, its uploads are answered 503 with Retry-After (agents keep
	// the report and send it later), so a load the judgement cannot keep
	// up with slows the agents down instead of growing the queue without
	// end; 0 sets no bound.
	MaxJudgementLag time.Duration `mapstructure:"max_judgement_lag"`
}

// Log configures slog.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// Limits bound every input.
type Limits struct {
	MaxReportBytes  int64 `mapstructure:"max_report_bytes"`
	MaxRequestBytes int64 `mapstructure:"max_request_bytes"`
	// MaxConcurrentReports bounds the memory of reports decoded and
	// stored at once: this many of max_report_bytes, or more smaller ones
	// in the same budget of body bytes; further uploads wait their turn.
	MaxConcurrentReports int `mapstructure:"max_concurrent_reports"`
}

// MaxReportBytesLimit bounds limits.max_report_bytes: far above any real
// report, and low enough that the upload budget (max_concurrent_reports ×
// max_report_bytes) cannot overflow.
const MaxReportBytesLimit = 4 << 30

// Auth configures users, sessions and login-failure handling.
type Auth struct {
	SessionTTL       time.Duration `mapstructure:"session_ttl"`
	MaxLoginFailures int           `mapstructure:"max_login_failures"`
	LockoutDuration  time.Duration `mapstructure:"lockout_duration"`
	TokenTTL         time.Duration `mapstructure:"token_ttl"`
	// Second factor and directory login (issue #17).
	TOTP TOTP `mapstructure:"totp"`
	LDAP LDAP `mapstructure:"ldap"`
}

// TOTP names the roles that must log in with a one-time code (等级保护
// level 3: two factors for administrators); HTTP Basic is refused for them.
type TOTP struct {
	RequiredRoles []string `mapstructure:"required_roles"`
	Issuer        string   `mapstructure:"issuer"`
}

// LDAP is directory login; URL empty disables it.
type LDAP struct {
	URL          string         `mapstructure:"url"`
	BindDN       string         `mapstructure:"bind_dn"`
	BindPassword iconfig.Secret `mapstructure:"bind_password"`
	BaseDN       string         `mapstructure:"base_dn"`
	UserFilter   string         `mapstructure:"user_filter"`
	StartTLS     bool           `mapstructure:"start_tls"`
	CAFile       string         `mapstructure:"ca_file"`
	Timeout      time.Duration  `mapstructure:"timeout"`
	Roles        []LDAPRole     `mapstructure:"roles"`
}

// LDAPRole grants Role (and Department, for dept-admin) to a group.
type LDAPRole struct {
	GroupDN    string `mapstructure:"group_dn"`
	Role       string `mapstructure:"role"`
	Department string `mapstructure:"department"`
}

// Inventory configures how long scan reports are kept whole.
type Inventory struct {
	// RawRetention: a report received longer ago is compacted to its
	// header (who, when, scope), unless still needed whole: pending, the
	// newest of its department or agent, or the rules engine's kept facts.
	// 0 keeps every report whole. At least rules.facts_horizon, so every
	// report that can still keep findings alive is whole.
	RawRetention time.Duration `mapstructure:"raw_retention"`
}

// Audit configures the hash-chained audit log.
type Audit struct {
	Retention time.Duration `mapstructure:"retention"`
}

// HTTP holds server timeouts.
type HTTP struct {
	ReadHeaderTimeout time.Duration `mapstructure:"read_header_timeout"`
	ReadTimeout       time.Duration `mapstructure:"read_timeout"`
	WriteTimeout      time.Duration `mapstructure:"write_timeout"`
	IdleTimeout       time.Duration `mapstructure:"idle_timeout"`
	ShutdownTimeout   time.Duration `mapstructure:"shutdown_timeout"`
}

// Defaults returns a default for every key (internal/config binds each to
// its EGOVNET_ variable, so every key is overridable from the environment).
func Defaults() map[string]any {
	return map[string]any{
		"listen":            "127.0.0.1:8080",
		"data_dir":          "./data",
		"plan_file":         "",
		"tls.cert_file":     "",
		"tls.key_file":      "",
		"tls.disable":       false,
		"store.driver":      "sqlite",
		"store.dsn":         "",
		"influx.url":        "",
		"influx.token":      "",
		"influx.org":        "",
		"influx.bucket":     "",
		"influx.outbox_max": 100000,
		"influx.batch_size": 1000,
		"influx.timeout":    "20s",
		"export.font_file":  "",
		// H-export (#10, #17)
		"export.signing_key_file": "",
		"export.max_pdf_rows":     5000,
		"export.max_concurrent":   2,
		"export.spool_dir":        "",
		"rules.resolve_after":     3,
		"rules.patterns_file":     "",
		// H-facts: aging of facts
		"rules.facts_horizon":           72 * time.Hour,
		"rules.batch_above":             5000,
		"rules.batch_interval":          2 * time.Second,
		"rules.batch_under_load":        true,
		"rules.max_judgement_lag":       30 * time.Second,
		"log.level":                     "info",
		"log.format":                    "text",
		"limits.max_report_bytes":       int64(64 << 20),
		"limits.max_request_bytes":      int64(1 << 20),
		"limits.max_concurrent_reports": 4,
		"auth.session_ttl":              "8h",
		"auth.max_login_failures":       5,
		"auth.lockout_duration":         "30m",
		"auth.token_ttl":                "168h",
		"auth.totp.required_roles":      []string{"sysadmin", "secadmin", "auditor"},
		"auth.totp.issuer":              "egovnet",
		"auth.ldap.url":                 "",
		"auth.ldap.bind_dn":             "",
		"auth.ldap.bind_password":       "",
		"auth.ldap.base_dn":             "",
		"auth.ldap.user_filter":         "(uid=%s)",
		"auth.ldap.start_tls":           false,
		"auth.ldap.ca_file":             "",
		"auth.ldap.timeout":             "10s",
		"auth.ldap.roles":               []map[string]any{},
		"audit.retention":               "4320h",
		"inventory.raw_retention":       "2160h",
		"http.read_header_timeout":      "10s",
		"http.read_timeout":             "5m",
		"http.write_timeout":            "5m",
		"http.idle_timeout":             "2m",
		"http.shutdown_timeout":         "30s",
		// Notifications and metrics (issue #17).
		"notify.webhooks":            []map[string]any{},
		"notify.syslog.address":      "",
		"notify.syslog.facility":     "local0",
		"notify.syslog.ca_file":      "",
		"notify.syslog.events":       []string{},
		"notify.syslog.departments":  []string{},
		"notify.syslog.min_severity": "low",
		"notify.smtp.address":        "",
		"notify.smtp.from":           "",
		"notify.smtp.to":             []string{},
		"notify.smtp.username":       "",
		"notify.smtp.password":       "",
		"notify.smtp.require_tls":    false,
		"notify.smtp.events":         []string{},
		"notify.smtp.departments":    []string{},
		"notify.smtp.min_severity":   "low",
		"notify.interval":            "5s",
		"notify.max_attempts":        20,
		"notify.agent_silent_after":  "2h",
		"metrics.enabled":            true,
		"metrics.token":              "",
		// Agents managed from the centre (issue #15).
		"fleet.poll_interval":    "30s",
		"fleet.default_interval": "1h",
		"fleet.seal_key_file":    "",
		"fleet.release_key_file": "",
	}
}

// Load reads file (may be empty: defaults and environment only), decodes it
// strictly and validates it. Every problem is in the returned error.
func Load(file string) (*Config, error) {
	var c Config
	lerr := iconfig.Load(iconfig.New(), file, Defaults(), &c)
	// Validate even when decoding found problems: one run names them all.
	if err := errors.Join(lerr, c.Validate()); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate returns every problem joined, or nil.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		bad("listen", "%q is not host:port: %v", c.Listen, err)
	} else if port == "" {
		bad("listen", "%q has no port", c.Listen)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data_dir", "required")
	}
	if c.TLS.CertFile != "" && c.TLS.KeyFile == "" || c.TLS.CertFile == "" && c.TLS.KeyFile != "" {
		bad("tls", "cert_file and key_file must be set together")
	}
	if err == nil && !c.TLS.Disable && c.TLS.CertFile == "" && !IsLoopback(host) {
		bad("tls", "listen %q is not a loopback address: set tls.cert_file and tls.key_file, or tls.disable: true to serve plain HTTP deliberately", c.Listen)
	}
	switch c.Store.Driver {
	case "sqlite":
	case "postgres":
		if c.Store.DSN == "" {
			bad("store.dsn", "required when store.driver is postgres")
		}
	default:
		bad("store.driver", "%q is not sqlite or postgres", c.Store.Driver)
	}
	if c.Influx.URL != "" {
		if !strings.HasPrefix(c.Influx.URL, "http://") && !strings.HasPrefix(c.Influx.URL, "https://") {
			bad("influx.url", "%q is not an http(s) URL", c.Influx.URL)
		}
		if c.Influx.Bucket == "" {
			bad("influx.bucket", "required when influx.url is set")
		}
	}
	if c.Export.MaxPDFRows < 1 || c.Export.MaxPDFRows > 1_000_000 {
		bad("export.max_pdf_rows", "must be in 1..1000000 (got %d)", c.Export.MaxPDFRows)
	}
	if c.Export.MaxConcurrent < 1 || c.Export.MaxConcurrent > 64 {
		bad("export.max_concurrent", "must be in 1..64 (got %d)", c.Export.MaxConcurrent)
	}
	if c.Rules.ResolveAfter < 1 {
		bad("rules.resolve_after", "must be at least 1 (got %d)", c.Rules.ResolveAfter)
	}
	if c.Rules.FactsHorizon < 0 {
		bad("rules.facts_horizon", "must not be negative (got %s)", c.Rules.FactsHorizon)
	}
	if c.Rules.BatchAbove < 0 {
		bad("rules.batch_above", "must be 0 (judge every report inline) or a number of facts (got %d)", c.Rules.BatchAbove)
	}
	if c.Rules.BatchInterval < 100*time.Millisecond || c.Rules.BatchInterval > 10*time.Minute {
		bad("rules.batch_interval", "must be between 100ms and 10m (got %s)", c.Rules.BatchInterval)
	}
	// Below three intervals the bound would refuse uploads while the
	// judgement is merely on schedule (a queued scan waits up to one
	// interval, plus the judgement itself).
	if lag := c.Rules.MaxJudgementLag; lag != 0 && (lag < 3*c.Rules.BatchInterval || lag > 24*time.Hour) {
		bad("rules.max_judgement_lag", "must be 0 (no bound) or between 3 × rules.batch_interval (%s) and 24h (got %s)", 3*c.Rules.BatchInterval, lag)
	}
	if _, err := ParseLevel(c.Log.Level); err != nil {
		bad("log.level", "%v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	if c.Limits.MaxReportBytes < 1024 || c.Limits.MaxReportBytes > MaxReportBytesLimit {
		bad("limits.max_report_bytes", "must be between 1024 and %d (4 GiB) (got %d)", int64(MaxReportBytesLimit), c.Limits.MaxReportBytes)
	}
	if c.Limits.MaxRequestBytes < 1024 {
		bad("limits.max_request_bytes", "must be at least 1024 (got %d)", c.Limits.MaxRequestBytes)
	}
	if c.Limits.MaxConcurrentReports < 1 || c.Limits.MaxConcurrentReports > 1024 {
		bad("limits.max_concurrent_reports", "must be in 1..1024 (got %d)", c.Limits.MaxConcurrentReports)
	}
	if c.Auth.SessionTTL < time.Minute {
		bad("auth.session_ttl", "must be at least 1m (got %s)", c.Auth.SessionTTL)
	}
	if c.Auth.MaxLoginFailures < 1 || c.Auth.MaxLoginFailures > 100 {
		bad("auth.max_login_failures", "must be in 1..100 (got %d)", c.Auth.MaxLoginFailures)
	}
	if c.Auth.LockoutDuration < time.Minute {
		bad("auth.lockout_duration", "must be at least 1m (got %s)", c.Auth.LockoutDuration)
	}
	if c.Auth.TokenTTL < time.Minute {
		bad("auth.token_ttl", "must be at least 1m (got %s)", c.Auth.TokenTTL)
	}
	if c.Inventory.RawRetention < 0 {
		bad("inventory.raw_retention", "must not be negative (got %s)", c.Inventory.RawRetention)
	} else if c.Inventory.RawRetention != 0 && c.Inventory.RawRetention < c.Rules.FactsHorizon {
		bad("inventory.raw_retention", "must be 0 (keep whole) or at least rules.facts_horizon (%s), got %s", c.Rules.FactsHorizon, c.Inventory.RawRetention)
	}
	if c.Audit.Retention != 0 && c.Audit.Retention < MinAuditRetention {
		bad("audit.retention", "must be 0 (keep forever) or at least %s (网络安全法 art. 21: six months), got %s", MinAuditRetention, c.Audit.Retention)
	}
	for key, d := range map[string]time.Duration{
		"http.read_header_timeout": c.HTTP.ReadHeaderTimeout, "http.read_timeout": c.HTTP.ReadTimeout,
		"http.write_timeout": c.HTTP.WriteTimeout, "http.idle_timeout": c.HTTP.IdleTimeout,
		"http.shutdown_timeout": c.HTTP.ShutdownTimeout,
	} {
		if d <= 0 {
			bad(key, "must be positive (got %s)", d)
		}
	}
	errs = append(errs, c.Notify.validate()...)
	errs = append(errs, c.Auth.validateIdentity()...)
	if c.Fleet.PollInterval < time.Second {
		bad("fleet.poll_interval", "must be at least 1s (got %s)", c.Fleet.PollInterval)
	}
	if c.Fleet.DefaultInterval < time.Minute {
		bad("fleet.default_interval", "must be at least 1m (got %s)", c.Fleet.DefaultInterval)
	}
	sortErrs(errs)
	return errors.Join(errs...)
}

// sortErrs orders problems by text so messages are stable (the timeout
// checks iterate a map).
func sortErrs(errs []error) {
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Error() < errs[j-1].Error(); j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

// IsLoopback reports whether a listen host is a loopback address (or
// "localhost"). An empty host means every interface, which is not loopback.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// TLSEnabled reports whether the server speaks HTTPS.
func (c *Config) TLSEnabled() bool { return !c.TLS.Disable && c.TLS.CertFile != "" }

// PlainHTTPOverride reports whether plain HTTP is served on a non-loopback
// address because tls.disable is set (logged at every start).
func (c *Config) PlainHTTPOverride() bool {
	host, _, err := net.SplitHostPort(c.Listen)
	return err == nil && !c.TLSEnabled() && !IsLoopback(host)
}

// ParseLevel turns log.level into a slog level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}
