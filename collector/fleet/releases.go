package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/release"
	"github.com/google/uuid"
)

// MaxReleaseBytes bounds one agent build (a static agent is ~15 MB).
const MaxReleaseBytes = 256 << 20

var (
	platformRe = regexp.MustCompile(`^[a-z0-9]{1,16}$`)
	versionRe  = regexp.MustCompile(`^v?[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$`)
	// ErrNoRelease is returned when no build exists for a platform.
	ErrNoRelease = errors.New("no release for this platform")
)

// AddRelease stores a build signed with the release key.
func (s *Store) AddRelease(ctx context.Context, r io.Reader, version, goos, goarch, by string) (release.Info, error) {
	var errs []error
	if !versionRe.MatchString(version) {
		errs = append(errs, fmt.Errorf("version: %q is not a version", version))
	}
	if !platformRe.MatchString(goos) {
		errs = append(errs, fmt.Errorf("os: %q is not a GOOS", goos))
	}
	if !platformRe.MatchString(goarch) {
		errs = append(errs, fmt.Errorf("arch: %q is not a GOARCH", goarch))
	}
	if err := errors.Join(errs...); err != nil {
		return release.Info{}, &InvalidError{Err: err}
	}
	content, err := io.ReadAll(io.LimitReader(r, MaxReleaseBytes+1))
	if err != nil {
		return release.Info{}, fmt.Errorf("read release: %w", err)
	}
	if len(content) > MaxReleaseBytes {
		return release.Info{}, &InvalidError{Err: fmt.Errorf("file: larger than %d bytes", MaxReleaseBytes)}
	}
	if len(content) == 0 {
		return release.Info{}, &InvalidError{Err: errors.New("file: empty")}
	}
	sum := sha256.Sum256(content)
	info := release.Info{ID: uuid.NewString(), Version: version, OS: goos, Arch: goarch, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
	info.Signature = release.Sign(s.keys.Release, goos, goarch, version, info.SHA256)
	info.URL = "/api/v1/agent/release/" + info.ID + "/binary"
	_, err = s.db.Exec(ctx, `INSERT INTO fleet_releases (id, version, os, arch, sha256, size, signature, content, created_at, created_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, info.ID, version, goos, goarch, info.SHA256, info.Size, info.Signature, content, store.Time(s.o.Now()), by)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "23505") {
			return release.Info{}, &InvalidError{Err: fmt.Errorf("version: %s for %s/%s exists already", version, goos, goarch)}
		}
		return release.Info{}, fmt.Errorf("store release: %w", err)
	}
	return info, nil
}

// Newest returns the newest release for a platform.
func (s *Store) Newest(ctx context.Context, goos, goarch string) (release.Info, error) {
	rows, err := s.db.Query(ctx, `SELECT id, version, sha256, size, signature FROM fleet_releases WHERE os = ? AND arch = ?`, goos, goarch)
	if err != nil {
		return release.Info{}, fmt.Errorf("list releases: %w", err)
	}
	defer rows.Close()
	var best release.Info
	found := false
	for rows.Next() {
		i := release.Info{OS: goos, Arch: goarch}
		if err := rows.Scan(&i.ID, &i.Version, &i.SHA256, &i.Size, &i.Signature); err != nil {
			return release.Info{}, fmt.Errorf("scan release: %w", err)
		}
		if !found || release.CompareVersions(i.Version, best.Version) > 0 {
			best, found = i, true
		}
	}
	if err := rows.Err(); err != nil {
		return release.Info{}, err
	}
	if !found {
		return release.Info{}, ErrNoRelease
	}
	best.URL = "/api/v1/agent/release/" + best.ID + "/binary"
	return best, nil
}

// Binary returns a release's content.
func (s *Store) Binary(ctx context.Context, id string) (io.ReadSeeker, int64, error) {
	var content []byte
	err := s.db.QueryRow(ctx, `SELECT content FROM fleet_releases WHERE id = ?`, id).Scan(&content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNoRelease
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read release %s: %w", id, err)
	}
	return bytes.NewReader(content), int64(len(content)), nil
}
