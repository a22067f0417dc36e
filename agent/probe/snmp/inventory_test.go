package snmp

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// recording is a .snmprec file read independently of the walker: what the
// simulator serves, by OID (the shared files are sorted and de-duplicated).
type recording map[string]recValue

type recValue struct {
	tag string // BER tag number without the x/e suffix
	val []byte
}

func readRecording(t *testing.T, set, name string) recording {
	t.Helper()
	f, err := os.Open(filepath.Join(snmpDataDir(t), set, name+".snmprec"))
	if err != nil {
		t.Fatalf("open recording: %v", err)
	}
	defer f.Close()
	rec := recording{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		oid, rest, ok := strings.Cut(sc.Text(), "|")
		if !ok {
			continue
		}
		tag, val, ok := strings.Cut(rest, "|")
		if !ok {
			continue
		}
		v := recValue{tag: strings.TrimRight(tag, "xe"), val: []byte(val)}
		if strings.HasSuffix(tag, "x") {
			if b, err := hex.DecodeString(val); err == nil {
				v.val = b
			}
		}
		if _, dup := rec[oid]; !dup {
			rec[oid] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read recording: %v", err)
	}
	return rec
}

// rows returns a table's rows: index -> column -> value, for every
// OID under table.1.column.index.
func (r recording) rows(table string) map[string]map[int]recValue {
	out := map[string]map[int]recValue{}
	prefix := table + ".1."
	for oid, v := range r {
		rest, ok := strings.CutPrefix(oid, prefix)
		if !ok {
			continue
		}
		cs, idx, ok := strings.Cut(rest, ".")
		if !ok || idx == "" {
			continue
		}
		c, err := strconv.Atoi(cs)
		if err != nil {
			continue
		}
		if out[idx] == nil {
			out[idx] = map[int]recValue{}
		}
		out[idx][c] = v
	}
	return out
}

func (v recValue) int() int {
	n, _ := strconv.Atoi(string(v.val))
	return n
}

// recordingNames lists the 41 recordings with their set.
func recordingNames(t *testing.T) ([]string, map[string]string) {
	exp := loadExpected(t)
	names := make([]string, 0, len(exp.Devices))
	set := map[string]string{}
	for n, d := range exp.Devices {
		names = append(names, n)
		set[n] = d.Set
	}
	sort.Strings(names)
	return names, set
}

// TestInventoryTablesMatchRecordings: on every recording, fdb, vlans,
// entities and vrfs hold exactly what the served tables say, computed here
// from the .snmprec files: one FDB entry per dot1qTpFdbTable row (else per
// dot1dTpFdbTable row), each with the bridge port the row names and the
// ifIndex dot1dBasePortIfIndex gives that port (0 when unmapped); one VLAN
// per dot1qVlanStaticTable row (else per VLAN of dot1qVlanCurrentTable); one
// entity per entPhysicalTable row with its class and serial; one VRF per
// mplsL3VpnVrfTable row with its interfaces.
func TestInventoryTablesMatchRecordings(t *testing.T) {
	names, sets := recordingNames(t)
	served := map[string][4]int{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rec := readRecording(t, sets[name], name)
			inv := walkRecording(t, name)
			for _, e := range inv.Errors {
				t.Errorf("table error: %+v", e)
			}

			// Bridge ports.
			portIf := map[int]int{}
			for idx, cols := range rec.rows(tableOIDs[tDot1dBasePortTable]) {
				p, _ := strconv.Atoi(idx)
				if v, ok := cols[dot1dBasePortIfIndex]; ok && v.tag == "2" && v.int() > 0 {
					portIf[p] = v.int()
				}
			}

			// FDB.
			type fdbKey struct {
				vlan int
				mac  string
			}
			// (vlan, mac) -> candidate (bridge port, ifIndex) pairs: FDB ids
			// that name no VLAN (Junos: 131072...) all become VLAN 0.
			want := map[fdbKey][][2]int{}
			fdbRows := rec.rows(tableOIDs[tDot1qTpFdbTable])
			dot1q := len(fdbRows) > 0
			if !dot1q {
				fdbRows = rec.rows(tableOIDs[tDot1dTpFdbTable])
			}
			for idx, cols := range fdbRows {
				arcs := strings.Split(idx, ".")
				vlan := 0
				if dot1q {
					vlan, _ = strconv.Atoi(arcs[0])
					if vlan > 4095 {
						vlan = 0
					}
				}
				var mac []string
				for _, a := range arcs[len(arcs)-6:] {
					n, _ := strconv.Atoi(a)
					mac = append(mac, hex.EncodeToString([]byte{byte(n)}))
				}
				port := 0
				if v, ok := cols[fdbPort]; ok && v.tag == "2" && v.int() > 0 {
					port = v.int() // ssd-ruijie serves -1 for some: no port
				}
				k := fdbKey{vlan, strings.Join(mac, ":")}
				want[k] = append(want[k], [2]int{port, portIf[port]})
			}
			if len(inv.FDB) != len(fdbRows) {
				t.Errorf("fdb = %d entries, want %d rows", len(inv.FDB), len(fdbRows))
			}
			mapped := 0
			for _, e := range inv.FDB {
				k := fdbKey{e.VLAN, e.MAC}
				found := -1
				for i, w := range want[k] {
					if e.BridgePort == w[0] && e.IfIndex == w[1] {
						found = i
						break
					}
				}
				if found < 0 {
					t.Errorf("fdb entry %+v: the recording has %v for that vlan and MAC", e, want[k])
					continue
				}
				want[k] = append(want[k][:found], want[k][found+1:]...)
				if e.IfIndex != 0 {
					mapped++
				}
			}

			// VLANs.
			vlanRows := rec.rows(tableOIDs[tDot1qVlanStaticTable])
			wantVLANs := map[int]string{}
			for idx, cols := range vlanRows {
				id, _ := strconv.Atoi(idx)
				wantVLANs[id] = string(cols[vlanStaticName].val)
			}
			if len(vlanRows) == 0 {
				for idx := range rec.rows(tableOIDs[tDot1qVlanCurrentTable]) {
					_, vid, _ := strings.Cut(idx, ".")
					id, _ := strconv.Atoi(vid)
					wantVLANs[id] = ""
				}
			}
			if len(inv.VLANs) != len(wantVLANs) {
				t.Errorf("vlans = %d, want %d", len(inv.VLANs), len(wantVLANs))
			}
			for _, v := range inv.VLANs {
				name, ok := wantVLANs[v.ID]
				if !ok {
					t.Errorf("vlan %d not in the recording", v.ID)
				}
				if printableASCII(name) && v.Name != name {
					t.Errorf("vlan %d name %q, want %q", v.ID, v.Name, name)
				}
				for _, p := range v.Ports {
					if !hasValue(portIf, p) {
						t.Errorf("vlan %d member ifIndex %d is no bridge port's", v.ID, p)
					}
				}
			}

			// Entities.
			entRows := rec.rows(tableOIDs[tEntPhysicalTable])
			if len(inv.Entities) != len(entRows) {
				t.Errorf("entities = %d, want %d", len(inv.Entities), len(entRows))
			}
			for _, e := range inv.Entities {
				cols, ok := entRows[strconv.Itoa(e.Index)]
				if !ok {
					t.Errorf("entity %d not in the recording", e.Index)
					continue
				}
				if c, ok := cols[entPhysicalClass]; ok && c.tag == "2" && e.Class != c.int() {
					t.Errorf("entity %d class %d, want %d", e.Index, e.Class, c.int())
				}
				if c, ok := cols[entPhysicalContainedIn]; ok && c.tag == "2" && e.ContainedIn != c.int() && c.int() >= 0 {
					t.Errorf("entity %d contained_in %d, want %d", e.Index, e.ContainedIn, c.int())
				}
				if s, ok := cols[entPhysicalSerialNum]; ok && printableASCII(string(s.val)) && e.Serial != strings.TrimSpace(string(s.val)) {
					t.Errorf("entity %d serial %q, want %q", e.Index, e.Serial, s.val)
				}
				if s, ok := cols[entPhysicalModelName]; ok && len(s.val) > 0 && printableASCII(string(s.val)) && e.Model != strings.TrimSpace(string(s.val)) {
					t.Errorf("entity %d model %q, want %q", e.Index, e.Model, s.val)
				}
			}

			// VRFs.
			vrfRows := rec.rows(tableOIDs[tVrfTable])
			if len(inv.VRFs) != len(vrfRows) {
				t.Errorf("vrfs = %d, want %d", len(inv.VRFs), len(vrfRows))
			}
			ifRows := rec.rows(tableOIDs[tVrfIfConfTable])
			for _, v := range inv.VRFs {
				n := 0
				for idx := range ifRows {
					if strings.HasPrefix(idx, vrfIndexOf(v.Name)+".") {
						n++
					}
				}
				if len(v.IfIndexes) != n {
					t.Errorf("vrf %s: %d interfaces, want %d", v.Name, len(v.IfIndexes), n)
				}
				if _, ok := vrfRows[vrfIndexOf(v.Name)]; !ok {
					t.Errorf("vrf %q not in the recording", v.Name)
				}
			}
			for _, r := range inv.Routes {
				if r.VRF != "" {
					t.Errorf("route %+v in vrf %q: the simulator serves no VRF context", r, r.VRF)
				}
			}
			served[name] = [4]int{len(inv.FDB), len(inv.VLANs), len(inv.Entities), len(inv.VRFs)}
			if truth := [4]int{len(fdbRows), len(wantVLANs), len(entRows), len(vrfRows)}; truth != wantInventoryCounts[name] || served[name] != truth {
				t.Errorf("counts {fdb, vlans, entities, vrfs}: walked %v, recording %v, pinned %v", served[name], truth, wantInventoryCounts[name])
			}
			if len(inv.FDB)+len(inv.VLANs)+len(inv.Entities)+len(inv.VRFs) > 0 {
				t.Logf("fdb %d (%d mapped to an ifIndex) vlans %d entities %d vrfs %d", len(inv.FDB), mapped, len(inv.VLANs), len(inv.Entities), len(inv.VRFs))
			}
			if err := inv.Validate(); err != nil {
				t.Errorf("inventory fails wire validation: %v", err)
			}
		})
	}
	if b, err := json.Marshal(served); err == nil {
		t.Logf("counts (fdb, vlans, entities, vrfs): %s", b)
	}
}

