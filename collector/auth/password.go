package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password policy.
//
// Seed 003 bundles the e-gov cloud's "XXX密码使用管理制度", but the copy in
// ../shared/seeds/003_5dfbf7890559298e.txt stops after 第九条 (3.1 用户安全管理):
// its chapters 3.3 密码安全管理 and 第五章 密码安全策略, where lengths and
// complexity would be, are not in the text. What survives binds us through
// 第二条: each system may set its own account and password rules "但必须达到或
// 高于本制度规定的级别" (they must meet or exceed the policy's level), and
// 第一条 names the risks (口令泄漏, 身份假冒). We therefore implement the level
// that GB/T 22239-2019 level 3 checks for (身份鉴别: 口令复杂度, 登录失败处理),
// which such cloud policies commonly state:
//   - at least MinPasswordLength (8) characters, at most MaxPasswordLength;
//   - at least MinPasswordClasses (3) of 4 classes: upper-case letters,
//     lower-case letters, digits, other characters (symbols, CJK);
//   - not containing the account name; no character repeated 4+ times in a row;
//   - login failures limited: after auth.max_login_failures (default 5) bad
//     passwords the account is locked for auth.lockout_duration (default 30m).
//
// The numbers are constants here so that a fuller copy of the policy can
// raise them in one place.
const (
	MinPasswordLength  = 8
	MaxPasswordLength  = 128
	MinPasswordClasses = 3
	maxRepeat          = 3
)

// CheckPassword returns every way pw breaks the policy, or nil.
func CheckPassword(name, pw string) error {
	var errs []error
	n := utf8.RuneCountInString(pw)
	if !utf8.ValidString(pw) {
		errs = append(errs, errors.New("password is not valid UTF-8"))
	}
	if n < MinPasswordLength {
		errs = append(errs, fmt.Errorf("password has %d characters, at least %d are required", n, MinPasswordLength))
	}
	if n > MaxPasswordLength {
		errs = append(errs, fmt.Errorf("password has %d characters, at most %d are allowed", n, MaxPasswordLength))
	}
	var upper, lower, digit, other bool
	run, prev := 0, rune(-1)
	longRun := false
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsControl(r):
			errs = append(errs, errors.New("password contains a control character"))
		default:
			other = true
		}
		if r == prev {
			run++
		} else {
			run, prev = 1, r
		}
		if run > maxRepeat {
			longRun = true
		}
	}
	classes := 0
	for _, b := range []bool{upper, lower, digit, other} {
		if b {
			classes++
		}
	}
	if classes < MinPasswordClasses {
		errs = append(errs, fmt.Errorf("password uses %d of the 4 character classes (upper case, lower case, digits, symbols), at least %d are required", classes, MinPasswordClasses))
	}
	if longRun {
		errs = append(errs, fmt.Errorf("password repeats one character more than %d times in a row", maxRepeat))
	}
	if len(name) >= 3 && strings.Contains(strings.ToLower(pw), strings.ToLower(name)) {
		errs = append(errs, errors.New("password contains the account name"))
	}
	return errors.Join(errs...)
}

// argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes),
// affordable for HTTP Basic on every script request on a small collector.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches a HashPassword result; the
// parameters are read from the hash so they can be raised later.
func VerifyPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("verify password: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("verify password: unsupported argon2 version %q", parts[2])
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("verify password: bad parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("verify password: bad salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("verify password: bad key")
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against for unknown users so that a login for a
// name that does not exist costs the same time as a wrong password.
var dummyHash, _ = HashPassword("egovnet-dummy-password")
