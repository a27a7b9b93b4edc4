// Package schema owns the database schema: embedded goose migrations and the
// functions that apply them.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var embedded embed.FS

// lockID keys the advisory lock that serialises migrations. Advisory locks
// are per database, so only migrators of the same database wait for it.
const lockID int64 = 0x70617930757473 // "pay0uts"

// Migrations returns the migration files, for tools that want to inspect them.
func Migrations() fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		// The directory is embedded at build time; failing here is a build bug.
		panic(fmt.Sprintf("schema: embedded migrations missing: %v", err))
	}
	return sub
}

// Migrate applies every pending migration. Running it again, or from several
// processes at once, is safe: the migrators take turns on an advisory lock
// and the later ones find nothing left to do.
func Migrate(ctx context.Context, dsn string) (err error) {
	return withProvider(dsn, func(p *goose.Provider) error {
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("schema: apply migrations: %w", err)
		}
		return nil
	})
}

// Version returns the highest applied migration version, 0 for an empty
// database. It does not wait for a migration in progress.
func Version(ctx context.Context, dsn string) (int64, error) {
	var v int64
	err := withProvider(dsn, func(p *goose.Provider) error {
		current, _, err := p.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("schema: read version: %w", err)
		}
		v = current
		return nil
	})
	return v, err
}

func withProvider(dsn string, fn func(*goose.Provider) error) (err error) {
	db, err := openDB(dsn)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("schema: close database: %w", cerr))
		}
	}()
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(),
		goose.WithSessionLocker(advisoryLocker{id: lockID}),
		goose.WithSlog(slog.Default()),
	)
	if err != nil {
		return fmt.Errorf("schema: create migration provider: %w", err)
	}
	return fn(p)
}

func openDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included: keep it out.
		return nil, errors.New("schema: invalid database DSN")
	}
	return stdlib.OpenDB(*cfg), nil
}

// advisoryLocker blocks on pg_advisory_lock instead of polling like goose's
// own Postgres locker (every 5s), so a second migrator proceeds the moment
// the first one is done. Cancelling ctx aborts the wait.
type advisoryLocker struct{ id int64 }

func (l advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", l.id); err != nil {
		return fmt.Errorf("schema: take migration lock: %w", err)
	}
	return nil
}

func (l advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var released bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", l.id).Scan(&released); err != nil {
		return fmt.Errorf("schema: release migration lock: %w", err)
	}
	if !released {
		return errors.New("schema: migration lock was not held")
	}
	return nil
}
