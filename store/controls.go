package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
)

// Outflow is what went out, or is on its way, in one asset over the 24
// hours before a payout is made: every payout not failed, rejected,
// cancelled or expired. The payout being made is not in it.
type Outflow struct {
	Client decimal.Decimal // the payout's client
	All    decimal.Decimal // every client
}

// Destination is what the store knows of a payout's address for its client.
type Destination struct {
	// Wallet is the client's wallet at this address for the asset and
	// network, if there is one.
	Wallet *Wallet
	// PaidBefore: a payout of this client to this address was paid.
	PaidBefore bool
}

// Facts are read inside the transaction that creates a payout, under the
// locks the check asked for, so concurrent payouts cannot pass a cap
// together.
type Facts struct {
	Outflow     Outflow
	Destination Destination
	Now         time.Time // the database's clock
}

// Check decides, inside the creating transaction, whether and how a payout
// is made. The policy says which facts it needs: totals are read under an
// advisory lock per (client, asset) and, for the all-clients total, per
// asset, so only payouts under a cap or threshold wait for each other.
type Check struct {
	ClientTotal bool // lock and read the client's 24 h total
	AllTotal    bool // lock and read every client's 24 h total
	Destination bool // read what is known of the address: its wallet
	PaidBefore  bool // and whether the client was paid there (the new-address rule)
	// Decide returns the payout to store (its status and waiting_for set)
	// or an error that refuses it: nothing is stored then.
	Decide func(p payout.Payout, f Facts) (payout.Payout, error)
}

// CreatePayoutChecked is CreatePayout with the payout gate's decision taken
// inside the transaction. A payout that already exists (a repeat) is
// returned as it is, without a decision: it was decided when it was made.
func (s *Store) CreatePayoutChecked(ctx context.Context, p payout.Payout, actor string, details map[string]any, c Check) (stored payout.Payout, created bool, err error) {
	if c.Decide == nil {
		if p.RetryOf != "" {
			return payout.Payout{}, false, fmt.Errorf("store: create payout %s: a retry is made through the gate's check", p.ID)
		}
		return s.CreatePayout(ctx, p, actor, details)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockOutflow(ctx, tx, c, []outflowKey{{p.ClientID, p.Asset}}, false); err != nil {
			return err
		}
		original, err := lockRetried(ctx, tx, p.RetryOf)
		if err != nil {
			return err
		}
		// After the locks: a concurrent identical request that held them
		// has committed, and this one is a repeat.
		existing, err := findExisting(ctx, tx, p)
		if err == nil {
			stored = existing
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("look for an existing payout: %w", err)
		}
		if err := retryable(original); err != nil {
			return err
		}
		facts, err := readFacts(ctx, tx, c, p)
		if err != nil {
			return err
		}
		decided, err := c.Decide(p, facts)
		if err != nil {
			return err
		}
		stored, err = insertPayout(ctx, tx, decided, actor, details)
		if errors.Is(err, ErrNotFound) {
			// Nothing inserted: a concurrent identical request (no lock
			// taken for an asset without controls) committed first, or the
			// ID is another key's. Read by a statement of its own, which
			// sees what committed after this one's snapshot.
			stored, err = findExisting(ctx, tx, p)
			if err != nil {
				return fmt.Errorf("insert payout: load the conflicting payout: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("insert payout: %w", err)
		}
		created = true
		return linkRetry(ctx, tx, original, stored, actor)
	})
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: create payout %s: %w", p.ID, err)
	}
	if created {
		metrics.PayoutStarted(stored)
	}
	return stored, created, nil
}

// outflowKey is one (client, asset) whose totals a check reads.
type outflowKey struct{ client, asset string }

