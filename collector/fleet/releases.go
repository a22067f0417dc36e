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
	"strconv"
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
		if !found || CompareVersions(i.Version, best.Version) > 0 {
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

// CompareVersions orders versions like "1.10.0" > "1.9.2" > "1.9.2-rc1";
// the git-describe forms the Makefile stamps ("v1.2.0-3-gabc") sort after
// their tag.
func CompareVersions(a, b string) int {
	a, b = strings.TrimPrefix(a, "v"), strings.TrimPrefix(b, "v")
	split := func(s string) ([]string, string) {
		core, pre, _ := strings.Cut(s, "-")
		return strings.Split(core, "."), pre
	}
	ac, ap := split(a)
	bc, bp := split(b)
	for i := 0; i < len(ac) || i < len(bc); i++ {
		var x, y string
		if i < len(ac) {
			x = ac[i]
		}
		if i < len(bc) {
			y = bc[i]
		}
		xi, xerr := strconv.Atoi(x)
		yi, yerr := strconv.Atoi(y)
		switch {
		case xerr == nil && yerr == nil && xi != yi:
			if xi < yi {
				return -1
			}
			return 1
		case (xerr != nil || yerr != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	if ap == bp {
		return 0
	}
	// "1.2.0-3-gabc" (commits after the tag) is newer than "1.2.0", but
	// "1.2.0-rc1" is older: a numeric first pre-release field means
	// commits since the tag.
	after := func(p string) bool {
		f, _, _ := strings.Cut(p, "-")
		_, err := strconv.Atoi(f)
		return err == nil
	}
	switch {
	case ap == "":
		if after(bp) {
			return -1
		}
		return 1
	case bp == "":
		if after(ap) {
			return 1
		}
		return -1
	}
	return strings.Compare(ap, bp)
}