// wantInventoryCounts pins {fdb, vlans, entities, vrfs} per recording (the
// ones not listed serve none of these tables), so the numbers stay visible
// and a change in how the truth is computed above cannot go unnoticed.
var wantInventoryCounts = map[string][4]int{
	"ciscosb_cbs350":              {10, 2, 37, 0},
	"comware":                     {206, 7, 322, 0},
	"comware_a5500":               {104, 10, 44, 0},
	"cumulus_bgp":                 {102, 17, 82, 0},
	"dlink_dgs-3620-28sc":         {242, 7, 38, 0},
	"eltex-mes23xx_mes2324b":      {235, 21, 47, 0},
	"fortigate_60fospfv3":         {0, 0, 12, 0},
	"ios_2960x":                   {29, 0, 172, 0},
	"iosxe_c9500h-svl":            {0, 0, 288, 1},
	"iosxe_ie32008t2s-ios17-12":   {1, 0, 29, 0},
	"iosxr_ncs55a2":               {0, 0, 358, 4},
	"junos_rpm":                   {73, 0, 0, 0},
	"junos_vmx":                   {0, 2, 0, 2},
	"nxos_n3k-3064pq":             {4, 0, 118, 0},
	"routeros_rb433gl":            {170, 0, 4, 0},
	"ruijie":                      {5, 2, 71, 0},
	"ssd-cisco-c3750":             {15, 0, 35, 0},
	"ssd-cisco-n5000":             {0, 0, 52, 0},
	"ssd-h3c-comware-7-1-075":     {6, 6, 281, 0},
	"ssd-h3c-e528-2":              {2, 2, 40, 0},
	"ssd-huawei-s5720":            {48, 0, 63, 0},
	"ssd-juniper-mx960-13-3r9-13": {7, 29, 0, 0},
	"ssd-ruijie-s5750-24gt12sfp":  {385, 2, 38, 0},
	"ssd-zte-zrx10":               {0, 922, 10, 1},
	"vrp_5720":                    {5, 7, 82, 0},
	"vrp_5720-32x-ei":             {0, 16, 60, 0},
	"vrp_ac6605-26":               {0, 8, 33, 0},
	"vrp_ne":                      {0, 0, 41, 0},
	"vrp_s5328c-ei":               {0, 0, 39, 0},
	"yunshan":                     {0, 1, 62, 0},
	"zxa10_c320":                  {3, 21, 5, 0},
}

func vrfIndexOf(name string) string {
	parts := []string{strconv.Itoa(len(name))}
	for _, c := range []byte(name) {
		parts = append(parts, strconv.Itoa(int(c)))
	}
	return strings.Join(parts, ".")
}

func hasValue(m map[int]int, v int) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

func printableASCII(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
