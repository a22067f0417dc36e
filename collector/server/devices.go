package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/egovnet/egovnet/collector/devices"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/topology"
	"github.com/egovnet/egovnet/collector/web"
	"github.com/egovnet/egovnet/internal/wire"
)

// mountDevices wires the device inventory: its processor (first, so every
// later processor of a report finds the report's devices filed), the device,
// endpoint-history and topology routes, and endpoint locations in
// GET /api/v1/endpoints.
func (app *App) mountDevices() devices.Processor {
	st := devices.NewStore(app.DB)
	(&devices.Handlers{Store: st, Department: app.API().Department, Log: app.Logger}).Mount(app.API().UserRoute)
	app.API().SetLocator(st)
	findings := lifecycle.NewStore(app.DB)
	(&topology.Handler{Department: app.API().Department, Log: app.Logger, Sources: topology.Sources{
		Plan:    app.Plan,
		Devices: st.Inventories,
		Endpoints: func(ctx context.Context, dept string) ([]inventory.Endpoint, error) {
			eps, _, err := app.Inventory.EndpointsPage(ctx, dept, paging.Page{Limit: paging.MaxLimit})
			return eps, err
		},
		Locate: st.Locate,
		Paths: func(ctx context.Context, dept string) ([]wire.Path, error) {
			return latestPaths(ctx, app.Inventory, dept)
		},
		Violations: func(ctx context.Context, dept string) ([]wire.Violation, error) {
			// Acknowledged findings are not fixed: they stay on the map.
			open, err := findings.List(ctx, lifecycle.Filter{Department: dept, Status: wire.StatusOpen})
			if err != nil {
				return nil, err
			}
			ack, err := findings.List(ctx, lifecycle.Filter{Department: dept, Status: wire.StatusAcknowledged})
			return append(open, ack...), err
		},
	}}).Mount(app.API().UserRoute)
	app.API().MountAdmin()
	if app.Plan != nil {
		web.MountDeadlines(app.API().UserRoute, app.Plan.Packs)
	}
	return devices.NewProcessor(st)
}

// latestPaths reads the path probes of the department's newest scan.
func latestPaths(ctx context.Context, inv *inventory.Store, dept string) ([]wire.Path, error) {
	reps, err := inv.Reports(ctx, dept, 1)
	if err != nil || len(reps) == 0 {
		return nil, err
	}
	raw, err := inv.RawReport(ctx, reps[0].ReportID)
	if err != nil {
		return nil, err
	}
	var rep struct {
		Paths []wire.Path `json:"paths"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, fmt.Errorf("decode paths of report %s: %w", reps[0].ReportID, err)
	}
	return rep.Paths, nil
}

// hostLocator adapts the device inventory's Locate to lifecycle.Locator:
// findings about a host name the switch port it is plugged in (issue 13).
type hostLocator struct{ st *devices.Store }

func (l hostLocator) LocateMACs(ctx context.Context, dept string, macs []string) (map[string]lifecycle.Location, error) {
	keys := make([]devices.Key, 0, len(macs))
	for _, m := range macs {
		keys = append(keys, devices.Key{Department: dept, MAC: m})
	}
	locs, err := l.st.Locate(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]lifecycle.Location, len(locs))
	for k, loc := range locs {
		out[k.MAC] = lifecycle.Location{Device: loc.Device, Port: loc.Port, VLAN: loc.VLAN}
	}
	return out, nil
}
