package ledger

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/rules"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/egovnet/egovnet/internal/wire"
)

// maxDeviceEvidence bounds the per-device evidence of one finding; the
// aggregate evidence always carries the full counts.
const maxDeviceEvidence = 100

// LicenseSource gives the licences a detector judges against.
type LicenseSource func(ctx context.Context) ([]License, error)

// Detector produces the unlicensed-software, license-over-deployment and
// unfiled-software findings (rules.Detector).
type Detector struct {
	cat      *catalog.Catalog
	licenses LicenseSource
	// poolUsed gives the pool seats the departments before the judged one
	// take in the collector's ledger, so that seats of the shared pool go
	// where the ledger gives them; nil in the offline audit, where only the
	// audited department is known (the whole pool is its).
	poolUsed func(ctx context.Context, plan *licencePlan, department string, products map[string]bool) (map[string]int, error)
}

// NewDetector returns the collector's detector: licences and the other
// departments' installs from the ledger database, the judged department's
// installs from the reports being judged (so it does not depend on the
// order the ingest processors run in).
func NewDetector(s *Store) *Detector {
	return &Detector{
		cat:      s.cat,
		licenses: perTransaction(func(ctx context.Context) ([]License, error) { return s.ListLicenses(ctx, LicenseFilter{}) }),
		poolUsed: s.poolUsedBefore,
	}
}

// perTransaction reads the licences once per transaction ctx carries: a
// batched judgement judges up to 32 segments of a department in one
// transaction, and read them again for each (a round trip on
// PostgreSQL). Licences do not change inside the judgement's own
// transaction; one changed by someone else meanwhile is seen by the next
// judgement, as it would be had it been committed a moment later. Without
// a transaction every call reads.
func perTransaction(read LicenseSource) LicenseSource {
	var mu sync.Mutex
	var last *store.Tx // held, so no later transaction can have its address
	var ls []License
	return func(ctx context.Context) ([]License, error) {
		tx := store.TxFrom(ctx)
		if tx == nil {
			return read(ctx)
		}
		mu.Lock()
		if tx == last {
			got := ls
			mu.Unlock()
			return got, nil
		}
		mu.Unlock()
		// read unlocked: concurrent reports' judgements each read theirs
		got, err := read(ctx)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		last, ls = tx, got
		mu.Unlock()
		return got, nil
	}
}

// NewOfflineDetector returns the offline audit's detector over licences
// read from a file (plan.software.licenses_file, see ReadLicensesFile).
// Without a plan licences file, pass nil: every commercial install is then
// unlicensed, which is what an audit without purchase records must say.
func NewOfflineDetector(cat *catalog.Catalog, licenses []License) *Detector {
	ls := append([]License(nil), licenses...)
	return &Detector{cat: cat, licenses: func(context.Context) ([]License, error) { return ls, nil }}
}

// Detect implements rules.Detector.
func (d *Detector) Detect(ctx context.Context, in rules.Input) ([]rules.Finding, error) {
	if d == nil {
		return nil, nil // a nil *Detector in a rules.Detector interface detects nothing
	}
	var rows []Row
	var asOf time.Time
	for _, rep := range in.Reports {
		if rep == nil {
			continue
		}
		if rep.FinishedAt.After(asOf) {
			asOf = rep.FinishedAt
		}
		for _, dev := range Extract(d.cat, rep, in.Department) {
			rows = append(rows, dev.Rows...)
		}
	}
	if asOf.IsZero() {
		asOf = time.Now()
	}
	installs := installsFromRows(rows)
	ls, err := d.licenses(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger detector: %w", err)
	}
	// Only this department is judged: with the pool seats the departments
	// before it take (the same statuses as judging the district).
	plan := newLicencePlan(ls, asOf)
	var used map[string]int
	if d.poolUsed != nil {
		if used, err = d.poolUsed(ctx, plan, in.Department, productsOf(installs)); err != nil {
			return nil, fmt.Errorf("ledger detector: %w", err)
		}
	}
	ev := evaluateDepartment(plan, in.Department, installs, used)
	return Findings(ev, in.Department, asOf), nil
}

