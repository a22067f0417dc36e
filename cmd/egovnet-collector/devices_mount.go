package main

import (
	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/server"
)

// mountDevices wires the device inventory: its processor (first, so every
// later processor of a report finds the report's devices filed), the device
// and endpoint-history routes, and endpoint locations in GET /api/v1/endpoints.
func mountDevices(app *server.App) *devices.Store {
	st := devices.NewStore(app.DB)
	app.Ingester.Use(devices.NewProcessor(st))
	(&devices.Handlers{Store: st, Department: app.API().Department, Log: app.Logger}).Mount(app.API().UserRoute)
	app.API().SetLocator(st)
	return st
}
