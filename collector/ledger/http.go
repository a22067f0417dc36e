package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/paging"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/internal/catalog"
)

// Handlers serve the ledger API. They are plain http.Handlers that read
// the caller from auth.UserFrom; Mount hands them to the server's route
// function (api.Server.UserRoute), which authenticates, checks roles and
// records every call in the audit log.
type Handlers struct {
	s *Store
	// DepartmentExists, when set, rejects licences and queries naming a
	// department the plan does not know.
	DepartmentExists func(ctx context.Context, code string) (bool, error)
	Logger           *slog.Logger
	// MaxBodyBytes bounds request bodies (default 1 MiB; imports MaxLicenseFileBytes).
	MaxBodyBytes int64
	// Signer seals the exports (X-Content-SHA256, X-Content-SM3,
	// X-Content-Signature); nil sends them unsealed.
	Signer *export.Signer
}

// NewHandlers returns the ledger's HTTP handlers.
func NewHandlers(s *Store) *Handlers {
	return &Handlers{s: s, Logger: slog.Default(), MaxBodyBytes: 1 << 20}
}

// Roles that may read and write the ledger.
var (
	ReadRoles  = []string{auth.RoleSysAdmin, auth.RoleSecAdmin, auth.RoleAuditor, auth.RoleDeptAdmin, auth.RoleViewer}
	WriteRoles = []string{auth.RoleSysAdmin, auth.RoleDeptAdmin}
)

// Mount registers every ledger route with route (e.g. api.Server.UserRoute).
//
//	GET    /api/v1/licenses?department=&product=    licences (a dept-admin: own + shared pool)
//	POST   /api/v1/licenses                         create (JSON License) -> 201
//	GET    /api/v1/licenses/{id}
//	PUT    /api/v1/licenses/{id}                    replace
//	DELETE /api/v1/licenses/{id}                    -> 204
//	POST   /api/v1/licenses/import                  CSV or XLSX body, all rows or none -> {"created","updated"}
//	GET    /api/v1/licenses/export?format=csv|xlsx
//	GET    /api/v1/software?department=&device=&category=&product=&all=true&as_of=RFC3339&limit=
//	GET    /api/v1/software/compliance?department=  {"departments":[...],"summary":[...]}
//	GET    /api/v1/software/details?department=
//	GET    /api/v1/software/maintenance?department=
//	GET    /api/v1/software/devices?department=     the 明细表's devices: user, OS, hardware, install counts (paged, ?q=)
//	GET    /api/v1/software/export?table=summary|details|maintenance|devices&format=csv|xlsx&department=
func (h *Handlers) Mount(route func(pattern string, roles []string, h http.Handler)) {
	route("GET /api/v1/licenses", ReadRoles, http.HandlerFunc(h.listLicenses))
	route("POST /api/v1/licenses", WriteRoles, http.HandlerFunc(h.createLicense))
	route("POST /api/v1/licenses/import", WriteRoles, http.HandlerFunc(h.importLicenses))
	route("GET /api/v1/licenses/export", ReadRoles, http.HandlerFunc(h.exportLicenses))
	route("GET /api/v1/licenses/{id}", ReadRoles, http.HandlerFunc(h.getLicense))
	route("PUT /api/v1/licenses/{id}", WriteRoles, http.HandlerFunc(h.putLicense))
	route("DELETE /api/v1/licenses/{id}", WriteRoles, http.HandlerFunc(h.deleteLicense))
	route("GET /api/v1/software", ReadRoles, http.HandlerFunc(h.software))
	route("GET /api/v1/software/compliance", ReadRoles, http.HandlerFunc(h.compliance))
	route("GET /api/v1/software/details", ReadRoles, http.HandlerFunc(h.details))
	route("GET /api/v1/software/maintenance", ReadRoles, http.HandlerFunc(h.maintenance))
	route("GET /api/v1/software/devices", ReadRoles, http.HandlerFunc(h.devices))
	route("GET /api/v1/software/export", ReadRoles, http.HandlerFunc(h.exportTables))
}

func (h *Handlers) internal(w http.ResponseWriter, what string, err error) {
	h.Logger.Error(what, "err", err)
	respond.Error(w, http.StatusInternalServerError, "internal error", nil)
}

// department resolves ?department= for the caller: a department
// administrator is limited to their own; "" means every department.
func (h *Handlers) department(w http.ResponseWriter, r *http.Request) (auth.User, string, bool) {
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		respond.Error(w, http.StatusUnauthorized, "authentication required", nil)
		return u, "", false
	}
	dept := strings.TrimSpace(r.URL.Query().Get("department"))
	if dept == "" {
		if u.Role == auth.RoleDeptAdmin {
			return u, u.Department, true
		}
		return u, "", true
	}
	if !u.CanSeeDepartment(dept) {
		respond.Error(w, http.StatusForbidden, "a department administrator sees only their own department", map[string]string{"department": dept, "yours": u.Department})
		return u, "", false
	}
	if !h.knownDepartment(w, r, dept) {
		return u, "", false
	}
	return u, dept, true
}

