package store

import "hash/fnv"

// LockKey is the PostgreSQL advisory lock key of name (for example a
// department's lifecycle or its endpoints): a non-negative 64-bit hash, so
// packages lock their own things by naming them, without a registry of
// numbers.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() & 0x7fffffffffffffff)
}
