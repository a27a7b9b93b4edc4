package testdb_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/schema"
)

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testdb.BaseDSN())
	require.NoError(t, err)
	defer func() { require.NoError(t, conn.Close(ctx)) }()
	var exists bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists))
	return exists
}

func databaseName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	return cfg.Database
}

func TestNewGivesIsolatedMigratedDatabasesDroppedAfterTheTest(t *testing.T) {
	ctx := context.Background()
	var names []string
	t.Run("use", func(t *testing.T) {
		a, b := testdb.New(t), testdb.New(t)
		require.NotEqual(t, a, b)
		names = []string{databaseName(t, a), databaseName(t, b)}

		for _, dsn := range []string{a, b} {
			v, err := schema.Version(ctx, dsn)
			require.NoError(t, err)
			assert.Positive(t, v)
		}
		sa := testdb.Open(t)
		require.NoError(t, sa.Ping(ctx))
		_, err := sa.Pool().Exec(ctx, `INSERT INTO client_wallets (client_id, asset, network, address) VALUES ('c', 'a', 'n', 'x')`)
		require.NoError(t, err)
		sb := testdb.Open(t)
		var n int
		require.NoError(t, sb.Pool().QueryRow(ctx, `SELECT count(*) FROM client_wallets`).Scan(&n))
		assert.Zero(t, n)
	})
	for _, name := range names {
		assert.False(t, databaseExists(t, name), name)
	}
}

func TestCreateAndDrop(t *testing.T) {
	ctx := context.Background()
	dsn, drop, err := testdb.Create(ctx, testdb.BaseDSN())
	require.NoError(t, err)
	name := databaseName(t, dsn)
	assert.True(t, databaseExists(t, name))
	v, err := schema.Version(ctx, dsn)
	require.NoError(t, err)
	assert.Positive(t, v)

	require.NoError(t, drop(ctx))
	assert.False(t, databaseExists(t, name))
	require.NoError(t, drop(ctx), "dropping twice is harmless")
}

func TestKeywordValueDSN(t *testing.T) {
	cfg, err := pgx.ParseConfig(testdb.BaseDSN())
	require.NoError(t, err)
	kv := fmt.Sprintf("host=%s port=%d user=%s dbname=%s", cfg.Host, cfg.Port, cfg.User, cfg.Database)
	if cfg.Password != "" {
		kv += " password=" + cfg.Password
	}
	t.Setenv("DATABASE_URL", kv)
	dsn := testdb.New(t)
	assert.Contains(t, dsn, "dbname=payouts_test_")
	v, err := schema.Version(context.Background(), dsn)
	require.NoError(t, err)
	assert.Positive(t, v)
}

// fatalRecorder stands in for a test so the unreachable path can be
// observed without failing this test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestUnreachableServerFailsWithHowToStart(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testdb.New(rec)
		t.Error("New returned despite an unreachable server")
	}()
	<-done
	assert.Contains(t, rec.msg, "unreachable")
	assert.Contains(t, rec.msg, "pg_ctlcluster --skip-systemctl-redirect")
}