func (h *Handlers) knownDepartment(w http.ResponseWriter, r *http.Request, dept string) bool {
	if h.DepartmentExists == nil || dept == "" {
		return true
	}
	ok, err := h.DepartmentExists(r.Context(), dept)
	if err != nil {
		h.internal(w, "look up department", err)
		return false
	}
	if !ok {
		respond.Error(w, http.StatusNotFound, "unknown department", map[string]string{"department": dept})
		return false
	}
	return true
}

func (h *Handlers) listLicenses(w http.ResponseWriter, r *http.Request) {
	pg, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	_, dept, ok := h.department(w, r)
	if !ok {
		return
	}
	ls, total, err := h.s.ListLicensesPage(r.Context(), LicenseFilter{Department: dept, WithPool: true, Product: r.URL.Query().Get("product")},
		Page{Limit: pg.Limit, Offset: pg.Offset, Q: pg.Q})
	if err != nil {
		h.internal(w, "list licences", err)
		return
	}
	paging.SetTotal(w, total)
	respond.JSON(w, http.StatusOK, ls)
}

// serveDepartment answers a read of the caller's department filter (403/404
// written by department): read's result is the 200 body, its error a 500.
func serveDepartment[T any](h *Handlers, w http.ResponseWriter, r *http.Request, what string, read func(ctx context.Context, dept string) (T, error)) {
	_, dept, ok := h.department(w, r)
	if !ok {
		return
	}
	v, err := read(r.Context(), dept)
	if err != nil {
		h.internal(w, what, err)
		return
	}
	respond.JSON(w, http.StatusOK, v)
}

// canWrite checks that the caller may write a licence of department dept:
// a department administrator writes only their own department's licences
// (not the shared pool).
func canWrite(w http.ResponseWriter, u auth.User, dept string) bool {
	if !mayWrite(u, dept) {
		respond.Error(w, http.StatusForbidden, "a department administrator manages only their own department's licences",
			map[string]string{"department": dept, "yours": u.Department})
		return false
	}
	return true
}

// mayWrite reports whether u may write a licence of department dept.
func mayWrite(u auth.User, dept string) bool {
	return u.Role != auth.RoleDeptAdmin || dept == u.Department
}

func (h *Handlers) readLicense(w http.ResponseWriter, r *http.Request) (License, bool) {
	var l License
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid licence JSON", err.Error())
		return l, false
	}
	if dec.More() {
		respond.Error(w, http.StatusBadRequest, "invalid licence JSON", "trailing data after the object")
		return l, false
	}
	return l, true
}

func (h *Handlers) writeError(w http.ResponseWriter, what string, err error) {
	var ve *ValidationError
	var fe *ForbiddenError
	switch {
	case errors.As(err, &ve):
		respond.Error(w, http.StatusBadRequest, "invalid licence", ve.Problems)
	case errors.As(err, &fe):
		respond.Error(w, http.StatusForbidden, "a department administrator manages only their own department's licences", fe.Problems)
	case errors.Is(err, ErrNotFound):
		respond.Error(w, http.StatusNotFound, "licence not found", nil)
	default:
		h.internal(w, what, err)
	}
}

func (h *Handlers) createLicense(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	l, ok := h.readLicense(w, r)
	if !ok {
		return
	}
	l.Department = strings.TrimSpace(l.Department)
	if !canWrite(w, u, l.Department) || !h.knownDepartment(w, r, l.Department) {
		return
	}
	created, err := h.s.CreateLicense(r.Context(), l)
	if err != nil {
		h.writeError(w, "create licence", err)
		return
	}
	w.Header().Set("Location", "/api/v1/licenses/"+created.ID)
	respond.JSON(w, http.StatusCreated, created)
}

// visible loads licence id and checks the caller may see it.
func (h *Handlers) visible(w http.ResponseWriter, r *http.Request) (auth.User, License, bool) {
	u, _ := auth.UserFrom(r.Context())
	l, err := h.s.GetLicense(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeError(w, "get licence", err)
		return u, l, false
	}
	if l.Department != "" && !u.CanSeeDepartment(l.Department) {
		respond.Error(w, http.StatusNotFound, "licence not found", nil) // not another department's business
		return u, l, false
	}
	return u, l, true
}

func (h *Handlers) getLicense(w http.ResponseWriter, r *http.Request) {
	if _, l, ok := h.visible(w, r); ok {
		respond.JSON(w, http.StatusOK, l)
	}
}

