package ledger

import (
	"context"
	"sort"
	"time"

	"github.com/egovnet/egovnet/collector/export"
)

// ExportSource adapts the ledger to export.LedgerSource, so the export
// engineer's documents (CSV, XLSX, PDF, JSON) carry the 汇总表 and 明细表.
type ExportSource struct{ S *Store }

// Ledger implements export.LedgerSource: the ledger of a department ("" =
// all) now (asOf zero) or as of a past moment.
func (e ExportSource) Ledger(ctx context.Context, department string, asOf time.Time) (export.Ledger, error) {
	ev, err := e.S.Evaluate(ctx, department, asOf)
	if err != nil {
		return export.Ledger{}, err
	}
	out := export.Ledger{Summary: []export.LedgerSummaryRow{}, Detail: []export.LedgerDetailRow{}}
	for _, r := range ev.Summary {
		out.Summary = append(out.Summary, export.LedgerSummaryRow{
			Department: r.Department, Category: r.Category, Product: r.ProductName, Vendor: r.Vendor, Domestic: r.Domestic,
			Installs: r.Installs, Licenses: r.Licenses, Licensed: r.Licensed + r.Free, Unlicensed: r.Unlicensed,
		})
	}
	type keyed struct {
		dept, dev string
		row       export.LedgerDetailRow
	}
	rows := make([]keyed, 0, len(ev.Details))
	for _, d := range ev.Details {
		rows = append(rows, keyed{d.Department, d.Device, export.LedgerDetailRow{
			Department: d.Department, Host: hostLabel(d.Device, d.DeviceName), User: d.User, Category: d.Category, Product: d.ProductName,
			Version: d.Version, Vendor: d.Vendor, Domestic: d.Domestic, Licensed: Legal(d.Status), License: licenseLabel(d), Source: d.Source,
			FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, OSInfo: d.OSInfo, Hardware: d.Hardware, Status: d.Status,
		}})
	}
	// the 明细表 lists every device: one without counted installs gets a
	// row of its own, so a PC with only free libraries is not missing
	for _, d := range ev.Devices {
		if d.Installs > 0 {
			continue
		}
		rows = append(rows, keyed{d.Department, d.Device, export.LedgerDetailRow{
			Department: d.Department, Host: hostLabel(d.Device, d.DeviceName), User: d.User, Source: d.Source,
			FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, OSInfo: d.OSInfo, Hardware: d.Hardware,
		}})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].dept != rows[j].dept {
			return rows[i].dept < rows[j].dept
		}
		return rows[i].dev < rows[j].dev
	})
	for _, r := range rows {
		out.Detail = append(out.Detail, r.row)
	}
	return out, nil
}

func hostLabel(device, name string) string {
	if name != "" && name != device {
		return device + " (" + name + ")"
	}
	return device
}

func licenseLabel(d Detail) string {
	if d.License != "" {
		return d.License
	}
	return licenceZH(d.Status)
}

var _ export.LedgerSource = ExportSource{}
