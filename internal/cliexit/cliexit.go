// Package cliexit maps a command's error to the exit status every egovnet
// binary promises (CONTRACT: 0 success, 1 runtime failure, 2 bad usage or
// invalid configuration). The agent, the collector and the lab share it so
// that a usage error means the same status everywhere and cobra's own usage
// errors are recognised in one place.
package cliexit

import (
	"errors"
	"fmt"
	"strings"
)

// Exit statuses.
const (
	OK       = 0
	Failure  = 1
	BadUsage = 2
)

// UsageError is bad usage or invalid configuration: exit status BadUsage.
// Err is exported so callers may build one literally.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// ExitCode makes a UsageError a Coder.
func (e UsageError) ExitCode() int { return BadUsage }

// Coder is an error that names its own exit status.
type Coder interface{ ExitCode() int }

// Usage marks err as bad usage; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return UsageError{err}
}

// Usagef is Usage(fmt.Errorf(format, args...)).
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// IsUsage tells whether err is bad usage: a UsageError anywhere in its
// chain, or one of cobra's own usage errors.
func IsUsage(err error) bool {
	var ue UsageError
	return errors.As(err, &ue) || isCobraUsage(err)
}

// Code is the exit status for err: OK for nil, the status a Coder in its
// chain names, BadUsage for cobra's usage errors, else Failure.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	if isCobraUsage(err) {
		return BadUsage
	}
	return Failure
}

// cobraUsage are the beginnings of the errors cobra returns, unwrapped,
// for a bad command line: unknown (sub)commands, positional argument
// checks, required flags. Flag parsing errors do not need this: each root
// command turns them into a UsageError with SetFlagErrorFunc. Prefixes, not
// substrings: a runtime error that merely contains "invalid argument"
// (EINVAL) is a failure, not bad usage.
var cobraUsage = []string{
	"unknown command ", "unknown flag", "unknown shorthand flag",
	"accepts ", "requires at least ", "invalid argument ",
	"flag needs an argument", "required flag(s) ", "if any flags in the group",
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range cobraUsage {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
