package schema_test

import (
	"context"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/schema"
)

// latest is the highest version among the embedded migration files.
func latest(t *testing.T) int64 {
	t.Helper()
	var highest int64
	for _, n := range migrationNames(t) {
		v, err := strconv.ParseInt(strings.SplitN(n, "_", 2)[0], 10, 64)
		require.NoError(t, err, n)
		highest = max(highest, v)
	}
	return highest
}

// migrationNames lists the embedded migration files. Versions may leave gaps
// (numbers kept free for work in progress), so their count is not the latest.
func migrationNames(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(schema.Migrations(), "*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	return names
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testdb.NewEmpty(t)

	v, err := schema.Version(ctx, dsn)
	require.NoError(t, err)
	assert.Zero(t, v)

	for range 2 {
		require.NoError(t, schema.Migrate(ctx, dsn))
		v, err = schema.Version(ctx, dsn)
		require.NoError(t, err)
		assert.Equal(t, latest(t), v)
	}
	assertTables(t, dsn)
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testdb.NewEmpty(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = schema.Migrate(ctx, dsn)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	conn := connect(t, dsn)
	var applied int64
	require.NoError(t, conn.QueryRow(ctx,
		`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied))
	assert.Equal(t, int64(len(migrationNames(t))), applied, "each migration recorded once")
	assertTables(t, dsn)
}

// The Down sections must work too, or a rollback in production would be
// discovered broken at the worst moment.
func TestDownThenUpAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testdb.New(t)
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	p, err := goose.NewProvider(goose.DialectPostgres, db, schema.Migrations(), goose.WithLogger(goose.NopLogger()))
	require.NoError(t, err)

	_, err = p.DownTo(ctx, 0)
	require.NoError(t, err)
	var tables int
	require.NoError(t, db.QueryRowContext(ctx,
		`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&tables))
	assert.Zero(t, tables)

	require.NoError(t, schema.Migrate(ctx, dsn))
	assertTables(t, dsn)
}

func TestMigrateErrorHidesPassword(t *testing.T) {
	t.Parallel()
	err := schema.Migrate(context.Background(), "postgres://u:s3cretpw@127.0.0.1:1/x?sslmode=disable")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cretpw")

	err = schema.Migrate(context.Background(), "postgres://u:s3cretpw@[::1/x")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cretpw")
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, conn.Close(context.Background())) })
	return conn
}

func assertTables(t *testing.T, dsn string) {
	t.Helper()
	conn := connect(t, dsn)
	for _, table := range []string{"payouts", "payout_events", "webhook_inbox", "client_wallets"} {
		var exists bool
		require.NoError(t, conn.QueryRow(context.Background(),
			`SELECT to_regclass($1) IS NOT NULL`, "public."+table).Scan(&exists))
		assert.True(t, exists, table)
	}
}
