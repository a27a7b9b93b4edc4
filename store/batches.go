package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
)

// Batch is a stored bonus campaign: the request's identity, not its rows
// (those are payouts, linked through payout_batch_items).
type Batch struct {
	ID             string     `json:"id"`
	IdempotencyKey string     `json:"-"`
	Fingerprint    []byte     `json:"-"`
	RowCount       int        `json:"rows"`
	RequestedBy    string     `json:"requested_by"`
	State          BatchState `json:"state"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// WaitingFor says why a campaign awaits approval, and who can give it.
	WaitingFor *payout.Waiting `json:"waiting_for,omitempty"`
}

// BatchGroup is one (asset, status) cell of a batch's progress.
type BatchGroup struct {
	Asset      string
	Status     payout.Status
	Count      int
	Amount     decimal.Decimal
	NotStarted int // rows whose workflow start is not yet acknowledged
}

// BatchSummary is a batch with its progress.
type BatchSummary struct {
	Batch
	Groups []BatchGroup
}

// uniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

const batchColumns = `id, idempotency_key, fingerprint, row_count, requested_by, state, created_at, updated_at, waiting_for`

func scanBatch(row pgx.Row) (Batch, error) {
	var b Batch
	err := row.Scan(&b.ID, &b.IdempotencyKey, &b.Fingerprint, &b.RowCount, &b.RequestedBy, &b.State, &b.CreatedAt, &b.UpdatedAt, &b.WaitingFor)
	if errors.Is(err, pgx.ErrNoRows) {
		return Batch{}, ErrNotFound
	}
	return b, err
}

// CreateBatch stores a batch, one payout per row (in row order) and their
// creation audit rows, all in one transaction: either the whole campaign is
// recorded as requested or nothing is. When a batch with the same ID exists
// (a repeat, or a concurrent identical request that committed first),
// nothing is written and the existing batch is returned with created=false;
// the caller compares fingerprints.
func (s *Store) CreateBatch(ctx context.Context, b Batch, payouts []payout.Payout) (stored Batch, created bool, err error) {
	return s.CreateBatchChecked(ctx, b, payouts, BatchCheck{})
}

// CreateBatchChecked is CreateBatch with the payout gate's decision on the
// whole campaign taken inside the transaction, from totals read under the
// locks the check asks for (see Check). A campaign that exists is returned
// as it is, without a decision.
func (s *Store) CreateBatchChecked(ctx context.Context, b Batch, payouts []payout.Payout, c BatchCheck) (stored Batch, created bool, err error) {
	if len(payouts) != b.RowCount || b.RowCount == 0 {
		return Batch{}, false, fmt.Errorf("store: create batch %s: %d payouts for %d rows", b.ID, len(payouts), b.RowCount)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		check := Check{ClientTotal: c.ClientTotal, AllTotal: c.AllTotal}
		if err := lockOutflow(ctx, tx, check, batchKeys(payouts), true); err != nil {
			return err
		}
		if c.Decide != nil {
			found, ok, err := existingBatch(ctx, tx, b)
			if err != nil || ok {
				stored = found
				return err
			}
			facts, err := readBatchFacts(ctx, tx, c, payouts)
			if err != nil {
				return err
			}
			if b, payouts, err = c.Decide(b, payouts, facts); err != nil {
				return err
			}
		}
		if b.State == "" {
			b.State = BatchStarting
		}
		stored, err = scanBatch(tx.QueryRow(ctx, `
			INSERT INTO payout_batches (id, idempotency_key, fingerprint, row_count, requested_by, state, waiting_for)
			VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
			ON CONFLICT DO NOTHING
			RETURNING `+batchColumns, b.ID, b.IdempotencyKey, b.Fingerprint, b.RowCount, b.RequestedBy, b.State, b.WaitingFor))
		if errors.Is(err, ErrNotFound) {
			found, _, err := existingBatch(ctx, tx, b)
			stored = found
			return err
		}
		if err != nil {
			return fmt.Errorf("insert batch: %w", err)
		}
		created = true
		cols, err := payoutArrays(payouts)
		if err != nil {
			return err
		}
		return insertBatchPayouts(ctx, tx, stored, payouts[0], cols)
	})
	if err != nil {
		return Batch{}, false, fmt.Errorf("store: create batch %s: %w", b.ID, err)
	}
	if created {
		countStarted(payouts)
	}
	return stored, created, nil
}

// existingBatch finds the batch of b's ID or key: the key may name a batch
// stored under another ID, one from before installation IDs.
func existingBatch(ctx context.Context, tx pgx.Tx, b Batch) (Batch, bool, error) {
	found, err := scanBatch(tx.QueryRow(ctx, `SELECT `+batchColumns+` FROM payout_batches
		WHERE id = $1 OR idempotency_key = $2 ORDER BY id = $1 DESC LIMIT 1`, b.ID, b.IdempotencyKey))
	if errors.Is(err, ErrNotFound) {
		return Batch{}, false, nil
	}
	if err != nil {
		return Batch{}, false, fmt.Errorf("look for the batch: %w", err)
	}
	return found, true, nil
}

// countStarted counts a committed batch's payouts, each with the origin it
// was stored with (the first row's, as insertBatchPayouts writes it).
func countStarted(payouts []payout.Payout) {
	for _, p := range payouts {
		p.Origin = payouts[0].Origin
		metrics.PayoutStarted(p)
	}
}

// batchArrays are the per-row columns of a batch, one array per column, so
// that any number of rows is inserted by one statement (unnest) instead of
// one round trip per row.
type batchArrays struct {
	ids, clients, assets, networks, amounts, addresses, memos, statuses []string
}

func payoutArrays(ps []payout.Payout) (batchArrays, error) {
	n := len(ps)
	a := batchArrays{make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)}
	for i, p := range ps {
		amount, err := numericParam("amount", p.Amount)
		if err != nil {
			return batchArrays{}, fmt.Errorf("row %d: %w", i, err)
		}
		a.ids[i], a.clients[i], a.assets[i], a.networks[i] = p.ID, p.ClientID, p.Asset, p.Network
		a.amounts[i], a.addresses[i], a.memos[i], a.statuses[i] = amount, p.Address, p.Memo, string(p.Status)
	}
	return a, nil
}

// insertBatchPayouts writes the payouts, their audit rows and the batch
// items, in payout ID order: the IDs are hashes, and most of the indexes
// these rows enter are keyed by payout ID, so sorted rows fill index pages
// in order instead of landing all over them (a 100,000-row campaign is
// stored in about 7 s instead of 10-12 s). Every payout must be new: a row
// that already exists means the IDs collided with something else, and the
// whole batch is refused rather than silently adopting a payout it did not
// create (a plain INSERT, which is also faster than ON CONFLICT's
// speculative insertion). The batch's requester is every row's requester
// and audit actor; origin and fee policy, the same for every row, come
// from the first payout; the status varies (requested, or
// awaiting_approval above a threshold).
func insertBatchPayouts(ctx context.Context, tx pgx.Tx, b Batch, first payout.Payout, a batchArrays) error {
	_, err := tx.Exec(ctx, `
		WITH ins AS (
			INSERT INTO payouts (id, client_id, asset, network, amount, address, memo, origin,
				status, is_subtract, requested_by, waiting_for)
			SELECT r.id, r.client_id, r.asset, r.network, r.amount::numeric, r.address, r.memo, $9,
				r.status, $10, $11, $13::jsonb
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
				AS r(id, client_id, asset, network, amount, address, memo, status)
			ORDER BY r.id
			RETURNING id, status
		)
		INSERT INTO payout_events (payout_id, to_status, source, actor, details)
		SELECT id, status, 'api', $11, jsonb_strip_nulls(jsonb_build_object('via', 'batch', 'batch_id', $12::text,
			'waiting_for', $13::jsonb))
		FROM ins`,
		a.ids, a.clients, a.assets, a.networks, a.amounts, a.addresses, a.memos, a.statuses,
		string(first.Origin), first.IsSubtract, b.RequestedBy, b.ID, rowWaiting(b))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation {
		return fmt.Errorf("insert payouts: a payout ID of the batch already exists: %w", err)
	}
	if err != nil {
		return fmt.Errorf("insert payouts: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO payout_batch_items (batch_id, row_index, payout_id)
		SELECT $1, r.ord - 1, r.id FROM unnest($2::text[]) WITH ORDINALITY AS r(id, ord)
		ORDER BY r.id`,
		b.ID, a.ids); err != nil {
		return fmt.Errorf("insert batch items: %w", err)
	}
	return nil
}