// Findings turns one department's evaluation into findings.
func Findings(ev *Evaluation, department string, asOf time.Time) []rules.Finding {
	byProduct := map[string][]Detail{}
	for _, d := range ev.Details {
		byProduct[d.Product] = append(byProduct[d.Product], d)
	}
	var out []rules.Finding
	for _, r := range ev.Summary {
		details := byProduct[r.Product]
		agg := map[string]any{
			"product": r.Product, "product_name": r.ProductName, "category": r.Category, "vendor": r.Vendor,
			"domestic": r.Domestic, "installs": r.Installs, "seats": r.Licenses, "licensed": r.Licensed,
			"unlicensed": r.Unlicensed, "over_deployed": r.OverDeployed, "expired": r.Expired,
			"version_mismatch": r.VersionMismatch, "home_edition": r.HomeEdition, "versions": r.Versions,
			"licenses": r.LicenseIDs,
		}
		illegal := r.Unlicensed - r.OverDeployed
		if illegal > 0 {
			out = append(out, rules.Finding{
				Rule: wire.RuleUnlicensedSoftware, Department: department, Subject: r.Product,
				Title:    fmt.Sprintf("未授权软件：%s 有 %d 台设备未获正版授权", r.ProductName, illegal),
				TitleEN:  fmt.Sprintf("Unlicensed software: %s on %d device(s) without a licence", r.ProductName, illegal),
				Evidence: evidence(agg, details, asOf, func(s string) bool { return !Legal(s) && s != StatusOverDeployed }),
			})
		}
		if r.OverDeployed > 0 {
			out = append(out, rules.Finding{
				Rule: wire.RuleLicenseOverDeployment, Department: department, Subject: r.Product,
				Title:    fmt.Sprintf("超授权安装：%s 安装 %d 套，授权 %d 套", r.ProductName, r.Installs-r.Free, r.Licenses),
				TitleEN:  fmt.Sprintf("Licence over-deployment: %s installed %d times for %d seats", r.ProductName, r.Installs-r.Free, r.Licenses),
				Evidence: evidence(agg, details, asOf, func(s string) bool { return s == StatusOverDeployed }),
			})
		}
		if r.Unfiled > 0 {
			var unfiled []map[string]any
			for _, id := range r.LicenseIDs {
				if l, ok := ev.licenses[id]; ok && l.FilingStatus != FilingFiled {
					unfiled = append(unfiled, map[string]any{"id": l.ID, "contract_no": l.ContractNo, "seats": l.Seats,
						"department": l.Department, "filing_status": l.FilingStatus, "cost": l.Cost, "purpose": l.Purpose})
				}
			}
			sort.Slice(unfiled, func(i, j int) bool { return fmt.Sprint(unfiled[i]["id"]) < fmt.Sprint(unfiled[j]["id"]) })
			detail := map[string]any{}
			for k, v := range agg {
				detail[k] = v
			}
			detail["unfiled_licenses"] = unfiled
			out = append(out, rules.Finding{
				Rule: wire.RuleUnfiledSoftware, Department: department, Subject: r.Product,
				Title:    fmt.Sprintf("软件未备案：%s 有 %d 份授权未向区电子政务联席会议备案", r.ProductName, r.Unfiled),
				TitleEN:  fmt.Sprintf("Unfiled software: %d licence(s) of %s not filed", r.Unfiled, r.ProductName),
				Evidence: []wire.Evidence{{Agent: "", Method: "ledger", ObservedAt: asOf, Detail: detail}},
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Rule != out[j].Rule {
			return out[i].Rule < out[j].Rule
		}
		return out[i].Subject < out[j].Subject
	})
	return out
}

func evidence(shared map[string]any, details []Detail, asOf time.Time, pick func(string) bool) []wire.Evidence {
	agg := make(map[string]any, len(shared)+1)
	for k, v := range shared {
		agg[k] = v
	}
	ev := []wire.Evidence{{Method: "ledger", ObservedAt: asOf, Detail: agg}}
	n := 0
	for _, d := range details {
		if !pick(d.Status) {
			continue
		}
		n++
		if n > maxDeviceEvidence {
			continue
		}
		ev = append(ev, wire.Evidence{Agent: d.Agent, Method: d.Source, ObservedAt: d.LastSeen, Detail: map[string]any{
			"device": d.Device, "device_name": d.DeviceName, "name": d.Name, "version": d.Version,
			"edition": d.Edition, "home_edition": d.HomeEdition, "status": d.Status,
		}})
	}
	if n > maxDeviceEvidence {
		agg["devices_not_listed"] = n - maxDeviceEvidence
	}
	return ev
}
