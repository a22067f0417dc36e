// Package demotest runs `make demo`'s script (deploy/demo/demo.sh) in its
// non-interactive smoke mode, so the README's main command is exercised in CI:
// the lab demo as root, the loopback demo as an unprivileged user.
package demotest
