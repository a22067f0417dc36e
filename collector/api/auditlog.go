package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/respond"
)

// Audit log page sizes: the log grows without bound, so a list is always
// a page.
const (
	defaultAuditPage = 1000
	maxAuditPage     = 10000
)

// auditRoles may read the audit log (CONTRACT "Second round").
var auditRoles = []string{auth.RoleAuditor, auth.RoleSecAdmin}

type auditItem struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Outcome string    `json:"outcome"`
	Hash    string    `json:"hash"`
	// Beyond the CONTRACT's fields, for the auditor's context.
	ActorKind  string `json:"actor_kind"`
	Department string `json:"department,omitempty"`
	Remote     string `json:"remote,omitempty"`
}

// listAuditLog answers GET /api/v1/auditlog?since=RFC3339&limit=&offset=&q=.
func (s *Server) listAuditLog(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	q := auditlog.Query{Limit: defaultAuditPage, Text: qs.Get("q")}
	var problems []string
	if v := qs.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			problems = append(problems, "since: want an RFC3339 time")
		}
		q.Since = t
	}
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditPage {
			problems = append(problems, "limit: want 1.."+strconv.Itoa(maxAuditPage))
		}
		q.Limit = n
	}
	if v := qs.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problems = append(problems, "offset: want a number >= 0")
		}
		q.Offset = n
	}
	if len(q.Text) > 256 || !cleanText(q.Text, 256) {
		problems = append(problems, "q: at most 256 bytes of text")
	}
	if len(problems) > 0 {
		respond.Error(w, http.StatusBadRequest, "invalid audit log query", problems)
		return
	}
	entries, total, err := s.d.Audit.Page(r.Context(), q)
	if err != nil {
		s.internal(w, "list audit log", err)
		return
	}
	out := make([]auditItem, len(entries))
	for i, e := range entries {
		out[i] = auditItem{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Outcome: e.Outcome, Hash: e.Hash,
			ActorKind: e.ActorKind, Department: e.Department, Remote: e.Remote}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	respond.JSON(w, http.StatusOK, out)
}
