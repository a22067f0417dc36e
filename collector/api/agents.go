package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
)

type enrollRequest struct {
	Token        string `json:"token"`
	Hostname     string `json:"hostname"`
	AgentVersion string `json:"agent_version"`
}

type enrollResponse struct {
	AgentID    string `json:"agent_id"`
	Credential string `json:"credential"`
	Department string `json:"department"`
	// ReleaseKey is pinned by the agent: it installs only builds signed
	// with it.
	ReleaseKey string `json:"release_key,omitempty"`
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req enrollRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	var problems []string
	if req.Token == "" {
		problems = append(problems, "token: required")
	}
	if strings.TrimSpace(req.Hostname) == "" {
		problems = append(problems, "hostname: required")
	}
	if !cleanText(req.Hostname, wire.MaxShortString) {
		problems = append(problems, fmt.Sprintf("hostname: at most %d bytes of UTF-8 text without control characters", wire.MaxShortString))
	}
	if !cleanText(req.AgentVersion, wire.MaxShortString) {
		problems = append(problems, fmt.Sprintf("agent_version: at most %d bytes of UTF-8 text without control characters", wire.MaxShortString))
	}
	if len(problems) > 0 {
		respond.Error(w, http.StatusBadRequest, "invalid enrolment request", problems)
		return
	}
	agent, cred, err := s.d.Auth.Enroll(r.Context(), req.Token, req.Hostname, req.AgentVersion, r.RemoteAddr)
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		respond.Error(w, http.StatusUnauthorized, "invalid enrolment token", nil)
		return
	case errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrTokenRevoked), errors.Is(err, auth.ErrTokenUsedUp), errors.Is(err, auth.ErrNotInPlan):
		respond.Error(w, http.StatusForbidden, err.Error(), nil)
		return
	case err != nil:
		s.internal(w, "enrol agent", err)
		return
	}
	s.log.Info("agent enrolled", "department", agent.Department, "agent", agent.ID, "hostname", agent.Hostname)
	respond.JSON(w, http.StatusOK, enrollResponse{AgentID: agent.ID, Credential: cred, Department: agent.Department, ReleaseKey: s.d.ReleaseKey})
}

// closeUnread closes an HTTP/1 connection after a refusal sent before
// the body is read: otherwise the server first reads and discards the
// body, as slowly as the agent sends it. On HTTP/2 the unread body costs
// only its stream, and the header would end the whole connection.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
}

// noLongerInPlan answers an agent whose department the plan lacks.
const noLongerInPlan = "the agent's department is no longer in the plan"

