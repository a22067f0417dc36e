package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
)

// requireUser authenticates (session cookie, else HTTP Basic), checks the
// role, runs h and audits the call.
func (s *Server) requireUser(roles []string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.authenticate(r)
		if err != nil {
			status, msg := http.StatusUnauthorized, "authentication required"
			switch {
			case errors.Is(err, auth.ErrLocked), errors.Is(err, auth.ErrBadLogin):
				msg = loginRefused
			case errors.Is(err, auth.ErrInvalidSession):
				msg = "session expired or unknown; log in again"
			case errors.Is(err, errNoCredentials):
			default:
				s.log.Error("authenticate user", "err", err)
				respond.Error(w, http.StatusInternalServerError, "internal error", nil)
				return
			}
			// The web UI marks its requests: a Basic challenge would make the
			// browser pop its own password dialog over the page's login form.
			if status == http.StatusUnauthorized && r.Header.Get("X-Requested-With") == "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="egovnet", charset="UTF-8"`)
			}
			respond.Error(w, status, msg, nil)
			return
		}
		rec := &respond.StatusRecorder{ResponseWriter: w}
		if crossOrigin(r) {
			respond.Error(rec, http.StatusForbidden, "cross-origin request refused", map[string]string{"origin": r.Header.Get("Origin")})
		} else if !slices.Contains(roles, u.Role) {
			respond.Error(rec, http.StatusForbidden, "your role may not use this route", map[string]any{"role": u.Role, "allowed": roles})
		} else {
			h.ServeHTTP(rec, r.WithContext(auth.WithUser(r.Context(), u)))
		}
		s.auditRequest(r, u, rec.Code())
	})
}

var errNoCredentials = errors.New("no credentials")

// crossOrigin reports a state-changing request carried by the session
// cookie from another origin. SameSite=Strict already keeps modern browsers
// from sending the cookie; this is the second lock (CSRF).
func crossOrigin(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if _, err := r.Cookie(SessionCookie); err != nil {
		return false // Basic auth: scripts, no ambient credentials
	}
	origin := r.Header.Get("Origin")
	return origin != "" && !sameOrigin(origin, r.Host)
}

// sameOrigin reports whether an Origin header names this host ("null" and
// unparsable origins are foreign).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && u.Host == host
}

func (s *Server) authenticate(r *http.Request) (auth.User, error) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return s.d.Auth.SessionUser(r.Context(), c.Value)
	}
	if name, pw, ok := r.BasicAuth(); ok {
		u, err := s.d.Auth.Authenticate(r.Context(), name, pw, r.RemoteAddr)
		if err != nil {
			return u, err
		}
		needs, err := s.d.Auth.NeedsSecondFactor(r.Context(), u)
		if err != nil {
			return auth.User{}, err
		}
		if needs {
			// A password alone never admits a user that needs two factors;
			// the answer is the generic refusal (a distinct one would confirm
			// the password) and the audit log says why.
			_, _ = s.d.Audit.Append(context.WithoutCancel(r.Context()), auditlog.Entry{ActorKind: auditlog.KindUser, Actor: u.Name,
				Remote: r.RemoteAddr, Action: "login", Outcome: auditlog.OutcomeDenied,
				Detail: auditlog.Detail(map[string]any{"error": auth.ErrBasicRefused.Error()})})
			return auth.User{}, auth.ErrBadLogin
		}
		return u, nil
	}
	return auth.User{}, errNoCredentials
}

// auditRequest records one user call: every user action is audited.
func (s *Server) auditRequest(r *http.Request, u auth.User, status int) {
	if status == 0 {
		status = http.StatusOK
	}
	outcome := auditlog.OutcomeOK
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		outcome = auditlog.OutcomeDenied
	case status >= 400:
		outcome = auditlog.OutcomeError
	}
	target := r.URL.RequestURI()
	if len(target) > 512 {
		target = target[:512]
	}
	dept := r.URL.Query().Get("department")
	if dept == "" {
		dept = u.Department
	}
	if len(dept) > 64 {
		dept = dept[:64]
	}
	e := auditlog.Entry{ActorKind: auditlog.KindUser, Actor: u.Name, Remote: r.RemoteAddr,
		Action: "http " + r.Method + " " + r.URL.Path, Department: dept, Target: target, Outcome: outcome, Detail: auditlog.Detail(map[string]any{"status": status, "role": u.Role})}
	var err error
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		// Reads never write on the request path: batched, still complete
		// and chained (Server.Close writes what is queued).
		err = s.readAudit.Record(r.Context(), e)
	} else {
		_, err = s.d.Audit.Append(context.WithoutCancel(r.Context()), e)
	}
	if err != nil {
		s.log.Error("audit user request", "err", err)
	}
}

