package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
)

// TOTP is the second-factor store the users page resets (collector/mfa).
type TOTP interface {
	Enroll(ctx context.Context, user, issuer string) (uri string, recovery []string, err error)
	Remove(ctx context.Context, user string) error
}

// UserAdmin configures the sysadmin's user routes.
type UserAdmin struct {
	TOTP   TOTP   // nil: no second factor to reset
	Issuer string // the otpauth:// issuer (auth.totp.issuer and the district)
}

// MountUserAdmin adds the users and roles page's write routes (sysadmin
// only; every call is audited by UserRoute and each change also by the auth
// service in its own transaction). They check what `egovnet-collector user
// add` checks, and a sysadmin cannot change, disable or delete their own
// account here (no locking oneself out by a click); the service refuses to
// drop the last enabled sysadmin.
//
//	POST   /api/v1/users                        {"name","role","department","password"} -> 201
//	PUT    /api/v1/users/{name}/role            {"role","department"}
//	POST   /api/v1/users/{name}/disable | enable
//	DELETE /api/v1/users/{name}
//	POST   /api/v1/users/{name}/totp            new second factor: {"uri","recovery_codes"} shown once
func (s *Server) MountUserAdmin(o UserAdmin) {
	sys := []string{auth.RoleSysAdmin}
	h := userAdmin{s: s, o: o}
	s.UserRoute("POST /api/v1/users", sys, http.HandlerFunc(h.add))
	s.UserRoute("PUT /api/v1/users/{name}/role", sys, http.HandlerFunc(h.role))
	s.UserRoute("POST /api/v1/users/{name}/disable", sys, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.disable(w, r, true) }))
	s.UserRoute("POST /api/v1/users/{name}/enable", sys, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.disable(w, r, false) }))
	s.UserRoute("DELETE /api/v1/users/{name}", sys, http.HandlerFunc(h.delete))
	s.UserRoute("POST /api/v1/users/{name}/totp", sys, http.HandlerFunc(h.totp))
}

type userAdmin struct {
	s *Server
	o UserAdmin
}

type newUser struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	Department string `json:"department"`
	Password   string `json:"password"`
}

func actor(r *http.Request) (auth.User, auth.Actor) {
	u, _ := auth.UserFrom(r.Context())
	return u, auth.Actor{Kind: auditlog.KindUser, Name: u.Name, Remote: r.RemoteAddr}
}

// department checks that a dept-admin's department is in the plan (the
// role and name rules are auth.CheckUser's); on false the answer is written.
func (h userAdmin) department(w http.ResponseWriter, r *http.Request, dept string) bool {
	if dept == "" {
		return true
	}
	if !cleanText(dept, 64) {
		respond.Error(w, http.StatusBadRequest, "invalid department code", nil)
		return false
	}
	ok, err := h.s.d.Inventory.DepartmentExists(r.Context(), dept)
	if err != nil {
		h.s.internal(w, "look up department", err)
		return false
	}
	if !ok {
		respond.Error(w, http.StatusBadRequest, "department is not in the plan", map[string]string{"department": dept})
	}
	return ok
}

func (h userAdmin) add(w http.ResponseWriter, r *http.Request) {
	var b newUser
	if !h.s.decodeJSON(w, r, &b) {
		return
	}
	b.Name, b.Department = strings.TrimSpace(b.Name), strings.TrimSpace(b.Department)
	if err := auth.CheckUser(b.Name, b.Role, b.Department); err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid user", strings.Split(err.Error(), "\n"))
		return
	}
	if err := auth.CheckPassword(b.Name, b.Password); err != nil {
		respond.Error(w, http.StatusBadRequest, "password refused by the password policy", strings.Split(err.Error(), "\n"))
		return
	}
	if !h.department(w, r, b.Department) {
		return
	}
	_, by := actor(r)
	err := h.s.d.Auth.AddUser(r.Context(), auth.User{Name: b.Name, Role: b.Role, Department: b.Department}, b.Password, by)
	if errors.Is(err, auth.ErrUserExists) {
		respond.Error(w, http.StatusConflict, "a user with this name exists", map[string]string{"name": b.Name})
		return
	}
	if err != nil {
		h.s.internal(w, "add user", err)
		return
	}
	respond.JSON(w, http.StatusCreated, auth.User{Name: b.Name, Role: b.Role, Department: b.Department})
}