// lockOutflow takes the check's advisory locks. Every asset a check
// counts has one lock: a single payout holds it shared (so payouts of
// different clients never wait for each other) and its client's lock
// exclusive; a payout counting everyone's total, and a campaign, hold the
// asset's lock exclusive, so a 100,000-client campaign takes one lock per
// asset instead of one per client (PostgreSQL's lock table holds a few
// thousand per transaction). Asset locks come first, each list sorted, so
// no two transactions wait for each other in a circle.
func lockOutflow(ctx context.Context, tx pgx.Tx, c Check, keys []outflowKey, campaign bool) error {
	if !c.ClientTotal && !c.AllTotal {
		return nil
	}
	var assets, clients []string
	for _, k := range keys {
		assets = append(assets, "outflow\x1f*\x1f"+k.asset)
		clients = append(clients, "outflow\x1f"+k.asset+"\x1f"+k.client)
	}
	slices.Sort(assets)
	assets = slices.Compact(assets)
	exclusive := campaign || c.AllTotal
	lock := `SELECT pg_advisory_xact_lock_shared(hashtextextended(n, 0)) FROM unnest($1::text[]) WITH ORDINALITY AS t(n, o) ORDER BY o`
	if exclusive {
		lock = `SELECT pg_advisory_xact_lock(hashtextextended(n, 0)) FROM unnest($1::text[]) WITH ORDINALITY AS t(n, o) ORDER BY o`
	}
	if _, err := tx.Exec(ctx, lock, assets); err != nil {
		return fmt.Errorf("lock outflow totals: %w", err)
	}
	if exclusive {
		return nil
	}
	slices.Sort(clients)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(n, 0)) FROM unnest($1::text[]) WITH ORDINALITY AS t(n, o) ORDER BY o`,
		slices.Compact(clients)); err != nil {
		return fmt.Errorf("lock client outflow totals: %w", err)
	}
	return nil
}

// outflowOpen is the statuses whose money went or may still go out.
const outflowOpen = `status NOT IN ('failed', 'rejected', 'cancelled', 'expired')`

func readFacts(ctx context.Context, tx pgx.Tx, c Check, p payout.Payout) (Facts, error) {
	var f Facts
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&f.Now); err != nil {
		return Facts{}, fmt.Errorf("read the clock: %w", err)
	}
	var err error
	if c.ClientTotal {
		if f.Outflow.Client, err = sumOutflow(ctx, tx, `client_id = $2 AND asset = $1`, p.Asset, p.ClientID); err != nil {
			return Facts{}, fmt.Errorf("client %s's 24 h %s total: %w", p.ClientID, p.Asset, err)
		}
	}
	if c.AllTotal {
		if f.Outflow.All, err = sumOutflow(ctx, tx, `asset = $1`, p.Asset); err != nil {
			return Facts{}, fmt.Errorf("24 h %s total: %w", p.Asset, err)
		}
	}
	if c.Destination {
		if f.Destination, err = readDestination(ctx, tx, p, c.PaidBefore); err != nil {
			return Facts{}, err
		}
	}
	return f, nil
}

func sumOutflow(ctx context.Context, tx pgx.Tx, where string, args ...any) (decimal.Decimal, error) {
	var total string
	if err := tx.QueryRow(ctx, `SELECT `+outflowSum(where), args...).Scan(&total); err != nil {
		return decimal.Decimal{}, err
	}
	return parseNumeric("total", total)
}

// outflowSum is the 24 h total of the payouts where says: those made in
// the last 24 hours that have not failed, and, made before, those still
// held (awaiting approval or funds: they can go out any time) and those
// paid within the 24 hours. A hold released late is so counted in the
// window it goes out in, and the payouts made meanwhile count it. Each
// part reads its own index (migration 00014).
func outflowSum(where string) string {
	return `(SELECT coalesce(sum(amount), 0)::text FROM (
		SELECT amount FROM payouts WHERE ` + where + ` AND created_at > now() - interval '24 hours' AND ` + outflowOpen + `
		UNION ALL
		SELECT amount FROM payouts WHERE ` + where + ` AND created_at <= now() - interval '24 hours'
			AND status IN ('awaiting_approval', 'awaiting_funds')
		UNION ALL
		SELECT amount FROM payouts WHERE ` + where + ` AND created_at <= now() - interval '24 hours'
			AND status = 'paid' AND finalized_at > now() - interval '24 hours') outflow)`
}

// DestinationFacts reads what is known of a prospective payout's address
// outside any transaction, with the database's clock: a fee quote applies
// the destination rules without storing or locking anything.
func (s *Store) DestinationFacts(ctx context.Context, p payout.Payout, paidBefore bool) (Facts, error) {
	var f Facts
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return Facts{}, fmt.Errorf("destination facts: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // read-only: nothing to keep
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&f.Now); err != nil {
		return Facts{}, fmt.Errorf("destination facts: clock: %w", err)
	}
	if f.Destination, err = readDestination(ctx, tx, p, paidBefore); err != nil {
		return Facts{}, err
	}
	return f, nil
}

func readDestination(ctx context.Context, tx pgx.Tx, p payout.Payout, paidBefore bool) (Destination, error) {
	var d Destination
	w, err := scanWallet(tx.QueryRow(ctx, `SELECT `+walletColumns+` FROM client_wallets
		WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4`, p.ClientID, p.Asset, p.Network, p.Address))
	switch {
	case err == nil:
		d.Wallet = &w
	case !errors.Is(err, ErrNotFound):
		return Destination{}, fmt.Errorf("wallet of client %s at the address: %w", p.ClientID, err)
	}
	if !paidBefore {
		return d, nil
	}
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payouts
		WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4 AND memo = $5 AND status = 'paid')`,
		p.ClientID, p.Asset, p.Network, p.Address, p.Memo).Scan(&d.PaidBefore); err != nil {
		return Destination{}, fmt.Errorf("payouts of client %s paid to the address: %w", p.ClientID, err)
	}
	return d, nil
}