// Department resolves the ?department= parameter against the caller: a
// department administrator gets their own department when the parameter is
// absent and 403 for any other; other roles get "" (all) when absent. An
// unknown department gets 404. On false the error answer is written.
func (s *Server) Department(w http.ResponseWriter, r *http.Request) (string, bool) {
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		respond.Error(w, http.StatusUnauthorized, "authentication required", nil)
		return "", false
	}
	dept := r.URL.Query().Get("department")
	if dept != "" && !cleanText(dept, 64) {
		respond.Error(w, http.StatusBadRequest, "invalid department code", nil)
		return "", false
	}
	if dept == "" {
		if u.Role == auth.RoleDeptAdmin {
			return u.Department, true
		}
		return "", true
	}
	if !u.CanSeeDepartment(dept) {
		respond.Error(w, http.StatusForbidden, "a department administrator sees only their own department", map[string]string{"department": dept, "yours": u.Department})
		return "", false
	}
	exists, err := s.d.Inventory.DepartmentExists(r.Context(), dept)
	if err != nil {
		s.internal(w, "look up department", err)
		return "", false
	}
	if !exists {
		respond.Error(w, http.StatusNotFound, "unknown department", map[string]string{"department": dept})
		return "", false
	}
	return dept, true
}

// cleanText reports whether s is at most max bytes of valid UTF-8 without
// control characters: the shape of every name a client may send.
func cleanText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "err", err)
	respond.Error(w, http.StatusInternalServerError, "internal error", nil)
}

// decodeJSON reads a bounded JSON body strictly into v; on false the 4xx
// answer is written.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, s.d.MaxRequestBytes+1))
	if err != nil {
		respond.Error(w, http.StatusBadRequest, "read body", err.Error())
		return false
	}
	if int64(len(data)) > s.d.MaxRequestBytes {
		respond.Error(w, http.StatusRequestEntityTooLarge, "request body too large", map[string]int64{"limit_bytes": s.d.MaxRequestBytes})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		respond.Error(w, http.StatusBadRequest, "malformed JSON body", err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		respond.Error(w, http.StatusBadRequest, "malformed JSON body", "trailing data after the JSON object")
		return false
	}
	return true
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	// OTP is the one-time code (or a recovery code) for the roles that
	// need a second factor (auth.totp.required_roles).
	OTP string `json:"otp"`
}

// loginRefused is the one answer for a wrong password, an unknown name and
// a throttled (account, address): telling them apart would tell an
// attacker which accounts exist and which one they have locked.
const loginRefused = "wrong user name, password or one-time code (administrator roles need their code), or too many failed attempts from this address; try again later"

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	// Login CSRF: a form on another site can POST text/plain here and log
	// the victim's browser into the attacker's account. Only JSON (which a
	// cross-site form cannot send without a CORS preflight) from this
	// origin is taken.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		respond.Error(w, http.StatusUnsupportedMediaType, "login takes a JSON body (Content-Type: application/json)", nil)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
		respond.Error(w, http.StatusForbidden, "cross-origin login refused", map[string]string{"origin": origin})
		return
	}
	var req loginRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if req.Name == "" || req.Password == "" {
		respond.Error(w, http.StatusBadRequest, "name and password are required", nil)
		return
	}
	u, err := s.d.Auth.Login(r.Context(), req.Name, req.Password, req.OTP, r.RemoteAddr)
	switch {
	case errors.Is(err, auth.ErrLocked), errors.Is(err, auth.ErrBadLogin),
		errors.Is(err, auth.ErrSecondFactor), errors.Is(err, auth.ErrSecondFactorNotEnrolled):
		// One answer whichever factor failed: a distinct "code required"
		// would confirm the password to whoever guessed it. The audit log
		// says which (a missing enrolment included).
		respond.Error(w, http.StatusUnauthorized, loginRefused, nil)
		return
	case err != nil:
		s.internal(w, "login", err)
		return
	}
	id, exp, err := s.d.Auth.CreateSession(r.Context(), u)
	if err != nil {
		s.internal(w, "create session", err)
		return
	}
	if _, err := s.d.Audit.Append(r.Context(), auditlog.Entry{ActorKind: auditlog.KindUser, Actor: u.Name, Remote: r.RemoteAddr, Action: "login", Department: u.Department}); err != nil {
		s.internal(w, "audit login", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", Expires: exp, HttpOnly: true,
		Secure: s.d.SecureCookies, SameSite: http.SameSiteStrictMode})
	respond.JSON(w, http.StatusOK, map[string]any{"name": u.Name, "role": u.Role, "department": u.Department, "expires_at": exp})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		respond.Error(w, http.StatusUnauthorized, "not logged in", nil)
		return
	}
	u, uerr := s.d.Auth.SessionUser(r.Context(), c.Value)
	if err := s.d.Auth.DeleteSession(r.Context(), c.Value); err != nil {
		s.internal(w, "logout", err)
		return
	}
	if uerr == nil {
		_, _ = s.d.Audit.Append(r.Context(), auditlog.Entry{ActorKind: auditlog.KindUser, Actor: u.Name, Remote: r.RemoteAddr, Action: "logout", Department: u.Department})
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.d.SecureCookies, SameSite: http.SameSiteStrictMode})
	respond.JSON(w, http.StatusOK, map[string]bool{"logged_out": true})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	respond.JSON(w, http.StatusOK, u)
}

// bearer extracts a bearer credential.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const p = "bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):])
	}
	return ""
}
