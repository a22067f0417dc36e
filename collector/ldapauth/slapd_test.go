package ldapauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

const base = "dc=yangpu,dc=example,dc=gov,dc=cn"

// startSlapd runs a real OpenLDAP server on loopback with a fresh database:
// people, groups (groupOfNames, no memberOf overlay, as a default OpenLDAP
// is) and a read-only service account.
func startSlapd(t *testing.T) string {
	t.Helper()
	slapd, err := exec.LookPath("slapd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/slapd"); err2 == nil {
			slapd = "/usr/sbin/slapd"
		} else {
			testenv.Missing(t, "slapd not installed (apt-get install slapd ldap-utils)")
		}
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	os.MkdirAll(db, 0o700)
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %s/slapd.pid
database mdb
maxsize 16777216
suffix "%s"
rootdn "cn=admin,%s"
rootpw admin-secret
directory %s
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by dn.exact="cn=egovnet,ou=services,%s" read by self read by * none
`, dir, base, base, db, base)
	cf := filepath.Join(dir, "slapd.conf")
	os.WriteFile(cf, []byte(conf), 0o600)
	ldif := strings.ReplaceAll(`dn: BASE
objectClass: dcObject
objectClass: organization
o: Yangpu
dc: yangpu

dn: ou=people,BASE
objectClass: organizationalUnit
ou: people

dn: ou=services,BASE
objectClass: organizationalUnit
ou: services

dn: ou=groups,BASE
objectClass: organizationalUnit
ou: groups

dn: cn=egovnet,ou=services,BASE
objectClass: inetOrgPerson
cn: egovnet
sn: service
userPassword: svc-pass-1

dn: uid=wangfang,ou=people,BASE
objectClass: inetOrgPerson
uid: wangfang
cn: 王芳
sn: 王
userPassword: Wf!directory-1

dn: uid=lijun,ou=people,BASE
objectClass: inetOrgPerson
uid: lijun
cn: 李军
sn: 李
userPassword: Lj!directory-2

dn: uid=visitor,ou=people,BASE
objectClass: inetOrgPerson
uid: visitor
cn: visitor
sn: v
userPassword: Vv!directory-3

dn: cn=egovnet-auditors,ou=groups,BASE
objectClass: groupOfNames
cn: egovnet-auditors
member: uid=wangfang,ou=people,BASE

dn: cn=czj-admins,ou=groups,BASE
objectClass: groupOfNames
cn: czj-admins
member: uid=lijun,ou=people,BASE
`, "BASE", base)
	lf := filepath.Join(dir, "data.ldif")
	os.WriteFile(lf, []byte(ldif), 0o600)
	if out, err := exec.Command("/usr/sbin/slapadd", "-f", cf, "-l", lf).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	port := testenv.FreeTCPPort(t)
	url := fmt.Sprintf("ldap://127.0.0.1:%d", port)
	cmd := exec.Command(slapd, "-f", cf, "-h", url+"/", "-d", "0")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not listen:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDirectoryLogin(t *testing.T) {
	url := startSlapd(t)
	c, err := New(Config{URL: url, BindDN: "cn=egovnet,ou=services," + base, BindPassword: "svc-pass-1", BaseDN: base,
		UserFilter: "(uid=%s)", Roles: []RoleMap{
			{GroupDN: "cn=egovnet-auditors,ou=groups," + base, Role: "auditor"},
			{GroupDN: "CN=CZJ-Admins,OU=Groups," + strings.ToUpper(base), Role: "dept-admin", Department: "CZJ"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, user, pass string
		role, dept       string
		err              error
	}{
		{"auditor by group", "wangfang", "Wf!directory-1", "auditor", "", nil},
		{"department admin by group, DN case-insensitive", "lijun", "Lj!directory-2", "dept-admin", "CZJ", nil},
		{"wrong password", "wangfang", "wrong", "", "", ErrRefused},
		{"empty password is never an anonymous bind", "wangfang", "", "", "", ErrRefused},
		{"unknown user", "nobody", "x", "", "", ErrRefused},
		{"filter injection", "*)(uid=*", "x", "", "", ErrRefused},
		{"in no mapped group", "visitor", "Vv!directory-3", "", "", ErrNoRole},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Authenticate(ctx, tc.user, tc.pass)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || r.Role != tc.role || r.Department != tc.dept {
				t.Fatalf("got %+v %v, want role %s dept %q", r, err, tc.role, tc.dept)
			}
		})
	}
	bad, _ := New(Config{URL: url, BindDN: "cn=egovnet,ou=services," + base, BindPassword: "wrong", BaseDN: base})
	if _, err := bad.Authenticate(ctx, "wangfang", "Wf!directory-1"); err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("a broken service account must be an operator error, not a refused login: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{URL: "http://x"}, {URL: "ldap://h", UserFilter: "(uid=x)"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("accepted %+v", cfg)
		}
	}
}
