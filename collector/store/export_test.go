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

// GroupStats returns how many grouped transactions committed or failed and
// how many callers they carried (tests).
func (db *DB) GroupStats() (groups, callers int64) {
	if db.group == nil {
		return 0, 0
	}
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return db.group.groups, db.group.grouped
}
