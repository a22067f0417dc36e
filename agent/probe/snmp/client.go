package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"

	"github.com/egovnet/egovnet/internal/wire"
)

// walker owns one gosnmp client for one device and one credential. It is
// never shared between goroutines and never copied.
type walker struct {
	c      *gosnmp.GoSNMP
	cred   Credential
	opts   Options
	maxRep uint32 // adaptive GETBULK max-repetitions for this device
	// requests counts PDUs sent (benchmarks report it).
	requests int
	// ifNumber is IF-MIB ifNumber.0 from the probe (0 = unknown).
	ifNumber int
	// noBulk: the device refused a GETBULK with an error status; GETNEXT only.
	noBulk bool
}

// clientPool holds one worker's reusable v1/v2c clients. A worker walks its
// devices one after the other and only ever hands its client to the walker
// of the current device, so a client is never used by two goroutines and
// never copied. Reuse spares a 64 KiB receive buffer and a crypto/rand draw
// per device (gosnmp's Connect), which matters at thousands of devices a
// second. SNMPv3 clients are never reused: engine ids, boots/time and keys
// belong to one agent.
type clientPool struct {
	byVersion map[Version]*gosnmp.GoSNMP
}

func newWalker(ctx context.Context, host string, port uint16, cred Credential, opts Options, pool *clientPool) (*walker, error) {
	if pool != nil && (cred.Version == V1 || cred.Version == V2c || cred.Version == "") {
		v := cred.Version
		if v == "" {
			v = V2c
		}
		if c := pool.byVersion[v]; c != nil {
			if err := redial(ctx, c, host, port, cred, opts); err != nil {
				return nil, err
			}
			return &walker{c: c, cred: cred, opts: opts, maxRep: opts.MaxRepetitions}, nil
		}
		w, err := connectWalker(ctx, host, port, cred, opts)
		if err == nil {
			if pool.byVersion == nil {
				pool.byVersion = map[Version]*gosnmp.GoSNMP{}
			}
			pool.byVersion[v] = w.c
		}
		return w, err
	}
	return connectWalker(ctx, host, port, cred, opts)
}

// redial points a pooled (closed) client at the next device with a fresh
// connected UDP socket, so the kernel still drops datagrams from anyone else.
func redial(ctx context.Context, c *gosnmp.GoSNMP, host string, port uint16, cred Credential, opts Options) error {
	c.Target, c.Port = host, port
	c.Community = cred.Community
	c.Timeout, c.Retries = opts.ProbeTimeout, opts.Retries
	c.MaxRepetitions = opts.MaxRepetitions
	c.Context = ctx
	d := net.Dialer{Timeout: opts.ProbeTimeout}
	conn, err := d.DialContext(ctx, "udp", net.JoinHostPort(host, strconv.Itoa(int(port))))
	if err != nil {
		return fmt.Errorf("connect %s: %w", host, err)
	}
	c.Conn = conn
	return nil
}

func connectWalker(ctx context.Context, host string, port uint16, cred Credential, opts Options) (*walker, error) {
	c := &gosnmp.GoSNMP{
		Target:             host,
		Port:               port,
		Transport:          "udp",
		Timeout:            opts.ProbeTimeout,
		Retries:            opts.Retries,
		ExponentialTimeout: false,
		MaxOids:            gosnmp.MaxOids,
		MaxRepetitions:     opts.MaxRepetitions,
		Context:            ctx,
	}
	switch cred.Version {
	case V1:
		c.Version = gosnmp.Version1
		c.Community = cred.Community
	case V2c, "":
		c.Version = gosnmp.Version2c
		c.Community = cred.Community
	case V3:
		c.Version = gosnmp.Version3
		c.SecurityModel = gosnmp.UserSecurityModel
		c.ContextName = cred.User.Context
		usm, flags, err := usmParams(cred.User)
		if err != nil {
			return nil, err
		}
		c.MsgFlags = flags
		c.SecurityParameters = usm
	default:
		return nil, fmt.Errorf("unknown SNMP version %q", cred.Version)
	}
	if err := c.Connect(); err != nil {
		return nil, fmt.Errorf("connect %s: %w", host, err)
	}
	return &walker{c: c, cred: cred, opts: opts, maxRep: opts.MaxRepetitions}, nil
}

func (w *walker) close() {
	if w.c != nil && w.c.Conn != nil {
		w.c.Conn.Close()
		w.c.Conn = nil
	}
}

