// Package respond writes the collector API's JSON answers in the one shape
// the CONTRACT fixes: data as JSON, errors as {"error": "...", "detail": ...}.
package respond

import (
	"encoding/json"
	"net/http"
)

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ErrorBody is the CONTRACT's error shape.
type ErrorBody struct {
	Error  string `json:"error"`
	Detail any    `json:"detail"` // always present (null when there is none): CONTRACT shape
}

// Error writes an error answer; detail may be nil.
func Error(w http.ResponseWriter, status int, msg string, detail any) {
	JSON(w, status, ErrorBody{Error: msg, Detail: detail})
}
