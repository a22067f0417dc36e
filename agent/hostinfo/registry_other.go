//go:build !windows

package hostinfo

import "github.com/egovnet/egovnet/internal/wire"

// registrySoftware: there is no Windows registry here.
func registrySoftware() ([]wire.Software, error) { return nil, nil }