// target reads {name} and refuses the caller's own account.
func (h userAdmin) target(w http.ResponseWriter, r *http.Request) (string, auth.Actor, bool) {
	u, by := actor(r)
	name := r.PathValue("name")
	if name == u.Name {
		respond.Error(w, http.StatusConflict, "you cannot change, disable or delete your own account here; another sysadmin (or the CLI) can", map[string]string{"name": name})
		return name, by, false
	}
	return name, by, true
}

// changed answers the outcome of an auth service change.
func (h userAdmin) changed(w http.ResponseWriter, name, what string, err error, body any) {
	switch {
	case errors.Is(err, auth.ErrNoSuchUser):
		respond.Error(w, http.StatusNotFound, "user not found", map[string]string{"name": name})
	case errors.Is(err, auth.ErrLastSysAdmin):
		respond.Error(w, http.StatusConflict, auth.ErrLastSysAdmin.Error(), map[string]string{"name": name})
	case err != nil:
		h.s.internal(w, what, err)
	default:
		respond.JSON(w, http.StatusOK, body)
	}
}

type roleBody struct {
	Role       string `json:"role"`
	Department string `json:"department"`
}

func (h userAdmin) role(w http.ResponseWriter, r *http.Request) {
	name, by, ok := h.target(w, r)
	if !ok {
		return
	}
	var b roleBody
	if !h.s.decodeJSON(w, r, &b) {
		return
	}
	b.Department = strings.TrimSpace(b.Department)
	if err := auth.CheckUser(name, b.Role, b.Department); err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid role", strings.Split(err.Error(), "\n"))
		return
	}
	if !h.department(w, r, b.Department) {
		return
	}
	err := h.s.d.Auth.SetRole(r.Context(), name, b.Role, b.Department, by)
	h.changed(w, name, "set role", err, auth.User{Name: name, Role: b.Role, Department: b.Department})
}

func (h userAdmin) disable(w http.ResponseWriter, r *http.Request, disabled bool) {
	name, by, ok := h.target(w, r)
	if !ok {
		return
	}
	err := h.s.d.Auth.SetDisabled(r.Context(), name, disabled, by)
	h.changed(w, name, "disable user", err, map[string]any{"name": name, "disabled": disabled})
}

func (h userAdmin) delete(w http.ResponseWriter, r *http.Request) {
	name, by, ok := h.target(w, r)
	if !ok {
		return
	}
	err := h.s.d.Auth.DeleteUser(r.Context(), name, by)
	if err == nil && h.o.TOTP != nil {
		// A user added later under the same name must not inherit this
		// person's second factor.
		err = h.o.TOTP.Remove(r.Context(), name)
	}
	h.changed(w, name, "delete user", err, map[string]any{"name": name, "deleted": true})
}

func (h userAdmin) totp(w http.ResponseWriter, r *http.Request) {
	name, by, ok := h.target(w, r)
	if !ok {
		return
	}
	if h.o.TOTP == nil {
		respond.Error(w, http.StatusNotImplemented, "no second factor is configured on this collector", nil)
		return
	}
	as, err := h.s.d.Auth.Accounts(r.Context())
	if err != nil {
		h.s.internal(w, "list users", err)
		return
	}
	found := false
	for _, a := range as {
		found = found || (a.Name == name && !a.Directory)
	}
	if !found {
		respond.Error(w, http.StatusNotFound, "user not found (or managed by the directory)", map[string]string{"name": name})
		return
	}
	uri, codes, err := h.o.TOTP.Enroll(r.Context(), name, h.o.Issuer)
	if err != nil {
		h.s.internal(w, "enrol second factor", err)
		return
	}
	if _, err := h.s.d.Audit.Append(context.WithoutCancel(r.Context()), auditlog.Entry{ActorKind: by.Kind, Actor: by.Name, Remote: by.Remote,
		Action: "user.totp", Target: name, Detail: auditlog.Detail(map[string]any{"note": "second factor enrolled; previous one replaced"})}); err != nil {
		h.s.internal(w, "audit", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	respond.JSON(w, http.StatusOK, map[string]any{"name": name, "uri": uri, "recovery_codes": codes})
}
