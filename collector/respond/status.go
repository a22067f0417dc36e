package respond

import "net/http"

// StatusRecorder remembers the status a handler answered with, for the
// middlewares that count (metrics) and audit (api) requests after the fact.
type StatusRecorder struct {
	http.ResponseWriter
	// Status is the first status written; 0 until the handler writes.
	Status int
}

// WriteHeader records the first status and passes it on.
func (s *StatusRecorder) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 before the first byte.
func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Code is the status answered: 200 when the handler wrote nothing.
func (s *StatusRecorder) Code() int {
	if s.Status == 0 {
		return http.StatusOK
	}
	return s.Status
}

// Unwrap lets http.ResponseController reach the real writer (deadlines,
// flush) through the middleware.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
