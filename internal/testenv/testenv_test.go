package testenv

import (
	"net"
	"os/exec"
	"strconv"
	"testing"
)

func TestFreePorts(t *testing.T) {
	tcp := FreeTCPPort(t)
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp))); err == nil {
		c.Close()
		t.Fatalf("FreeTCPPort %d accepts connections", tcp)
	}
	udp := FreeUDPPort(t)
	c, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(udp)))
	if err != nil {
		t.Fatalf("FreeUDPPort %d cannot be bound: %v", udp, err)
	}
	c.Close()
	open := OpenTCPPort(t)
	conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(open)))
	if err != nil {
		t.Fatalf("OpenTCPPort %d refuses connections: %v", open, err)
	}
	conn.Close()
}

func TestRun(t *testing.T) {
	sh := Binary(t, "sh")
	tests := []struct {
		name             string
		script           string
		wantOut, wantErr string
		wantCode         int
	}{
		{"success", "echo out", "out\n", "", 0},
		{"exit status and stderr kept apart", "echo out; echo err >&2; exit 3", "out\n", "err\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := Run(t, exec.Command(sh, "-c", tt.script))
			if out != tt.wantOut || errs != tt.wantErr || code != tt.wantCode {
				t.Fatalf("got %q %q %d, want %q %q %d", out, errs, code, tt.wantOut, tt.wantErr, tt.wantCode)
			}
		})
	}
}