// BatchFacts are a campaign's facts: the 24 h totals of every (client,
// asset) its rows pay and of every asset, and each row's destination when
// asked for.
type BatchFacts struct {
	Client       map[[2]string]decimal.Decimal // {client, asset}
	All          map[string]decimal.Decimal    // asset
	Destinations []Destination                 // by row, when the check asks for them
	Now          time.Time
}

// BatchCheck decides a campaign inside the transaction that stores it.
// Decide may change rows' statuses and the batch's state, or refuse it.
type BatchCheck struct {
	ClientTotal, AllTotal, Destination, PaidBefore bool
	Decide                                         func(b Batch, rows []payout.Payout, f BatchFacts) (Batch, []payout.Payout, error)
}

func batchKeys(rows []payout.Payout) []outflowKey {
	seen := map[outflowKey]bool{}
	var keys []outflowKey
	for _, p := range rows {
		k := outflowKey{p.ClientID, p.Asset}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

func readBatchFacts(ctx context.Context, tx pgx.Tx, c BatchCheck, rows []payout.Payout) (BatchFacts, error) {
	f := BatchFacts{Client: map[[2]string]decimal.Decimal{}, All: map[string]decimal.Decimal{}}
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&f.Now); err != nil {
		return BatchFacts{}, fmt.Errorf("read the clock: %w", err)
	}
	keys := batchKeys(rows)
	if c.ClientTotal {
		clients, assets := make([]string, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			clients[i], assets[i] = k.client, k.asset
		}
		r, err := tx.Query(ctx, `SELECT k.client_id, k.asset, `+outflowSum(`client_id = k.client_id AND asset = k.asset`)+`
			FROM unnest($1::text[], $2::text[]) AS k(client_id, asset)`, clients, assets)
		if err != nil {
			return BatchFacts{}, fmt.Errorf("clients' 24 h totals: %w", err)
		}
		type total struct{ client, asset, sum string }
		list, err := collect(r, func(row pgx.CollectableRow) (total, error) {
			var t total
			return t, row.Scan(&t.client, &t.asset, &t.sum)
		})
		if err != nil {
			return BatchFacts{}, fmt.Errorf("clients' 24 h totals: %w", err)
		}
		for _, t := range list {
			if f.Client[[2]string{t.client, t.asset}], err = parseNumeric("total", t.sum); err != nil {
				return BatchFacts{}, err
			}
		}
	}
	if c.AllTotal {
		for _, k := range keys {
			if _, done := f.All[k.asset]; done {
				continue
			}
			sum, err := sumOutflow(ctx, tx, `asset = $1`, k.asset)
			if err != nil {
				return BatchFacts{}, fmt.Errorf("24 h %s total: %w", k.asset, err)
			}
			f.All[k.asset] = sum
		}
	}
	if c.Destination {
		var err error
		if f.Destinations, err = readDestinations(ctx, tx, rows, c.PaidBefore); err != nil {
			return BatchFacts{}, err
		}
	}
	return f, nil
}

// readDestinations is readDestination for every row in one query: a
// campaign of 100,000 rows cannot afford two round trips per row.
func readDestinations(ctx context.Context, tx pgx.Tx, rows []payout.Payout, paidBefore bool) ([]Destination, error) {
	n := len(rows)
	clients, assets, networks, addresses, memos := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, p := range rows {
		clients[i], assets[i], networks[i], addresses[i], memos[i] = p.ClientID, p.Asset, p.Network, p.Address, p.Memo
	}
	r, err := tx.Query(ctx, `
		SELECT k.ord, w.client_id IS NOT NULL, `+walletColumnsOf("w")+`,
			$5 AND EXISTS (SELECT 1 FROM payouts p WHERE p.client_id = k.client_id AND p.asset = k.asset
				AND p.network = k.network AND p.address = k.address AND p.memo = k.memo AND p.status = 'paid')
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[])
			WITH ORDINALITY AS k(client_id, asset, network, address, memo, ord)
			LEFT JOIN client_wallets w ON (w.client_id, w.asset, w.network, w.address) = (k.client_id, k.asset, k.network, k.address)
		ORDER BY k.ord`, clients, assets, networks, addresses, paidBefore, memos)
	if err != nil {
		return nil, fmt.Errorf("destinations of the rows: %w", err)
	}
	out := make([]Destination, n)
	_, err = collect(r, func(row pgx.CollectableRow) (struct{}, error) {
		var (
			ord      int
			hasW     bool
			w        nullableWallet
			paid     bool
			scanDest = append([]any{&ord, &hasW}, w.dest()...)
		)
		if err := row.Scan(append(scanDest, &paid)...); err != nil {
			return struct{}{}, err
		}
		d := Destination{PaidBefore: paid}
		if hasW {
			wallet := w.wallet()
			d.Wallet = &wallet
		}
		out[ord-1] = d
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("destinations of the rows: %w", err)
	}
	return out, nil
}
