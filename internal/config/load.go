// Package config loads a binary's configuration with viper the one way the
// project allows: one viper instance per binary, env prefix EGOVNET_, a
// default for every key (viper ignores env vars for keys it does not know,
// viper #761), strict decoding so typos are errors, and list keys that take
// comma-separated values from the environment.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// EnvPrefix is the prefix of every environment override.
const EnvPrefix = "EGOVNET"

// New returns the binary's viper instance with env overrides wired.
func New() *viper.Viper {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	return v
}

// Load sets defaults (flattened dotted keys), reads file when given, and
// decodes strictly into out. Every key in defaults is bound to its env var
// so EGOVNET_STORE_DSN and friends are honoured even when the file lacks them.
func Load(v *viper.Viper, file string, defaults map[string]any, out any) error {
	for k, val := range defaults {
		v.SetDefault(k, val)
		if err := v.BindEnv(k); err != nil {
			return fmt.Errorf("bind env for %s: %w", k, err)
		}
	}
	// A file that cannot be read is one problem; defaults and environment
	// are still decoded so the caller's Validate sees a whole config.
	var readErr error
	if file != "" {
		if _, err := os.Stat(file); err != nil {
			readErr = fmt.Errorf("read config %s: %w", file, err)
		} else {
			v.SetConfigFile(file)
			if err := v.ReadInConfig(); err != nil {
				readErr = fmt.Errorf("read config %s: %w", file, err)
			}
		}
	}
	// Keys in the file that no default names are typos or stale: name them,
	// and still decode the rest so the caller's Validate can name every
	// other problem in the same run (CONTRACT: every problem named).
	var errs []error
	if readErr != nil {
		errs = append(errs, readErr)
	}
	for _, k := range v.AllKeys() {
		if _, ok := defaults[k]; ok {
			continue
		}
		if hasPrefixKey(defaults, k) {
			continue
		}
		errs = append(errs, fmt.Errorf("unknown config key %q", k))
	}
	opt := func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			commaListHook,
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.TextUnmarshallerHookFunc(),
		)
		dc.TagName = "mapstructure"
	}
	// UnmarshalExact also catches unknown fields inside list items (snmp.v3
	// users); with top-level unknown keys already named it would only repeat
	// them, so then the plain decoder fills what it can.
	var err error
	if len(errs) == 0 {
		err = v.UnmarshalExact(out, opt)
	} else {
		err = v.Unmarshal(out, opt)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("decode config: %w", err))
	}
	return errors.Join(errs...)
}

// hasPrefixKey accepts keys below a default that is itself a map or list of
// structs (e.g. snmp.v3 is a list; its items have sub-keys).
func hasPrefixKey(defaults map[string]any, k string) bool {
	for d := range defaults {
		if strings.HasPrefix(k, d+".") {
			return true
		}
	}
	return false
}

// commaListHook turns "a,b" (from the environment) into a string or int slice.
func commaListHook(from reflect.Type, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice {
		return data, nil
	}
	s := strings.TrimSpace(data.(string))
	if s == "" {
		return []string{}, nil
	}
	// A list of maps (notify.webhooks, snmp.v3) cannot be comma-separated:
	// the environment gives it as a JSON array.
	if k := to.Elem().Kind(); (k == reflect.Struct || k == reflect.Map) && strings.HasPrefix(s, "[") {
		var items []any
		if err := json.Unmarshal([]byte(s), &items); err != nil {
			return nil, fmt.Errorf("a list of maps from the environment must be a JSON array: %w", err)
		}
		return items, nil
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// Secret is a string that never prints: logs and %v show <secret>.
type Secret string

// String redacts.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<secret>"
}

// GoString redacts for %#v too.
func (s Secret) GoString() string { return s.String() }

// MarshalText redacts, so a config dumped as JSON or YAML leaks nothing.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value for the one place that must use it.
func (s Secret) Reveal() string { return string(s) }
