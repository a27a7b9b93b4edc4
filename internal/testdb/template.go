package testdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/schema"
)

// Migrating every test database costs more than copying a migrated one, so
// New copies a template database built once per set of migrations. Its name
// carries a hash of the migration files: an edited migration gets a new
// template, never a stale one.
var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// templateLockID serialises template builds across test processes (go test
// runs packages in parallel).
const templateLockID int64 = 0x74657374646230 // "testdb0"

func template(ctx context.Context, baseDSN string) (string, error) {
	templateOnce.Do(func() {
		templateName, templateErr = buildTemplate(ctx, baseDSN)
	})
	return templateName, templateErr
}

func buildTemplate(ctx context.Context, baseDSN string) (name string, err error) {
	name, err = templateNameFor(schema.Migrations())
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, baseDSN)
	if err != nil {
		return "", fmt.Errorf("testdb: connect: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close(ctx)) }()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockID); err != nil {
		return "", fmt.Errorf("testdb: lock template: %w", err)
	}
	defer func() {
		_, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLockID)
		err = errors.Join(err, uerr)
	}()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("testdb: look up template: %w", err)
	}
	if exists {
		return name, nil
	}
	return name, migrateInto(ctx, conn, baseDSN, name)
}

// migrateInto migrates a scratch database and only then renames it, so a
// build that dies half-way never leaves a template behind.
func migrateInto(ctx context.Context, conn *pgx.Conn, baseDSN, name string) error {
	dsn, drop, err := createDB(ctx, baseDSN, "")
	if err != nil {
		return err
	}
	if err := schema.Migrate(ctx, dsn); err != nil {
		return errors.Join(fmt.Errorf("testdb: migrate template: %w", err), drop(ctx))
	}
	scratch, err := databaseOf(dsn)
	if err != nil {
		return errors.Join(err, drop(ctx))
	}
	rename := "ALTER DATABASE " + pgx.Identifier{scratch}.Sanitize() + " RENAME TO " + pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, rename); err != nil {
		return errors.Join(fmt.Errorf("testdb: rename template: %w", err), drop(ctx))
	}
	return nil
}

func databaseOf(dsn string) (string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "", errors.New("testdb: invalid DSN")
	}
	return cfg.Database, nil
}

func templateNameFor(migrations fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("testdb: hash migrations: %w", err)
	}
	return "payouts_tmpl_" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}
