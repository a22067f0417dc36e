package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Row counts PostgreSQL checks itself. A statement held back (ExecLater)
// is sent with the statements after it, COMMIT included (InFlatTx), so a
// count the caller checked on its return would come after the commit; a
// statement whose outcome decides what the transaction does next (a
// report inserted, or not because its id is taken) checks its own count
// with egovnet_expect_rows and fails, and with it the transaction, when
// the count is not the one expected:
//
//	WITH ins AS (INSERT ... RETURNING 1) SELECT egovnet_expect_rows(COUNT(*), 1) FROM ins
//
// Such statements exist only on PostgreSQL, inside Flat, where a failure
// fails the attempt and the caller's attempt with savepoints then takes
// its slower path, which asks.

// ErrRowsDiffer is the error of a statement whose egovnet_expect_rows
// found another number of rows than expected.
var ErrRowsDiffer = errors.New("statement affected another number of rows than expected")

// rowsDifferState is the SQLSTATE egovnet_expect_rows raises.
const rowsDifferState = "EGR01"

func init() {
	Register(Migration{ID: "store/0001_expect_rows", SQLite: `SELECT 1`,
		Postgres: `CREATE OR REPLACE FUNCTION egovnet_expect_rows(got BIGINT, want BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$ BEGIN IF got IS DISTINCT FROM want THEN RAISE EXCEPTION 'statement affected % rows, not %', got, want USING ERRCODE = '` + rowsDifferState + `'; END IF; RETURN got; END $$`})
}

// wrapRowsDiffer makes the error of egovnet_expect_rows ErrRowsDiffer.
func wrapRowsDiffer(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == rowsDifferState && !errors.Is(err, ErrRowsDiffer) {
		return fmt.Errorf("%w: %w", ErrRowsDiffer, err)
	}
	return err
}