// rowWaiting is what each row of a campaign awaiting approval waits for:
// the campaign's one decision, which releases them all.
func rowWaiting(b Batch) *payout.Waiting {
	if b.State != BatchAwaitingApproval || b.WaitingFor == nil {
		return nil
	}
	w := *b.WaitingFor
	w.Reason = "campaign " + b.ID + " awaits approval as a whole: " + w.Reason
	return &w
}

// GetBatch returns the batch or ErrNotFound.
func (s *Store) GetBatch(ctx context.Context, id string) (Batch, error) {
	b, err := scanBatch(s.pool.QueryRow(ctx, `SELECT `+batchColumns+` FROM payout_batches WHERE id = $1`, id))
	if err != nil {
		return Batch{}, fmt.Errorf("store: get batch %s: %w", id, err)
	}
	return b, nil
}

// MarkBatchStarted records that the payouts' workflows were started.
func (s *Store) MarkBatchStarted(ctx context.Context, batchID string, payoutIDs []string) error {
	if len(payoutIDs) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `
		UPDATE payout_batch_items SET started_at = now()
		WHERE batch_id = $1 AND payout_id = ANY($2::text[]) AND started_at IS NULL`, batchID, payoutIDs)
	if err != nil {
		return fmt.Errorf("store: mark %d payouts of batch %s started: %w", len(payoutIDs), batchID, err)
	}
	return nil
}