func usmParams(u V3User) (*gosnmp.UsmSecurityParameters, gosnmp.SnmpV3MsgFlags, error) {
	if u.User == "" {
		return nil, 0, errors.New("v3 user name is empty")
	}
	p := &gosnmp.UsmSecurityParameters{UserName: u.User}
	flags := gosnmp.NoAuthNoPriv
	if u.AuthProto != "" {
		ap, ok := authProtos[strings.ToUpper(u.AuthProto)]
		if !ok {
			return nil, 0, fmt.Errorf("v3 user %s: unknown auth protocol %q (MD5, SHA, SHA224, SHA256, SHA384, SHA512)", u.User, u.AuthProto)
		}
		if len(u.AuthPass) < 8 {
			return nil, 0, fmt.Errorf("v3 user %s: auth passphrase shorter than 8 characters", u.User)
		}
		p.AuthenticationProtocol = ap
		p.AuthenticationPassphrase = u.AuthPass
		flags = gosnmp.AuthNoPriv
	}
	if u.PrivProto != "" {
		if flags == gosnmp.NoAuthNoPriv {
			return nil, 0, fmt.Errorf("v3 user %s: a privacy protocol needs an auth protocol", u.User)
		}
		pp, ok := privProtos[strings.ToUpper(u.PrivProto)]
		if !ok {
			return nil, 0, fmt.Errorf("v3 user %s: unknown privacy protocol %q (DES, AES, AES192, AES256, AES192C, AES256C)", u.User, u.PrivProto)
		}
		if len(u.PrivPass) < 8 {
			return nil, 0, fmt.Errorf("v3 user %s: privacy passphrase shorter than 8 characters", u.User)
		}
		p.PrivacyProtocol = pp
		p.PrivacyPassphrase = u.PrivPass
		flags = gosnmp.AuthPriv
	}
	return p, flags | gosnmp.Reportable, nil
}

var authProtos = map[string]gosnmp.SnmpV3AuthProtocol{
	"MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA1": gosnmp.SHA, "SHA224": gosnmp.SHA224,
	"SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
}

var privProtos = map[string]gosnmp.SnmpV3PrivProtocol{
	"DES": gosnmp.DES, "AES": gosnmp.AES, "AES128": gosnmp.AES, "AES192": gosnmp.AES192,
	"AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
}

// System group scalars, read in the probe GET.
const (
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
	oidSysUpTime   = "1.3.6.1.2.1.1.3.0"
	oidSysContact  = "1.3.6.1.2.1.1.4.0"
	oidSysName     = "1.3.6.1.2.1.1.5.0"
	oidSysLocation = "1.3.6.1.2.1.1.6.0"
)

// oidIfNumber is asked in the same probe: it sizes the first GETBULK of the
// interface tables so the agent is not made to read past their end (an
// agent pays dearly for the overshoot: net-snmp reads the ARP cache for
// atTable and the stack for ifStackTable right behind them).
const oidIfNumber = "1.3.6.1.2.1.2.1.0"

var systemOIDs = []string{oidSysObjectID, oidSysDescr, oidSysUpTime, oidSysContact, oidSysName, oidSysLocation, oidIfNumber}

// probe sends the one short GET that tells whether the credential works (a
// wrong community gets silence, so this costs one probe timeout) and fills
// the system group from the same reply. v1 answers a GET with any missing
// object by noSuchName for the whole PDU, so there the scalars are asked
// one by one after sysObjectID.0 answered.
func (w *walker) probe(ctx context.Context, inv *wire.DeviceInventory) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("probe: panic in SNMP decoding: %v", r)
		}
	}()
	oids := systemOIDs
	if w.cred.Version == V1 {
		oids = systemOIDs[:1]
	}
	w.c.Timeout = w.opts.ProbeTimeout
	pkt, err := w.c.Get(oids)
	w.requests++
	w.c.Timeout = w.opts.Timeout
	if err != nil {
		return fmt.Errorf("probe %s: %w", w.cred, err)
	}
	if pkt.Error != gosnmp.NoError {
		return fmt.Errorf("probe %s: device answered %s", w.cred, pkt.Error)
	}
	if pkt.PDUType == gosnmp.Report {
		return fmt.Errorf("probe %s: device sent a report (authentication failed?)", w.cred)
	}
	vars := pkt.Variables
	if w.cred.Version == V1 {
		for _, o := range systemOIDs[1:6] {
			if ctx.Err() != nil {
				break
			}
			p, err := w.c.Get([]string{o})
			w.requests++
			if err == nil && p.Error == gosnmp.NoError {
				vars = append(vars, p.Variables...)
			}
		}
	}
	found := false
	for _, v := range vars {
		name := strings.TrimPrefix(v.Name, ".")
		switch name {
		case oidSysObjectID:
			if s := oidValue(v); s != "" {
				inv.System.ObjectID = s
				found = true
			}
		case oidSysDescr:
			inv.System.Descr = textValue(v)
		case oidSysUpTime:
			if n, ok := uintValue(v); ok {
				inv.System.UptimeS = int64(n / 100)
			}
		case oidSysContact:
			inv.System.Contact = textValue(v)
		case oidSysName:
			inv.System.Name = textValue(v)
		case oidSysLocation:
			inv.System.Location = textValue(v)
		case oidIfNumber:
			if n, ok := intValue(v); ok && n > 0 {
				w.ifNumber = n
			}
		}
	}
	if !found {
		// An answer without sysObjectID still proves the credential.
		inv.Errors = append(inv.Errors, wire.TableError{Table: "system", Error: "sysObjectID.0 not returned"})
	}
	inv.Version = string(w.cred.Version)
	if w.cred.Version == "" {
		inv.Version = string(V2c)
	}
	if w.cred.Version == V3 {
		if usp, ok := w.c.SecurityParameters.(*gosnmp.UsmSecurityParameters); ok {
			inv.EngineID = hexString([]byte(usp.AuthoritativeEngineID))
		}
	}
	return nil
}

// Validate reports what is wrong with a v3 user's settings (unknown
// protocols, short passphrases), so a command can refuse them as bad usage
// before any packet is sent.
func (u V3User) Validate() error {
	_, _, err := usmParams(u)
	return err
}