func (h *Handlers) putLicense(w http.ResponseWriter, r *http.Request) {
	u, old, ok := h.visible(w, r)
	if !ok || !canWrite(w, u, old.Department) {
		return
	}
	l, ok := h.readLicense(w, r)
	if !ok {
		return
	}
	l.Department = strings.TrimSpace(l.Department)
	if !canWrite(w, u, l.Department) || !h.knownDepartment(w, r, l.Department) {
		return
	}
	updated, err := h.s.UpdateLicense(r.Context(), old.ID, l)
	if err != nil {
		h.writeError(w, "update licence", err)
		return
	}
	respond.JSON(w, http.StatusOK, updated)
}

func (h *Handlers) deleteLicense(w http.ResponseWriter, r *http.Request) {
	u, l, ok := h.visible(w, r)
	if !ok || !canWrite(w, u, l.Department) {
		return
	}
	if err := h.s.DeleteLicense(r.Context(), l.ID); err != nil {
		h.writeError(w, "delete licence", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handlers) importLicenses(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	body := http.MaxBytesReader(w, r.Body, MaxLicenseFileBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var ls []License
	var err error
	switch {
	case ct == "text/csv" || ct == "application/csv" || r.URL.Query().Get("format") == "csv":
		ls, err = ReadLicensesCSV(body)
	case strings.Contains(ct, "spreadsheetml") || r.URL.Query().Get("format") == "xlsx":
		ls, err = ReadLicensesXLSX(body)
	default:
		respond.Error(w, http.StatusUnsupportedMediaType, "send the licence sheet as text/csv or as an XLSX workbook",
			map[string]string{"content_type": r.Header.Get("Content-Type")})
		return
	}
	if err != nil {
		var ve *ValidationError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &ve):
			respond.Error(w, http.StatusBadRequest, "invalid licence sheet", ve.Problems)
			return
		case errors.As(err, &mbe):
			respond.Error(w, http.StatusRequestEntityTooLarge, "licence sheet too large", fmt.Sprintf("at most %d MB", MaxLicenseFileBytes>>20))
			return
		case errors.Is(err, ErrLicenseFileTooLarge):
			respond.Error(w, http.StatusRequestEntityTooLarge, "licence sheet too large", err.Error())
			return
		}
		respond.Error(w, http.StatusBadRequest, "invalid licence sheet", err.Error())
		return
	}
	for _, l := range ls {
		if !canWrite(w, u, strings.TrimSpace(l.Department)) || !h.knownDepartment(w, r, strings.TrimSpace(l.Department)) {
			return
		}
	}
	created, updated, err := h.s.ImportLicensesAs(r.Context(), ls, func(dept string) bool { return mayWrite(u, dept) })
	if err != nil {
		h.writeError(w, "import licences", err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]int{"created": created, "updated": updated})
}

func (h *Handlers) exportLicenses(w http.ResponseWriter, r *http.Request) {
	_, dept, ok := h.department(w, r)
	if !ok {
		return
	}
	format, ok := exportFormat(w, r)
	if !ok {
		return
	}
	ls, err := h.s.ListLicenses(r.Context(), LicenseFilter{Department: dept, WithPool: true})
	if err != nil {
		h.internal(w, "list licences", err)
		return
	}
	head, rows := licenseTable(ls)
	h.sendTable(w, format, TableLicenses, head, rows)
}

func exportFormat(w http.ResponseWriter, r *http.Request) (string, bool) {
	f := r.URL.Query().Get("format")
	if f == "" {
		f = "csv"
	}
	if f != "csv" && f != "xlsx" {
		respond.Error(w, http.StatusBadRequest, "format must be csv or xlsx", map[string]string{"format": f})
		return "", false
	}
	return f, true
}

func (h *Handlers) sendTable(w http.ResponseWriter, format, table string, head []string, rows [][]string) {
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	// The ledger's tables are bounded by the plan's departments and
	// MaxLicenseRows, so they are sealed in memory.
	var buf bytes.Buffer
	render := func(out io.Writer) error { return WriteTable(out, format, TableTitles[table], head, rows) }
	var err error
	var seal export.Seal
	if h.Signer != nil {
		seal, err = export.SealTo(context.Background(), &buf, h.Signer, render)
	} else {
		err = render(&buf)
	}
	if err != nil {
		h.internal(w, "write export", err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, table, format))
	if h.Signer != nil {
		seal.SetHeaders(w.Header())
	}
	_, _ = w.Write(buf.Bytes())
}

func (h *Handlers) software(w http.ResponseWriter, r *http.Request) {
	_, dept, ok := h.department(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := SoftwareFilter{Department: dept, Device: q.Get("device"), Category: q.Get("category"), Product: q.Get("product"), All: q.Get("all") == "true" || q.Get("all") == "1"}
	if f.Category != "" && !validCategory(f.Category) {
		respond.Error(w, http.StatusBadRequest, "unknown category", map[string]any{"category": f.Category, "want": catalog.Categories})
		return
	}
	if s := q.Get("as_of"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			respond.Error(w, http.StatusBadRequest, "as_of must be an RFC3339 time", map[string]string{"as_of": s})
			return
		}
		f.AsOf = t
	}
	pg, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	sws, total, err := h.s.ListSoftwarePage(r.Context(), f, Page{Limit: pg.Limit, Offset: pg.Offset, Q: pg.Q})
	if err != nil {
		h.internal(w, "list software", err)
		return
	}
	paging.SetTotal(w, total)
	respond.JSON(w, http.StatusOK, sws)
}

func validCategory(c string) bool {
	for _, x := range catalog.Categories {
		if x == c {
			return true
		}
	}
	return false
}

func (h *Handlers) compliance(w http.ResponseWriter, r *http.Request) {
	_, dept, ok := h.department(w, r)
	if !ok {
		return
	}
	ev, err := h.s.Evaluate(r.Context(), dept, time.Time{})
	if err != nil {
		h.internal(w, "evaluate ledger", err)
		return
	}
	deps := ev.Departments
	if dept != "" && len(deps) == 0 {
		deps = []DepartmentSummary{ev.Department(dept)}
	}
	respond.JSON(w, http.StatusOK, map[string]any{"as_of": ev.AsOf.UTC(), "departments": deps, "summary": ev.Summary})
}

func (h *Handlers) details(w http.ResponseWriter, r *http.Request) {
	serveDepartment(h, w, r, "ledger details", func(ctx context.Context, dept string) ([]Detail, error) {
		ds, err := h.s.Details(ctx, dept)
		if ds == nil {
			ds = []Detail{} // [] rather than null
		}
		return ds, err
	})
}

// devices pages the 明细表's devices (CONTRACT lists): ?q= matches the
// device, its name, user, OS, hardware and serial. The install counts come
// from the department's evaluation, so the window is cut in memory after it.
func (h *Handlers) devices(w http.ResponseWriter, r *http.Request) {
	_, dept, ok := h.department(w, r)
	if !ok {
		return
	}
	pg, ok := paging.FromRequest(w, r)
	if !ok {
		return
	}
	devs, err := h.s.Devices(r.Context(), dept)
	if err != nil {
		h.internal(w, "ledger devices", err)
		return
	}
	devs = paging.Filter(devs, pg, func(d Device) []string {
		f := []string{d.Device, d.DeviceName, d.User}
		if o := d.OSInfo; o != nil {
			f = append(f, o.Name, o.Edition, o.Version)
		}
		if hw := d.Hardware; hw != nil {
			f = append(f, hw.Vendor, hw.Model, hw.Serial)
		}
		return f
	})
	paging.SetTotal(w, len(devs))
	respond.JSON(w, http.StatusOK, paging.Slice(devs, pg))
}

func (h *Handlers) maintenance(w http.ResponseWriter, r *http.Request) {
	serveDepartment(h, w, r, "ledger maintenance", h.s.Maintenance)
}

func (h *Handlers) exportTables(w http.ResponseWriter, r *http.Request) {
	_, dept, ok := h.department(w, r)
	if !ok {
		return
	}
	format, ok := exportFormat(w, r)
	if !ok {
		return
	}
	table := r.URL.Query().Get("table")
	var build tableBuilder
	switch table {
	case TableSummary, "":
		table = TableSummary
		build = buildTable(h.s.Summary, SummaryTable)
	case TableDetails:
		build = buildTable(h.s.Details, DetailsTable)
	case TableMaintenance:
		build = buildTable(h.s.Maintenance, MaintenanceTable)
	case TableDevices:
		build = buildTable(h.s.Devices, DevicesTable)
	default:
		respond.Error(w, http.StatusBadRequest, "table must be summary, details, maintenance or devices", map[string]string{"table": table})
		return
	}
	head, rows, err := build(r.Context(), dept)
	if err != nil {
		h.internal(w, "ledger "+table, err)
		return
	}
	h.sendTable(w, format, table, head, rows)
}

// tableBuilder reads one ledger table of a department ("" = all) as a
// header and rows.
type tableBuilder func(ctx context.Context, dept string) (head []string, rows [][]string, err error)

// buildTable joins a store read to the function that lays its result out
// as a table.
func buildTable[T any](read func(ctx context.Context, dept string) (T, error), layout func(T) ([]string, [][]string)) tableBuilder {
	return func(ctx context.Context, dept string) ([]string, [][]string, error) {
		v, err := read(ctx, dept)
		if err != nil {
			return nil, nil, err
		}
		head, rows := layout(v)
		return head, rows, nil
	}
}
