package store

// Queued returns how many InSharedTx callers wait for a group (tests).
func (db *DB) Queued() int {
	if db.group == nil {
		return 0
	}
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return len(db.group.queue)
}
