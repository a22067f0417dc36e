package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// partSuffix ends the temporary files exports write before renaming them
// into place: ".<name>.<pid>.<random>.part".
const partSuffix = ".part"

// WriteFile renders into a temporary file beside path, seals it (when
// signer is not nil: path.sha256, path.sm3, path.sig) and renames it into
// place, so a failed export leaves neither a partial file nor a changed
// old one. When ctx ends (the CLI's SIGINT/SIGTERM) the temporary file is
// removed at once and rendering stops at its next write; temporary files
// left by earlier runs that were killed outright (their process is gone)
// are removed first.
func WriteFile(ctx context.Context, path string, signer *Signer, render func(io.Writer) error) (Seal, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	removeStaleParts(dir, base)
	tmp, err := os.CreateTemp(dir, "."+base+"."+strconv.Itoa(os.Getpid())+".*"+partSuffix)
	if err != nil {
		return Seal{}, fmt.Errorf("create %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			os.Remove(name)
		case <-done:
		}
	}()
	var sl *sealer
	var w io.Writer = tmp
	if signer != nil {
		if sl, err = newSealer(signer.PublicKey()); err != nil {
			tmp.Close()
			return Seal{}, err
		}
		w = io.MultiWriter(tmp, sl)
	}
	bw := bufio.NewWriterSize(ctxWriter{ctx, w}, 64<<10)
	if err := render(bw); err != nil {
		tmp.Close()
		return Seal{}, err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return Seal{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Seal{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return Seal{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return Seal{}, fmt.Errorf("write %s: %w", path, err)
	}
	var seal Seal
	if sl != nil {
		if seal, err = sl.seal(signer); err != nil {
			return Seal{}, err
		}
	}
	if err := os.Chmod(name, 0o644); err != nil {
		return Seal{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return Seal{}, fmt.Errorf("write %s: %w", path, err)
	}
	if sl != nil {
		if err := seal.WriteSidecars(path); err != nil {
			return Seal{}, err
		}
	}
	return seal, nil
}

// ctxWriter fails every write once ctx has ended, so a cancelled export
// stops instead of rendering on.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// removeStaleParts removes ".<base>.<pid>.*.part" files in dir whose
// process no longer runs (an export killed by SIGKILL or a power cut).
func removeStaleParts(dir, base string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".*"+partSuffix))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), "."+base+".")
		pidText, _, ok := strings.Cut(rest, ".")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			continue
		}
		if pid != os.Getpid() && !processAlive(pid) {
			os.Remove(m)
		}
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(s)
}
