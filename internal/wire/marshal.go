package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// The CONTRACT's lists are always JSON arrays: a consumer iterating
// report["devices"] or endpoint["open_ports"] must never meet null. These
// marshalers fill nil slices with empty ones on the way out, whoever built
// the value: every slice field whose tag lacks omitempty, so a list added to
// one of these types is covered without another line here. A struct that
// embeds one of these types inherits its MarshalJSON and loses its own
// fields in JSON: wrap them in a named field instead. Violation has none for
// that reason (API answers embed it); the rules engine always fills its
// citations and evidence.

// MarshalJSON writes the report with every CONTRACT list present. It is
// EncodeReport's encoder (encode.go), which writes what the plain twin and
// marshalLists wrote here before, without their reflection and the
// re-compaction of every endpoint: json.Marshal of a large report spent most
// of its time there.
func (r ScanReport) MarshalJSON() ([]byte, error) {
	return appendReport(make([]byte, 0, reportSizeHint(&r)), &r)
}

// MarshalJSON writes the endpoint with every CONTRACT field present.
func (e Endpoint) MarshalJSON() ([]byte, error) {
	type plain Endpoint
	return marshalLists(plain(e))
}

// MarshalJSON writes the path with its hop list present.
func (p Path) MarshalJSON() ([]byte, error) {
	type plain Path
	return marshalLists(plain(p))
}

// MarshalJSON writes the inventory with every table list present.
func (d DeviceInventory) MarshalJSON() ([]byte, error) {
	type plain DeviceInventory
	return marshalLists(plain(d))
}

// MarshalJSON writes the host facts with their lists present.
func (h Host) MarshalJSON() ([]byte, error) {
	type plain Host
	return marshalLists(plain(h))
}

// marshalLists marshals v (a struct without MarshalJSON of its own, the
// "plain" twin of a wire type) with its always-present lists filled.
func marshalLists[T any](v T) ([]byte, error) {
	rv := reflect.ValueOf(&v).Elem()
	for _, i := range listFields(rv.Type()) {
		if f := rv.Field(i); f.IsNil() {
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		}
	}
	return json.Marshal(v)
}

var listFieldCache sync.Map // reflect.Type -> []int

// listFields are the indexes of t's slice fields that JSON always writes
// (no omitempty).
func listFields(t reflect.Type) []int {
	if c, ok := listFieldCache.Load(t); ok {
		return c.([]int)
	}
	var out []int
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Type.Kind() != reflect.Slice || !f.IsExported() || tag == "-" {
			continue
		}
		if _, opts, _ := strings.Cut(tag, ","); strings.Contains(","+opts+",", ",omitempty,") {
			continue
		}
		out = append(out, i)
	}
	listFieldCache.Store(t, out)
	return out
}
