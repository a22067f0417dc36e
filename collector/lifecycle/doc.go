// Package lifecycle keeps the violation lifecycle of the collector: which
// findings exist, their status (open, acknowledged, exempted, resolved) and
// every transition with who and when, so any past moment can be
// reconstructed. Its ingest processor keeps each agent's latest report per
// department, asks the pure rules engine (collector/rules) to judge the
// department's current facts and applies the result; its HTTP handlers serve
// GET /api/v1/violations and the acknowledge, exempt and resolve actions.
//
// It exists apart from collector/rules so that judging stays pure (reports
// in, findings out, as the offline audit runs it) and everything that
// writes to the database lives here.
package lifecycle
