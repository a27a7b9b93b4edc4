// Package gate is the single payout gate: every payout, whatever starts
// it (an admin request, a campaign row, a schedule run, a retry, a
// reconciliation restart), is made and admitted here, so a control added
// here holds for all of them. It decides the payout's terms that policy
// sets (default wallet, limits, approval, fee policy, id) and knows nothing
// of HTTP or Temporal.
package gate

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// Wallets is where default wallets come from (the store).
type Wallets interface {
	DefaultWallet(ctx context.Context, clientID, asset, network string) (store.Wallet, error)
	DefaultWallets(ctx context.Context, keys []store.WalletKey) (map[store.WalletKey]store.Wallet, error)
}

// Policy is what the configuration decides about every payout.
type Policy struct {
	// Installation is this database's ID (store.Installation): every
	// payout ID derives from it.
	Installation string
	Limits       payout.Limits
	// ApprovalThresholds: a payout above its asset's amount waits for a
	// second admin; assets not listed need none.
	ApprovalThresholds map[string]decimal.Decimal
	FeeFromBalance     bool // Heleket is_subtract
	// Hard caps on the rolling 24 h total per asset: a client's
	// (CLIENT_DAILY_LIMITS) and all clients' (DAILY_OUTFLOW_LIMITS).
	ClientDailyLimits  map[string]decimal.Decimal
	DailyOutflowLimits map[string]decimal.Decimal
	// NewAddressPolicy is allow (the default), approve or refuse.
	NewAddressPolicy string
	Denylist         Denylist
	// WalletCooldown: a new or changed wallet is usable after it, or once
	// a second admin approves it.
	WalletCooldown time.Duration
}

// Gate makes and admits payouts under one policy.
type Gate struct {
	Policy  Policy
	Wallets Wallets
	Payouts Payouts
}

// Origins a payout can pass the gate from; the label of
// payouts_gate_total.
const (
	FromAPI       = "api"
	FromBatch     = "batch_row"
	FromSchedule  = "schedule_run"
	FromRestart   = "restart" // a repeated start or a reconciliation restart of a stored payout
	FromRetry     = "retry"   // a new payout retrying a failed, rejected or expired one
	FromUnchecked = "other"
)

// ErrNoDefaultWallet refuses a payout without an address whose client has
// no default wallet for the asset and network.
var ErrNoDefaultWallet = errors.New("no default wallet")

// Refusal is a payout the gate refuses, with the field errors to show.
type Refusal struct {
	Kind    string // a Refused* name
	Message string
	Fields  payout.FieldErrors
}

func (r *Refusal) Error() string { return r.Message }

// NoDefaultWallet is the refusal of a payout without address whose client
// has no default wallet.
func NoDefaultWallet(asset, network string) *Refusal {
	msg := "no address given and client has no default " + asset + " wallet on " + network
	return &Refusal{Message: msg, Fields: payout.FieldErrors{payout.FieldAddress: {msg}}}
}

// Validate checks a request against the rules and limits.
func (g *Gate) Validate(r payout.Request) (payout.Valid, *Refusal) {
	v, fields := payout.Validate(r, g.Policy.Limits)
	if !fields.Empty() {
		return payout.Valid{}, &Refusal{Message: "invalid payout request", Fields: fields}
	}
	return v, nil
}

// APIPayout makes the payout of an admin's request: the default wallet
// when no address is given, the approval the amount needs, and the ID of
// the client's idempotency key in this installation.
func (g *Gate) APIPayout(ctx context.Context, v payout.Valid, requestedBy string) (payout.Payout, error) {
	v, err := g.withDefaultWallet(ctx, v)
	var refused *Refusal
	if errors.As(err, &refused) {
		metrics.GateRefused(FromAPI)
	}
	if err != nil {
		return payout.Payout{}, err
	}
	p := g.made(v, payout.DeriveID(g.Policy.Installation, "api", v.ClientID, v.IdempotencyKey), requestedBy)
	p.IdempotencyKey = v.IdempotencyKey
	metrics.GateMade(FromAPI)
	return p, nil
}

// withDefaultWallet fills a request without address with its client's
// default wallet (and its memo unless the request has one).
func (g *Gate) withDefaultWallet(ctx context.Context, v payout.Valid) (payout.Valid, error) {
	if v.Address != "" {
		return v, nil
	}
	w, err := g.Wallets.DefaultWallet(ctx, v.ClientID, v.Asset, v.Network)
	if errors.Is(err, store.ErrNotFound) {
		return payout.Valid{}, NoDefaultWallet(v.Asset, v.Network)
	}
	if err != nil {
		return payout.Valid{}, fmt.Errorf("gate: default wallet of client %s: %w", v.ClientID, err)
	}
	v.Address, v.Memo = w.Address, cmp.Or(v.Memo, w.Memo)
	return v, nil
}

// RetryPayout makes the payout that retries a failed, rejected or expired
// one: the original's terms (its address as it was, its origin), checked
// again against today's rules and limits, with the approval and fee policy
// of today, requested by whoever asks for the retry. Its ID derives from
// the retry's idempotency key like an API payout's, in a scope of its own.
func (g *Gate) RetryPayout(original payout.Payout, key, requestedBy string) (payout.Payout, error) {
	v, refusal := g.Validate(payout.Request{
		ClientID: original.ClientID, Asset: original.Asset, Network: original.Network, Amount: original.Amount.String(),
		Address: original.Address, Memo: original.Memo, Origin: string(original.Origin), IdempotencyKey: key,
	})
	if refusal != nil {
		metrics.GateRefused(FromRetry)
		return payout.Payout{}, refusal
	}
	p := g.made(v, payout.DeriveID(g.Policy.Installation, "retry", v.ClientID, key), requestedBy)
	p.IdempotencyKey, p.RetryOf = key, original.ID
	metrics.GateMade(FromRetry)
	return p, nil
}

