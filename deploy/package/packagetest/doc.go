// Package packagetest checks the release artefacts: make dist's
// cross-builds (right machine type per file, the arm64 agent actually runs
// under qemu-user) and make package's deb and rpm per architecture.
package packagetest
