package store

import "github.com/jackc/pgx/v5"

// collect is pgx.CollectRows except that no rows give a nil slice, as the
// hand-written loops it replaced did: callers test results for nil, and
// encoding/json writes nil as null but an empty slice as [].
func collect[T any](rows pgx.Rows, fn pgx.RowToFunc[T]) ([]T, error) {
	return pgx.AppendRows([]T(nil), rows, fn)
}

// rowTo lets a scan helper written for QueryRow (a pgx.Row) scan each row
// of a Query too.
func rowTo[T any](scan func(pgx.Row) (T, error)) pgx.RowToFunc[T] {
	return func(row pgx.CollectableRow) (T, error) { return scan(row) }
}