// postReport takes one ScanReport from an enrolled agent. The department is
// the agent's enrolment department. A report naming another department in
// agent.department, or another agent in agent.id, is refused with 403: the
// credential proves who the agent is, and an agent may only report for
// itself and its own department (a mismatch means a misconfigured or
// copied agent, and storing it would file facts under the wrong department).
// An empty agent.department is filled from the enrolment.
func (s *Server) postReport(w http.ResponseWriter, r *http.Request) {
	cred := bearer(r)
	agent, verify, err := s.d.Auth.AuthenticateUpload(r.Context(), cred)
	if err != nil {
		if !errors.Is(err, auth.ErrInvalidCredential) {
			s.internal(w, "authenticate agent", err)
			return
		}
		s.auditAgent(r, auditlog.Entry{Actor: "unknown", Outcome: auditlog.OutcomeDenied, Detail: auditlog.Detail(map[string]any{"error": "invalid credential"})})
		w.Header().Set("WWW-Authenticate", `Bearer realm="egovnet"`)
		respond.Error(w, http.StatusUnauthorized, "missing or invalid agent credential", nil)
		return
	}
	deny := func(status int, msg string, detail any) {
		s.auditAgent(r, auditlog.Entry{Actor: agent.ID, Department: agent.Department, Outcome: auditlog.OutcomeDenied,
			Detail: auditlog.Detail(map[string]any{"status": status, "error": msg})})
		respond.Error(w, status, msg, detail)
	}
	if s.d.InPlan != nil && !s.d.InPlan(agent.Department) {
		closeUnread(w, r)
		deny(http.StatusForbidden, noLongerInPlan, map[string]string{"department": agent.Department})
		return
	}
	if r.ContentLength > s.d.MaxReportBytes {
		closeUnread(w, r)
		deny(http.StatusRequestEntityTooLarge, "report too large", map[string]int64{"limit_bytes": s.d.MaxReportBytes})
		return
	}
	// Back-pressure comes after the checks that refuse a report for good
	// (an agent must learn that, not retry it) and before the body is read.
	if s.lag.refuse(w, agent.Department) {
		return
	}
	release, ok := s.agentSlots.acquire(agent.ID)
	if !ok {
		w.Header().Set("Retry-After", uploadRetryAfterSeconds)
		deny(http.StatusTooManyRequests, "too many uploads of this agent in progress", map[string]int{"per_agent": s.d.UploadsPerAgent})
		return
	}
	defer release()
	// The body is read in full before a decoding slot is taken: a slow
	// sender holds only its own buffer, never a slot other agents wait for.
	raw, err := readUpload(w, r, s.d.MaxReportBytes, s.d.MinUploadRate, s.d.UploadGrace)
	switch {
	case errors.Is(err, errBodyTooLarge):
		deny(http.StatusRequestEntityTooLarge, "report too large", map[string]int64{"limit_bytes": s.d.MaxReportBytes})
		return
	case errors.Is(err, errBodyTooSlow):
		deny(http.StatusRequestTimeout, "report body arrived too slowly", err.Error())
		return
	case err != nil:
		deny(http.StatusBadRequest, "report body unreadable", err.Error())
		return
	}
	enc := strings.ToLower(r.Header.Get("Content-Encoding"))
	plain := enc == "" || enc == "identity"
	free, err := s.budget.acquire(r.Context(), s.budget.weight(int64(len(raw)), !plain))
	if err != nil {
		return // the agent gave up; it will retry
	}
	defer free()
	var body io.Reader = bytes.NewReader(raw)
	switch enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			deny(http.StatusBadRequest, "malformed gzip body", err.Error())
			return
		}
		defer zr.Close()
		body = zr // the limit below applies to the decompressed size
	default:
		deny(http.StatusUnsupportedMediaType, "unsupported Content-Encoding", enc)
		return
	}
	rep, err := wire.DecodeReport(body, s.d.MaxReportBytes)
	raw = nil // only the decoded report is needed from here on
	if err != nil {
		var ve *wire.ValidationError
		switch {
		case errors.Is(err, wire.ErrReportTooLarge):
			deny(http.StatusRequestEntityTooLarge, "report too large", map[string]int64{"limit_bytes": s.d.MaxReportBytes})
		case errors.As(err, &ve):
			deny(http.StatusBadRequest, "invalid report", ve.Strings())
		default:
			deny(http.StatusBadRequest, "malformed report", err.Error())
		}
		return
	}
	if rep.Agent.Department != "" && rep.Agent.Department != agent.Department {
		deny(http.StatusForbidden, "report names another department than the agent's enrolment",
			map[string]string{"report_department": rep.Agent.Department, "enrolled_department": agent.Department})
		return
	}
	if rep.Agent.ID != agent.ID {
		deny(http.StatusForbidden, "report names another agent than the credential's",
			map[string]string{"report_agent": rep.Agent.ID, "credential_agent": agent.ID})
		return
	}
	rep.Agent.Department = agent.Department
	src := ingest.Source{Kind: inventory.SourceUpload, AgentID: agent.ID,
		Actor: auditlog.Entry{ActorKind: auditlog.KindAgent, Actor: agent.ID, Remote: r.RemoteAddr}}
	if verify != nil {
		// the agent came from memory: its transaction checks it is
		// still enrolled and not revoked
		src.Verify = func(ctx context.Context, tx *store.Tx) error {
			err := verify(ctx, tx)
			if errors.Is(err, auth.ErrInvalidCredential) {
				return fmt.Errorf("%w: %w", ingest.ErrNotVerified, err)
			}
			return err
		}
	}
	res, err := s.d.Ingester.Ingest(r.Context(), rep, agent.Department, src)
	switch {
	case errors.Is(err, ingest.ErrNotVerified):
		w.Header().Set("WWW-Authenticate", `Bearer realm="egovnet"`)
		respond.Error(w, http.StatusUnauthorized, "missing or invalid agent credential", nil)
		return
	case errors.Is(err, ingest.ErrConflict):
		respond.Error(w, http.StatusConflict, "report id already used by another agent or department", map[string]string{"report_id": rep.ReportID})
		return
	case errors.Is(err, ingest.ErrDifferentContent):
		respond.Error(w, http.StatusConflict, "report id already stored with different content; the stored report is kept", map[string]string{"report_id": rep.ReportID})
		return
	case errors.Is(err, ingest.ErrUnknownDepartment):
		respond.Error(w, http.StatusForbidden, noLongerInPlan, map[string]string{"department": agent.Department})
		return
	case err != nil:
		s.internal(w, "ingest report", err)
		return
	}
	status := http.StatusAccepted
	if !res.Stored {
		status = http.StatusOK
	}
	s.log.Info("report received", "department", agent.Department, "agent", agent.ID, "report", rep.ReportID, "stored", res.Stored, "endpoints", len(rep.Endpoints))
	respond.JSON(w, status, map[string]any{"report_id": rep.ReportID, "accepted": true})
}

// auditAgent records an agent action that did not reach the ingester.
func (s *Server) auditAgent(r *http.Request, e auditlog.Entry) {
	e.ActorKind, e.Action, e.Remote = auditlog.KindAgent, "report.upload", r.RemoteAddr
	if _, err := s.d.Audit.Append(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("audit agent request", "err", err)
	}
}
