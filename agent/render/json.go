package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/egovnet/egovnet/internal/wire"
)

// JSON writes the report as indented JSON, byte for byte what
// json.Encoder (SetIndent "", "  "; SetEscapeHTML false) writes, but one
// endpoint at a time: encoding/json builds the whole document, then its
// indented copy, before writing either, which for a /16 of live hosts is
// three copies of tens of megabytes.
func JSON(w io.Writer, r *wire.ScanReport) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head := *r
	head.Endpoints = nil
	var hb bytes.Buffer
	if err := encoder(&hb, "").Encode(&head); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	const marker = "\n  \"endpoints\": []"
	i := bytes.Index(hb.Bytes(), []byte(marker))
	if i < 0 || len(r.Endpoints) == 0 {
		if _, err := bw.Write(hb.Bytes()); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return flush(bw)
	}
	bw.Write(hb.Bytes()[:i])
	bw.WriteString("\n  \"endpoints\": [\n")
	var eb bytes.Buffer
	enc := encoder(&eb, "    ")
	for n := range r.Endpoints {
		eb.Reset()
		if err := enc.Encode(&r.Endpoints[n]); err != nil {
			return fmt.Errorf("encode endpoint %s: %w", r.Endpoints[n].IP, err)
		}
		bw.WriteString("    ")
		bw.Write(bytes.TrimSuffix(eb.Bytes(), []byte("\n")))
		if n < len(r.Endpoints)-1 {
			bw.WriteString(",\n")
		} else {
			bw.WriteString("\n  ]")
		}
	}
	if _, err := bw.Write(hb.Bytes()[i+len(marker):]); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return flush(bw)
}

func encoder(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc
}

func flush(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