// BatchSummary returns the batch with counts and sums per asset and status,
// from one aggregate query. ErrNotFound when there is no such batch.
func (s *Store) BatchSummary(ctx context.Context, id string) (BatchSummary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT b.id, b.idempotency_key, b.fingerprint, b.row_count, b.requested_by, b.state, b.created_at, b.updated_at, b.waiting_for,
			p.asset, p.status, count(*), sum(p.amount)::text, count(*) FILTER (WHERE i.started_at IS NULL)
		FROM payout_batches b
			JOIN payout_batch_items i ON i.batch_id = b.id
			JOIN payouts p ON p.id = i.payout_id
		WHERE b.id = $1
		GROUP BY b.id, p.asset, p.status
		ORDER BY p.asset, p.status`, id)
	if err != nil {
		return BatchSummary{}, fmt.Errorf("store: summary of batch %s: %w", id, err)
	}
	sum, err := scanSummary(rows)
	if err != nil {
		return BatchSummary{}, fmt.Errorf("store: summary of batch %s: %w", id, err)
	}
	return sum, nil
}

// summaryRow is one row of the summary query: the batch repeated, one group.
type summaryRow struct {
	batch Batch
	group BatchGroup
}

func scanSummary(rows pgx.Rows) (BatchSummary, error) {
	list, err := collect(rows, func(row pgx.CollectableRow) (summaryRow, error) {
		var (
			r              summaryRow
			status, amount string
		)
		b, g := &r.batch, &r.group
		if err := row.Scan(&b.ID, &b.IdempotencyKey, &b.Fingerprint, &b.RowCount, &b.RequestedBy, &b.State, &b.CreatedAt, &b.UpdatedAt, &b.WaitingFor,
			&g.Asset, &status, &g.Count, &amount, &g.NotStarted); err != nil {
			return summaryRow{}, err
		}
		g.Status = payout.Status(status)
		var err error
		g.Amount, err = parseNumeric("amount", amount)
		return r, err
	})
	if err != nil {
		return BatchSummary{}, err
	}
	if len(list) == 0 {
		return BatchSummary{}, ErrNotFound
	}
	out := BatchSummary{Batch: list[0].batch, Groups: make([]BatchGroup, len(list))}
	for i, r := range list {
		out.Groups[i] = r.group
	}
	return out, nil
}
