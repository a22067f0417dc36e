package ledger

import (
	"context"
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
	for _, d := range ev.Details {
		out.Detail = append(out.Detail, export.LedgerDetailRow{
			Department: d.Department, Host: hostLabel(d), Category: d.Category, Product: d.ProductName, Version: d.Version,
			Vendor: d.Vendor, Domestic: d.Domestic, Licensed: Legal(d.Status), License: licenseLabel(d), Source: d.Source,
			FirstSeen: d.FirstSeen, LastSeen: d.LastSeen,
		})
	}
	return out, nil
}

func hostLabel(d Detail) string {
	if d.DeviceName != "" && d.DeviceName != d.Device {
		return d.Device + " (" + d.DeviceName + ")"
	}
	return d.Device
}

func licenseLabel(d Detail) string {
	if d.License != "" {
		return d.License
	}
	return licenceZH(d.Status)
}

var _ export.LedgerSource = ExportSource{}
