package inventory

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Raw reports are stored compressed (reports.raw_z, zstd), issue 16: a
// scan report is JSON that repeats the same keys and values on every
// endpoint, so it shrinks several times over. Stored as text, every report
// went through the database twice (its journal, then the table) at full
// size, PostgreSQL compressed it again with its own slower pglz on every
// insert, and a district's reports were most of the store's size. The
// JSON is compressed once, on the upload's goroutine before the report's
// transaction, so neither SQLite's single writer nor the database does
// that work. Rows written before (raw_z NULL) keep their text in raw and
// read as before; a compacted report's header stays text in raw.

// Body is a report's canonical JSON together with its stored form.
type Body struct {
	JSON   []byte
	packed []byte
}

// PackBody compresses raw for storing.
func PackBody(raw []byte) Body {
	return Body{JSON: raw, packed: codec().enc.EncodeAll(raw, make([]byte, 0, len(raw)/4+64))}
}

// maxUnpacked bounds what one stored report may unpack to: far above
// limits.max_report_bytes's ceiling, so only a damaged row can reach it,
// and then fails instead of taking the collector's memory.
const maxUnpacked = 4 << 30

type zcodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// codec is created on first use: EncodeAll and DecodeAll are safe for
// concurrent use, each running at most GOMAXPROCS at once.
var codec = sync.OnceValue(func() zcodec {
	n := runtime.GOMAXPROCS(0)
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(n))
	if err != nil {
		panic(fmt.Sprintf("inventory: zstd encoder: %v", err)) // only for invalid options
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(n), zstd.WithDecoderMaxMemory(maxUnpacked))
	if err != nil {
		panic(fmt.Sprintf("inventory: zstd decoder: %v", err))
	}
	return zcodec{enc: enc, dec: dec}
})

// unpack returns a stored report's JSON: raw_z unpacked when set, else
// the text of raw (rows written before raw_z, compacted headers).
func unpack(reportID, raw string, packed []byte) ([]byte, error) {
	if packed == nil {
		return []byte(raw), nil
	}
	out, err := codec().dec.DecodeAll(packed, nil)
	if err != nil {
		return nil, fmt.Errorf("unpack stored report %s: %w", reportID, err)
	}
	return out, nil
}
