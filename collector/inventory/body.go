package inventory

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/egovnet/egovnet/collector/config"
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
	return Body{JSON: raw, packed: encoder().EncodeAll(raw, make([]byte, 0, len(raw)/4+64))}
}

// maxUnpacked bounds what one stored report may unpack to: the most
// limits.max_report_bytes allows. A frame that claims more is damaged and
// fails at once instead of allocating what it claims.
const maxUnpacked = config.MaxReportBytesLimit

// ErrUnreadable: a stored report's packed form cannot be unpacked (the row
// is damaged). It stays so: callers set the report aside or skip it
// rather than retry.
var ErrUnreadable = errors.New("stored report unreadable")

// encoder packs with a 1 MiB window: a report repeats itself within a
// few endpoints, so a larger window gains next to nothing, and each of
// the GOMAXPROCS encoders keeps its window (about 1 MiB each, where the
// default kept 8).
var encoder = sync.OnceValue(func() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(1<<20))
	if err != nil {
		panic(fmt.Sprintf("inventory: zstd encoder: %v", err)) // only for invalid options
	}
	return enc
})

// decoders are kept for reuse, at most GOMAXPROCS. A decoder keeps a
// buffer as large as the largest report it unpacked, so one that
// unpacked more than keepDecoderAfter is closed instead of kept: a
// collector that once read a 10,000-endpoint report does not hold its
// size per decoder for good.
var decoders = make(chan *zstd.Decoder, runtime.GOMAXPROCS(0))

const keepDecoderAfter = 1 << 20

func unpackBytes(packed []byte) ([]byte, error) {
	var dec *zstd.Decoder
	select {
	case dec = <-decoders:
	default:
		var err error
		dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxMemory(maxUnpacked))
		if err != nil {
			return nil, fmt.Errorf("zstd decoder: %w", err)
		}
	}
	out, err := dec.DecodeAll(packed, nil)
	if len(out) > keepDecoderAfter || err != nil {
		dec.Close()
		return out, err
	}
	select {
	case decoders <- dec:
	default:
		dec.Close()
	}
	return out, nil
}

// unpack returns a stored report's JSON: raw_z unpacked when set, else
// the text of raw (rows written before raw_z, compacted headers).
func unpack(reportID, raw string, packed []byte) ([]byte, error) {
	if packed == nil {
		return []byte(raw), nil
	}
	out, err := unpackBytes(packed)
	if err != nil {
		return nil, fmt.Errorf("load report %s: %w: %w", reportID, ErrUnreadable, err)
	}
	return out, nil
}
