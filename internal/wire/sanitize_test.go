package wire

import "testing"

func TestSanitizeMakesHostileDeviceTextValid(t *testing.T) {
	r := validReport()
	d := &r.Devices[0]
	d.Software = append(d.Software, Software{Name: "icecast\nserver", Raw: "icecast\nserver", Source: "snmp"})
	d.Interfaces[0].Alias = "\x1b[31m专线\x1b[0m"
	d.Interfaces[0].Name = "GE0/0/1\x00"
	d.System.Descr = "Huawei VRP\r\nVersion 8"
	r.Endpoints[0].Hostname = "bad\xffutf8"
	if err := r.ValidateAt(testNow); err == nil {
		t.Fatal("the hostile report should fail validation before sanitising")
	}
	Sanitize(r)
	if err := r.ValidateAt(testNow); err != nil {
		t.Fatalf("still invalid after Sanitize:\n%v", err)
	}
	if got := d.System.Descr; got != "Huawei VRP\r\nVersion 8" {
		t.Fatalf("multi-line sysDescr changed: %q", got)
	}
	if got := d.Software[len(d.Software)-1].Name; got != "icecast server" {
		t.Fatalf("software name %q", got)
	}
	if got := d.Interfaces[0].Alias; got != " [31m专线 [0m" {
		t.Fatalf("alias %q", got)
	}
}
