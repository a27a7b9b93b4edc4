// Package testdb gives tests a fresh, migrated PostgreSQL database of their
// own, dropped when the test ends, so tests never share state.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/schema"
	"github.com/heleket-payouts/payouts/store"
)

// DefaultDSN is used when $DATABASE_URL is not set.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// startHint tells a developer how to bring up the local cluster.
const startHint = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

// BaseDSN is $DATABASE_URL or DefaultDSN: the server on which test
// databases are created.
func BaseDSN() string {
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// New returns the DSN of a fresh, migrated database that is dropped when the
// test ends. It fails the test, with a hint, when Postgres is unreachable.
func New(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	base := reachable(t)
	tmpl, err := template(ctx, base)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	dsn := create(t, base, tmpl)
	// A no-op on a copy of the template; it still proves the copy is current.
	if err := schema.Migrate(ctx, dsn); err != nil {
		t.Fatalf("testdb: migrate: %v", err)
	}
	if err := newInstallation(ctx, dsn); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return dsn
}

// newInstallation gives a copy of the template an installation ID of its
// own: a test database stands for a fresh installation, as migrating it
// from scratch would make it, not for a restored backup of the template.
func newInstallation(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("new installation ID: connect: %w", err)
	}
	_, err = conn.Exec(ctx, `ALTER TABLE installation DISABLE TRIGGER installation_immutable;
		UPDATE installation SET id = replace(gen_random_uuid()::text, '-', '');
		ALTER TABLE installation ENABLE TRIGGER installation_immutable`)
	if err != nil {
		err = fmt.Errorf("new installation ID: %w", err)
	}
	return errors.Join(err, conn.Close(ctx))
}

// NewEmpty is New without migrations, for testing the migrations.
func NewEmpty(t testing.TB) string {
	t.Helper()
	return create(t, reachable(t), "")
}

// reachable returns the base DSN, failing the test with a hint when the
// server does not answer.
func reachable(t testing.TB) string {
	t.Helper()
	base := BaseDSN()
	if err := ping(context.Background(), base); err != nil {
		t.Fatalf("testdb: PostgreSQL is unreachable (%v); %s", err, startHint)
	}
	return base
}

// create makes a database, a copy of tmpl unless tmpl is empty, and drops it
// when the test ends.
func create(t testing.TB, base, tmpl string) string {
	t.Helper()
	dsn, drop, err := createDB(context.Background(), base, tmpl)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run.
		if err := drop(context.Background()); err != nil {
			t.Errorf("testdb: %v", err)
		}
	})
	return dsn
}

// Open returns a Store on a fresh database, closed when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	dsn := New(t)
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("testdb: open store: %v", err)
	}
	// Registered after New's cleanup, so it runs first: the pool is closed
	// before the database is dropped.
	t.Cleanup(s.Close)
	return s
}

// Create makes a fresh, migrated database on the server of baseDSN, for
// callers outside tests such as benchmarks and tools. The caller must call
// drop when done.
func Create(ctx context.Context, baseDSN string) (dsn string, drop func(context.Context) error, err error) {
	dsn, drop, err = createDB(ctx, baseDSN, "")
	if err != nil {
		return "", nil, err
	}
	if err := schema.Migrate(ctx, dsn); err != nil {
		return "", nil, errors.Join(fmt.Errorf("testdb: migrate: %w", err), drop(ctx))
	}
	return dsn, drop, nil
}

func ping(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	return errors.Join(conn.Ping(ctx), conn.Close(ctx))
}

func createDB(ctx context.Context, baseDSN, tmpl string) (string, func(context.Context) error, error) {
	name, err := randomName("payouts_test_")
	if err != nil {
		return "", nil, err
	}
	dsn, err := withDatabase(baseDSN, name)
	if err != nil {
		return "", nil, err
	}
	ident := pgx.Identifier{name}.Sanitize()
	stmt := "CREATE DATABASE " + ident
	if tmpl != "" {
		stmt += " TEMPLATE " + pgx.Identifier{tmpl}.Sanitize()
	}
	if err := admin(ctx, baseDSN, stmt); err != nil {
		return "", nil, fmt.Errorf("testdb: create database %s: %w", name, err)
	}
	drop := func(ctx context.Context) error {
		// FORCE ends sessions a test forgot to close.
		if err := admin(ctx, baseDSN, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("testdb: drop database %s: %w", name, err)
		}
		return nil
	}
	return dsn, drop, nil
}

// admin runs a statement that cannot run in a transaction or on the target
// database itself (CREATE/DROP DATABASE).
func admin(ctx context.Context, baseDSN, sql string) error {
	conn, err := pgx.Connect(ctx, baseDSN)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	_, err = conn.Exec(ctx, sql)
	return errors.Join(err, conn.Close(ctx))
}

func randomName(prefix string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("testdb: random name: %w", err)
	}
	return prefix + hex.EncodeToString(b), nil
}

// withDatabase points a DSN, URL or keyword/value form, at another database.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("testdb: base DSN is not a valid URL")
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In keyword/value form a later key overrides an earlier one.
	return dsn + " dbname=" + name, nil
}
