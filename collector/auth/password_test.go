package auth

import (
	"strings"
	"testing"
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, user, pw string
		want           []string // substrings; none = valid
	}{
		{name: "good", user: "alice", pw: "Zq7!mcWx"},
		{name: "good three classes no symbol", user: "alice", pw: "Abcdefg1"},
		{name: "good with CJK", user: "alice", pw: "政务外网pass9"},
		{name: "too short", user: "alice", pw: "Ab1!", want: []string{"at least 8"}},
		{name: "two classes", user: "alice", pw: "abcdefgh1", want: []string{"2 of the 4"}},
		{name: "one class", user: "alice", pw: "abcdefghij", want: []string{"1 of the 4"}},
		{name: "contains name", user: "alice", pw: "xxALICE12!", want: []string{"account name"}},
		{name: "repeats", user: "bob", pw: "Aaaaa1!xy", want: []string{"repeats"}},
		{name: "too long", user: "bob", pw: "Aa1!" + strings.Repeat("xy", 70), want: []string{"at most 128"}},
		{name: "control char", user: "bob", pw: "Abcdef1\x01", want: []string{"control character"}},
		{name: "several at once", user: "bob", pw: "bob", want: []string{"at least 8", "1 of the 4", "account name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPassword(tc.user, tc.pw)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid password refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("weak password accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("Zq7!mcWx")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q not in PHC argon2id form", h)
	}
	h2, _ := HashPassword("Zq7!mcWx")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"Zq7!mcWx", true}, {"Zq7!mcWy", false}, {"", false}} {
		ok, err := VerifyPassword(h, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	if _, err := VerifyPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("foreign hash format accepted")
	}
}

// BenchmarkVerifyPassword is the cost of one HTTP Basic request or login.
func BenchmarkVerifyPassword(b *testing.B) {
	h, _ := HashPassword("Zq7!mcWx")
	for i := 0; i < b.N; i++ {
		if ok, _ := VerifyPassword(h, "Zq7!mcWx"); !ok {
			b.Fatal("mismatch")
		}
	}
}
