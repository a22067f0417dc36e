package snmp

import (
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/internal/wire"
)

// ENTITY-MIB entPhysicalTable columns.
const (
	entPhysicalDescr       = 2
	entPhysicalContainedIn = 4
	entPhysicalClass       = 5
	entPhysicalName        = 7
	entPhysicalHardwareRev = 8
	entPhysicalFirmwareRev = 9
	entPhysicalSoftwareRev = 10
	entPhysicalSerialNum   = 11
	entPhysicalMfgName     = 12
	entPhysicalModelName   = 13

	// hwEntityBoardType (HUAWEI-ENTITY-EXTENT-MIB hwRUModuleInfoTable),
	// indexed like entPhysicalTable.
	hwEntityBoardType = 11
)

// entityColumns are the columns decoded (vendor type, relative position,
// alias, asset id, FRU flag, dates and URIs are not).
var entityColumns = []int{entPhysicalDescr, entPhysicalContainedIn, entPhysicalClass, entPhysicalName,
	entPhysicalHardwareRev, entPhysicalFirmwareRev, entPhysicalSoftwareRev, entPhysicalSerialNum,
	entPhysicalMfgName, entPhysicalModelName}

// decodeEntities: one Entity per entPhysicalTable row, index from the OID.
// Where the model name is empty, Huawei's board type for the same index
// (S5720-56C-PWR-EI-AC, AC6605-26-PWR-16AP) is the model, as LibreNMS does.
// Text is cut to the wire limits so one odd module string cannot get the
// report refused, and padding is trimmed: Cisco pads SFP serials and models
// with spaces ("TED2502H16L     "), which would defeat matching by serial;
// line breaks become spaces (one inventory line per part).
func decodeEntities(inv *wire.DeviceInventory, got map[string]*table) {
	t := got[tEntPhysicalTable]
	if t.empty() {
		return
	}
	text := func(idx string, c, max int) string {
		if v, ok := t.col(idx, c); ok {
			return clipText(rowText(textValue(v)), max)
		}
		return ""
	}
	num := func(idx string, c int) int {
		if v, ok := t.col(idx, c); ok {
			if n, ok := intValue(v); ok && n > 0 {
				return n
			}
		}
		return 0
	}
	board := got[tHwRUModuleInfoTable]
	for _, idx := range t.order {
		n, err := strconv.Atoi(idx)
		if err != nil || n < 0 {
			n = 0
		}
		e := wire.Entity{
			Index:       n,
			Class:       num(idx, entPhysicalClass),
			Descr:       text(idx, entPhysicalDescr, wire.MaxTitle),
			Name:        text(idx, entPhysicalName, wire.MaxTitle),
			Model:       text(idx, entPhysicalModelName, wire.MaxShortString),
			Serial:      text(idx, entPhysicalSerialNum, wire.MaxShortString),
			HardwareRev: text(idx, entPhysicalHardwareRev, wire.MaxShortString),
			FirmwareRev: text(idx, entPhysicalFirmwareRev, wire.MaxShortString),
			SoftwareRev: text(idx, entPhysicalSoftwareRev, wire.MaxShortString),
			MfgName:     text(idx, entPhysicalMfgName, wire.MaxShortString),
			ContainedIn: num(idx, entPhysicalContainedIn),
		}
		if e.Model == "" && !board.empty() {
			if v, ok := board.col(idx, hwEntityBoardType); ok {
				e.Model = clipText(rowText(textValue(v)), wire.MaxShortString)
			}
		}
		inv.Entities = append(inv.Entities, e)
	}
}

// rowText trims a value and turns its control characters (CR/LF, tabs)
// into spaces: these strings label one row each.
func rowText(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}
