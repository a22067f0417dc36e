package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type testCfg struct {
	Listen string `mapstructure:"listen"`
	Scope  struct {
		Targets []string `mapstructure:"targets"`
		Ports   []int    `mapstructure:"ports"`
	} `mapstructure:"scope"`
	Interval time.Duration `mapstructure:"interval"`
	Token    Secret        `mapstructure:"token"`
}

func defaults() map[string]any {
	return map[string]any{
		"listen": "127.0.0.1:8080", "scope.targets": []string{}, "scope.ports": []int{22, 80},
		"interval": "1h", "token": "",
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c testCfg)
	}{
		{name: "defaults", check: func(t *testing.T, c testCfg) {
			if c.Listen != "127.0.0.1:8080" || c.Interval != time.Hour || len(c.Scope.Ports) != 2 {
				t.Fatalf("defaults not applied: %+v", c)
			}
		}},
		{name: "env lists", env: map[string]string{"EGOVNET_SCOPE_TARGETS": "10.1.0.0/24, 10.1.1.0/24", "EGOVNET_SCOPE_PORTS": "22,443"},
			check: func(t *testing.T, c testCfg) {
				if fmt.Sprint(c.Scope.Targets) != "[10.1.0.0/24 10.1.1.0/24]" || fmt.Sprint(c.Scope.Ports) != "[22 443]" {
					t.Fatalf("env lists: %+v", c.Scope)
				}
			}},
		{name: "file and env override", file: "listen: 0.0.0.0:9\ntoken: abc\n", env: map[string]string{"EGOVNET_LISTEN": "127.0.0.2:1"},
			check: func(t *testing.T, c testCfg) {
				if c.Listen != "127.0.0.2:1" || c.Token.Reveal() != "abc" || fmt.Sprint(c.Token) != "<secret>" {
					t.Fatalf("override: %+v", c)
				}
			}},
		{name: "typo rejected", file: "lisen: x\n", wantErr: `unknown config key "lisen"`},
		{name: "bad duration", file: "interval: soon\n", wantErr: "interval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			file := ""
			if tc.file != "" {
				file = filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(file, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var c testCfg
			err := Load(New(), file, defaults(), &c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
