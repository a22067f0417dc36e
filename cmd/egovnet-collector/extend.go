package main

import (
	"context"

	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/collector/web"
)

// extend mounts what other collector packages contribute, for serve and
// import alike (import runs the same processors): ingest processors in the
// order they must run (app.Ingester.Use) and user routes
// (app.API().UserRoute) or public ones (app.API().Handle).
func extend(ctx context.Context, app *server.App) error {
	_ = ctx
	if _, err := mountRules(app); err != nil {
		return err
	}
	app.API().Handle("/", web.Handler())
	return nil
}
