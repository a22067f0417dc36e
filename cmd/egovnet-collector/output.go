package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/egovnet/egovnet/collector/server"
)

// withApp opens the collector (see open), runs fn with it and closes it again,
// so every command that touches the store shares one open/close sequence.
func (g *globals) withApp(ctx context.Context, withPlan bool, fn func(*server.App) error) error {
	app, err := g.open(ctx, withPlan)
	if err != nil {
		return err
	}
	defer app.Close()
	return fn(app)
}

// newTable starts an aligned table on w with its tab-separated header line;
// the caller writes tab-separated rows and must Flush it.
func newTable(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}

// writeJSON writes v as indented JSON without HTML escaping (the --format json
// output of the list commands).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
