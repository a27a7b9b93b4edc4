package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// fillChunk is the number of rows one INSERT writes: small enough for a
// progress bar, large enough that statement overhead does not count.
const fillChunk = 50_000

// fillPayouts writes n payouts as ninety days of production would leave
// them. The draws are seeded, so two runs fill the same table.
//
// The rows are written with the guard trigger off (session_replication_role
// = replica, this connection only): the trigger admits new payouts only as
// requested or awaiting_approval and then moves them one audited UPDATE at
// a time, which would make the fill as slow as the product itself. The rows
// written are the ones those updates end with: final ones have
// finalized_at set and updated_at equal to it, and only payouts Heleket got
// carry a heleket_uuid. payout_events is not filled: neither the listing
// nor the statistics read it.
func fillPayouts(ctx context.Context, pool *pgxpool.Pool, n int, now time.Time, bar *progress) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	for _, stmt := range []string{`SET session_replication_role = replica`, `SELECT setseed(0.42)`} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("fill: %s: %w", stmt, err)
		}
	}
	defer func() {
		_, _ = conn.Exec(context.Background(), `RESET session_replication_role`) // the connection goes back to the pool
	}()
	for lo := 0; lo < n; lo += fillChunk {
		hi := min(n, lo+fillChunk)
		if _, err := conn.Exec(ctx, fillSQL, lo, hi, now); err != nil {
			return fmt.Errorf("fill payouts %d..%d: %w", lo, hi, err)
		}
		bar.set(hi)
	}
	bar.finish()
	// One finished reconciliation, as a deployment that runs it hourly has.
	_, err = conn.Exec(ctx, `
		INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, phase, window_from, window_to,
			requested_at, started_at, heartbeat_at, finished_at)
		VALUES ('bench-run', 'schedule', 'payout-reconciliation', 'succeeded', 'done', $1::timestamptz - interval '2 hours',
			$1::timestamptz - interval '1 hour', $1::timestamptz - interval '1 hour', $1::timestamptz - interval '1 hour',
			$1::timestamptz - interval '59 minutes', $1::timestamptz - interval '59 minutes')`, now)
	if err != nil {
		return fmt.Errorf("fill reconciliation run: %w", err)
	}
	return nil
}

// fillSQL writes payouts $1..$2-1, created uniformly over the 90 days
// before $3. The shares, roughly a payout desk's:
//
//   - status: payouts older than 30 minutes are final (93% paid, 3%
//     failed, 1.5% rejected, 1.5% cancelled, 0.3% expired) but for 5 in
//     100,000 still processing and flagged needs_attention (stuck); the
//     last 30 minutes are a mix of every open status;
//   - asset: USDT 55%, USDC 15%, TRX 10%, ETH 8%, BTC 6%, TON 3%, SOL 3%,
//     each on its networks;
//   - client: 10,000 clients, skewed (the largest, client-0, has about 4.6%
//     of the payouts; most have a handful);
//   - origin: manual 70%, scheduled 20%, bonus 10%;
//   - time to final: 20 s plus a long tail up to an hour.
//
// Amounts are generated through double precision: they are test data, only
// ever stored as numeric, and nothing here adds them up.
const fillSQL = `
WITH g AS (
	SELECT i, $3::timestamptz - random() * interval '90 days' AS created_at,
		random() AS rs, random() AS ra, random() AS rc, random() AS ro, random() AS rm, random() AS rf
	FROM generate_series($1::int, $2::int - 1) AS i
), s AS (
	SELECT g.*,
		CASE WHEN created_at > $3::timestamptz - interval '30 minutes' THEN
			CASE WHEN rs < 0.05 THEN 'requested' WHEN rs < 0.08 THEN 'awaiting_approval' WHEN rs < 0.25 THEN 'submitted'
				WHEN rs < 0.60 THEN 'processing' WHEN rs < 0.70 THEN 'verifying' WHEN rs < 0.97 THEN 'paid' ELSE 'failed' END
		ELSE
			CASE WHEN rs < 0.00005 THEN 'processing' WHEN rs < 0.93 THEN 'paid' WHEN rs < 0.96 THEN 'failed'
				WHEN rs < 0.975 THEN 'rejected' WHEN rs < 0.99 THEN 'cancelled' WHEN rs < 0.993 THEN 'expired' ELSE 'paid' END
		END AS status,
		CASE WHEN ra < 0.55 THEN 'USDT' WHEN ra < 0.70 THEN 'USDC' WHEN ra < 0.80 THEN 'TRX' WHEN ra < 0.88 THEN 'ETH'
			WHEN ra < 0.94 THEN 'BTC' WHEN ra < 0.97 THEN 'TON' ELSE 'SOL' END AS asset
	FROM g
), p AS (
	SELECT s.*,
		CASE asset
			WHEN 'USDT' THEN (ARRAY['tron', 'tron', 'tron', 'tron', 'tron', 'tron', 'eth', 'bsc', 'ton', 'sol'])[1 + i % 10]
			WHEN 'USDC' THEN (ARRAY['eth', 'polygon', 'tron'])[1 + i % 3]
			WHEN 'TRX' THEN 'tron' WHEN 'ETH' THEN 'eth' WHEN 'BTC' THEN 'btc' WHEN 'TON' THEN 'ton' ELSE 'sol' END AS network,
		CASE asset
			WHEN 'BTC' THEN round((10 ^ (rm * 2 - 3.3))::numeric, 8)
			WHEN 'ETH' THEN round((10 ^ (rm * 2 - 2))::numeric, 6)
			WHEN 'TRX' THEN round((10 ^ (2 + rm * 3))::numeric, 2)
			ELSE round((10 ^ (1 + rm * 3))::numeric, 2) END AS amount,
		CASE WHEN ro < 0.7 THEN 'manual' WHEN ro < 0.9 THEN 'scheduled' ELSE 'bonus' END AS origin,
		'client-' || floor(rc * rc * rc * 10000)::int AS client_id,
		CASE WHEN status IN ('paid', 'failed', 'cancelled', 'rejected', 'expired') THEN
			least($3::timestamptz, created_at + CASE status
				WHEN 'rejected' THEN interval '1 second' WHEN 'expired' THEN interval '1 day'
				ELSE make_interval(secs => 20 + rf * rf * rf * rf * 3600) END)
		END AS finalized_at
	FROM s
)
INSERT INTO payouts (id, client_id, asset, network, amount, address, origin, status, is_subtract, heleket_uuid, txid,
	commission, failure_reason, requested_by, idempotency_key, needs_attention, created_at, updated_at, finalized_at)
SELECT md5('bench-payout-' || i), client_id, asset, network, amount,
	'bench-address-' || network || '-' || (i % 50000), origin, status, true,
	CASE WHEN status NOT IN ('requested', 'awaiting_approval', 'rejected', 'expired', 'cancelled')
		THEN md5('bench-heleket-' || i)::uuid::text END,
	CASE WHEN status = 'paid' THEN md5('bench-tx-' || i) || md5('bench-tx2-' || i) END,
	CASE WHEN status = 'paid' THEN round(amount / 1000, 8) END,
	CASE status WHEN 'failed' THEN 'Heleket: payout failed' WHEN 'rejected' THEN 'Heleket refused: insufficient balance' END,
	CASE origin WHEN 'manual' THEN 'admin-' || (i % 5) ELSE origin END,
	'bench-' || i,
	status = 'processing' AND created_at < $3::timestamptz - interval '1 hour',
	created_at, coalesce(finalized_at, least($3::timestamptz, created_at + interval '2 seconds')), finalized_at
FROM p`
