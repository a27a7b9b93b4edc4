package schema_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/schema"
)

// 00011 gives campaigns stored before it a state: started when nothing is
// left to start (every row started, or unstarted but final), starting
// otherwise, so that a batch workflow finishes those.
func TestBatchControlMigrationStatesExistingBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testdb.New(t)
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	p, err := goose.NewProvider(goose.DialectPostgres, db, schema.Migrations(), goose.WithLogger(goose.NopLogger()))
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 10)
	require.NoError(t, err)

	_, err = db.ExecContext(ctx, `
		INSERT INTO payouts (id, client_id, asset, network, amount, address, origin, status, is_subtract) VALUES
			('done-1', 'c', 'USDT', 'tron', 1, 'T1', 'bonus', 'requested', true),
			('open-1', 'c', 'USDT', 'tron', 1, 'T1', 'bonus', 'requested', true),
			('open-2', 'c', 'USDT', 'tron', 1, 'T1', 'bonus', 'awaiting_approval', true),
			('final-1', 'c', 'USDT', 'tron', 1, 'T1', 'bonus', 'requested', true);
		UPDATE payouts SET status = 'cancelled' WHERE id = 'final-1';
		INSERT INTO payout_batches (id, idempotency_key, fingerprint, row_count) VALUES
			('btdone', 'k1', decode(repeat('01', 32), 'hex'), 1),
			('btopen', 'k2', decode(repeat('01', 32), 'hex'), 2),
			('btfinal', 'k3', decode(repeat('01', 32), 'hex'), 1);
		INSERT INTO payout_batch_items (batch_id, row_index, payout_id, started_at) VALUES
			('btdone', 0, 'done-1', now()),
			('btopen', 0, 'open-1', now()),
			('btopen', 1, 'open-2', NULL),
			('btfinal', 0, 'final-1', NULL)`)
	require.NoError(t, err)

	require.NoError(t, schema.Migrate(ctx, dsn))
	conn := connect(t, dsn)
	rows, err := conn.Query(ctx, `SELECT id, state FROM payout_batches`)
	require.NoError(t, err)
	states, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var kv [2]string
		return kv, r.Scan(&kv[0], &kv[1])
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, [][2]string{{"btdone", "started"}, {"btopen", "starting"}, {"btfinal", "started"}}, states)
	var events int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM payout_batch_events`).Scan(&events))
	assert.Zero(t, events, "a migration decides nothing, so it records no event")
}