// RowRetryKey is the idempotency key of one campaign row's retry, derived
// from the key of the call that retries the campaign's failed rows: a
// repeated call retries each row under the same key, so never twice.
func RowRetryKey(batchID, key, payoutID string) string {
	h := sha256.New()
	for _, part := range []string{"retry-failed", batchID, key, payoutID} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "retry-failed-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:32]
}

// BatchPayouts makes the payouts of a campaign's valid rows, default
// wallets read in one query. Rows without address whose client has no
// default wallet join rowErrs; rows already in rowErrs are skipped, and the
// others still checked, so every problem is reported at once.
func (g *Gate) BatchPayouts(ctx context.Context, key string, valid []payout.Valid, rowErrs batch.RowErrors, requestedBy string) ([]payout.Payout, error) {
	wallets, err := g.Wallets.DefaultWallets(ctx, walletKeys(valid, rowErrs))
	if err != nil {
		return nil, fmt.Errorf("gate: default wallets: %w", err)
	}
	out := make([]payout.Payout, len(valid))
	for i, v := range valid {
		if _, bad := rowErrs[i]; bad {
			continue
		}
		if v.Address == "" {
			w, ok := wallets[store.WalletKey{ClientID: v.ClientID, Asset: v.Asset, Network: v.Network}]
			if !ok {
				rowErrs[i] = NoDefaultWallet(v.Asset, v.Network).Fields
				metrics.GateRefused(FromBatch)
				continue
			}
			v.Address, v.Memo = w.Address, cmp.Or(v.Memo, w.Memo)
		}
		v.Origin = payout.OriginBonus
		out[i] = g.made(v, batch.PayoutID(g.Policy.Installation, key, v.ClientID, i), requestedBy)
		metrics.GateMade(FromBatch)
	}
	return out, nil
}

// ScheduledPayout makes the payout of one run of a schedule: its stored
// terms, the client's default wallet now when the schedule has no fixed
// address (so a wallet change applies to the runs after it), the approval
// decided when the schedule was made. The ID is the run's, derived by the scheduled workflow from the schedule
// and the nominal time (schedule.RunPayoutID), which it also starts the
// payout's workflow under.
func (g *Gate) ScheduledPayout(ctx context.Context, sc store.Schedule, payoutID string) (payout.Payout, error) {
	address, memo := sc.Address, sc.Memo
	if address == "" {
		w, err := g.Wallets.DefaultWallet(ctx, sc.ClientID, sc.Asset, sc.Network)
		if errors.Is(err, store.ErrNotFound) {
			metrics.GateRefused(FromSchedule)
			return payout.Payout{}, fmt.Errorf("client %s has no default %s wallet on %s: %w",
				sc.ClientID, sc.Asset, sc.Network, ErrNoDefaultWallet)
		}
		if err != nil {
			return payout.Payout{}, fmt.Errorf("gate: default wallet of client %s: %w", sc.ClientID, err)
		}
		address, memo = w.Address, cmp.Or(memo, w.Memo)
	}
	status := payout.StatusRequested
	if sc.NeedsApproval {
		status = payout.StatusAwaitingApproval
	}
	metrics.GateMade(FromSchedule)
	// The schedule's own fee policy, fixed when it was made, like its terms.
	p := payout.Payout{
		ID: payoutID, ClientID: sc.ClientID, Asset: sc.Asset,
		Network: sc.Network, Amount: sc.Amount, Address: address, Memo: memo, Origin: payout.OriginScheduled,
		Status: status, IsSubtract: sc.IsSubtract, RequestedBy: sc.CreatedBy,
	}
	// The scheduled workflow starts the payout's workflow right after, as
	// its child, where nothing can call the gate: it is admitted here.
	if err := g.Admit(ctx, p, FromSchedule); err != nil {
		return payout.Payout{}, err
	}
	return p, nil
}

// NeedsApproval says whether an amount of an asset waits for a second
// admin (a schedule decides it once, for all its runs).
func (g *Gate) NeedsApproval(asset string, amount decimal.Decimal) bool {
	limit, ok := g.Policy.ApprovalThresholds[asset]
	return ok && amount.GreaterThan(limit)
}

// Admit lets a stored payout's workflow start: the first start after
// creation, a retry of the request, a batch's start, a reconciliation
// restart. It is where controls on sending (not only on making) belong.
func (g *Gate) Admit(_ context.Context, p payout.Payout, from string) error {
	if p.ID == "" || !p.Status.Valid() {
		metrics.GateRefused(from)
		return fmt.Errorf("gate: payout %q with status %q cannot start", p.ID, p.Status)
	}
	metrics.GateAdmitted(from)
	return nil
}

// made is a payout of valid terms with what the policy decides.
func (g *Gate) made(v payout.Valid, id, requestedBy string) payout.Payout {
	status := payout.StatusRequested
	if g.NeedsApproval(v.Asset, v.Amount) {
		status = payout.StatusAwaitingApproval
	}
	return payout.Payout{
		ID: id, ClientID: v.ClientID, Asset: v.Asset, Network: v.Network, Amount: v.Amount,
		Address: v.Address, Memo: v.Memo, Origin: v.Origin, Status: status,
		IsSubtract: g.Policy.FeeFromBalance, RequestedBy: requestedBy,
	}
}

func walletKeys(valid []payout.Valid, rowErrs batch.RowErrors) []store.WalletKey {
	seen := map[store.WalletKey]bool{}
	var keys []store.WalletKey
	for i, v := range valid {
		k := store.WalletKey{ClientID: v.ClientID, Asset: v.Asset, Network: v.Network}
		if _, bad := rowErrs[i]; bad || v.Address != "" || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys
}
