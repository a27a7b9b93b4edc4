package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
)

// heleketZone is the zone of created_at/updated_at and of list date filters
// (the docs say UTC+3).
var heleketZone = time.FixedZone("UTC+3", 3*60*60)

// record is one payout as the sandbox keeps it. Fields are guarded by
// Sandbox.mu.
type record struct {
	uuid, orderID                string
	currency, network, address   string
	urlCallback                  string
	amount, commission           decimal.Decimal
	merchantAmount, payoutAmount decimal.Decimal // debited from the balance / sent to the address
	isSubtract                   bool
	status, txid                 string
	createdAt, updatedAt         time.Time
	settleAfter, checkAfter      time.Duration
	refunded                     bool

	timer    *time.Timer
	timerGen int // invalidates a timer callback that lost the race with a stop
}

func (r *record) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.timerGen++
}

func (r *record) final() bool { return heleket.IsFinalStatus(r.status) }

// refundable statuses return the debit to the merchant balance.
func refundable(status string) bool {
	switch status {
	case heleket.StatusFail, heleket.StatusCancel, heleket.StatusSystemFail:
		return true
	}
	return false
}

func knownStatus(status string) bool {
	status = heleket.NormalizeStatus(status)
	return status == heleket.StatusProcess || status == heleket.StatusCheck || heleket.IsFinalStatus(status)
}

// payoutWire is the payout object as Heleket's API writes it. It is not
// heleket.Payout because the two disagree on purpose: the client omits an
// empty txid, while Heleket sends null until the payout is sent.
type payoutWire struct {
	UUID           string         `json:"uuid"`
	OrderID        string         `json:"order_id,omitempty"`
	Amount         heleket.Amount `json:"amount"`
	Currency       string         `json:"currency"`
	Network        string         `json:"network"`
	Address        string         `json:"address"`
	TxID           *string        `json:"txid"`
	Status         string         `json:"status"`
	IsFinal        bool           `json:"is_final"`
	Balance        heleket.Amount `json:"balance"`
	PayerCurrency  string         `json:"payer_currency"`
	PayerAmount    heleket.Amount `json:"payer_amount"`
	Commission     heleket.Amount `json:"commission"`
	MerchantAmount heleket.Amount `json:"merchant_amount"`
	CreatedAt      string         `json:"created_at,omitempty"`
	UpdatedAt      string         `json:"updated_at,omitempty"`
}

// wire renders the payout object. withMeta adds order_id and timestamps,
// which Heleket shows only in list items.
func (r *record) wire(balance decimal.Decimal, withMeta bool) payoutWire {
	p := payoutWire{
		UUID:           r.uuid,
		Amount:         heleket.NewAmount(r.amount),
		Currency:       r.currency,
		Network:        r.network,
		Address:        r.address,
		Status:         r.status,
		IsFinal:        r.final(),
		Balance:        heleket.NewAmount(balance),
		PayerCurrency:  r.currency,
		PayerAmount:    heleket.NewAmount(r.payoutAmount),
		Commission:     heleket.NewAmount(r.commission),
		MerchantAmount: heleket.NewAmount(r.merchantAmount),
	}
	if r.txid != "" {
		txid := r.txid
		p.TxID = &txid
	}
	if withMeta {
		p.OrderID = r.orderID
		p.CreatedAt = r.createdAt.In(heleketZone).Format(heleket.ListDateLayout)
		p.UpdatedAt = r.updatedAt.In(heleketZone).Format(heleket.ListDateLayout)
	}
	return p
}

// view is the payout as the client would decode it, with order_id and
// timestamps, for tests and tools that inspect the sandbox in Go.
func (r *record) view(balance decimal.Decimal) heleket.Payout {
	w := r.wire(balance, true)
	return heleket.Payout{
		UUID:           w.UUID,
		OrderID:        w.OrderID,
		Amount:         w.Amount,
		Currency:       w.Currency,
		Network:        w.Network,
		Address:        w.Address,
		TxID:           r.txid,
		Status:         w.Status,
		IsFinal:        heleket.Flag{Value: w.IsFinal, Valid: true},
		Commission:     w.Commission,
		Balance:        lenient(w.Balance),
		PayerCurrency:  lenient(w.PayerCurrency),
		PayerAmount:    lenient(w.PayerAmount),
		MerchantAmount: lenient(w.MerchantAmount),
		CreatedAt:      lenient(w.CreatedAt),
		UpdatedAt:      lenient(w.UpdatedAt),
	}
}

// lenient renders a value the sandbox owns; strings and amounts always
// marshal.
func lenient(v any) heleket.Lenient {
	b, _ := json.Marshal(v)
	return heleket.LenientOf(b)
}

// transfer is a validated create request.
type transfer struct {
	svc         service
	orderID     string
	address     string
	amount      decimal.Decimal
	isSubtract  bool
	urlCallback string
}

// Refusal messages (HTTP 422 {"state":1,"message":...}).
const (
	msgInsufficient = "Insufficient funds on the balance"
	msgUnavailable  = "This service is temporarily unavailable"
	msgNotFound     = "Not found payout"
	msgInvalidSign  = "Invalid Sign."
)

// create applies a validated create. It returns the payout object, whether
// it was an idempotent repeat, and a refusal message.
func (s *Sandbox) create(t transfer) (payoutWire, bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.byOrder[t.orderID]; ok {
		s.count(func(st *Stats) { st.IdempotentRepeats++ })
		return rec.wire(s.balances[rec.currency], false), true, ""
	}
	key := serviceKey{t.svc.currency, t.svc.network}
	if s.unavailable[key] {
		return payoutWire{}, false, msgUnavailable
	}
	fee, debit, payout := t.svc.split(t.amount, t.isSubtract)
	if s.balances[t.svc.currency].LessThan(debit) {
		return payoutWire{}, false, msgInsufficient
	}
	rec := s.insertLocked(t, fee, debit, payout)
	s.count(func(st *Stats) { st.Creates++ })
	s.emitLocked(rec)
	s.scheduleLocked(rec)
	return rec.wire(s.balances[rec.currency], false), false, ""
}

func (s *Sandbox) insertLocked(t transfer, fee, debit, payout decimal.Decimal) *record {
	now := s.nextCreatedAt()
	rec := &record{
		uuid: newUUID(), orderID: t.orderID,
		currency: t.svc.currency, network: t.svc.network, address: t.address,
		urlCallback: t.urlCallback,
		amount:      t.amount, commission: fee, merchantAmount: debit, payoutAmount: payout,
		isSubtract: t.isSubtract,
		status:     heleket.StatusProcess,
		createdAt:  now, updatedAt: now,
		settleAfter: s.settleAfter, checkAfter: s.cfg.CheckAfter,
	}
	s.balances[rec.currency] = s.balances[rec.currency].Sub(debit)
	s.byOrder[rec.orderID] = rec
	s.byUUID[rec.uuid] = rec
	s.ordered = append(s.ordered, rec)
	return rec
}

// nextCreatedAt keeps created_at strictly increasing, so (created_at) alone
// orders the store and list cursors stay valid while payouts are added,
// even if the wall clock steps back.
func (s *Sandbox) nextCreatedAt() time.Time {
	now := s.now().UTC().Round(0)
	if n := len(s.ordered); n > 0 {
		if last := s.ordered[n-1].createdAt; !now.After(last) {
			now = last.Add(time.Nanosecond)
		}
	}
	return now
}

// scheduleLocked arms the first progression step: check (when configured),
// otherwise the final status.
func (s *Sandbox) scheduleLocked(rec *record) {
	if rec.checkAfter > 0 {
		s.armLocked(rec, rec.checkAfter, s.stepCheck)
		return
	}
	s.armLocked(rec, rec.settleAfter, s.stepSettle)
}

func (s *Sandbox) armLocked(rec *record, d time.Duration, step func(*record)) {
	if s.closed {
		return
	}
	rec.stopTimer()
	gen := rec.timerGen
	rec.timer = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || rec.timerGen != gen {
			return
		}
		rec.timer = nil
		delete(s.pending, rec)
		step(rec)
	})
	s.pending[rec] = struct{}{}
}

func (s *Sandbox) stepCheck(rec *record) {
	if rec.status == heleket.StatusProcess {
		s.setStatusLocked(rec, heleket.StatusCheck)
	}
	s.armLocked(rec, max(0, rec.settleAfter-rec.checkAfter), s.stepSettle)
}

func (s *Sandbox) stepSettle(rec *record) {
	if rec.final() {
		return
	}
	outcome, ok := s.outcomes[rec.address]
	if !ok {
		outcome = heleket.StatusPaid
	}
	s.setStatusLocked(rec, outcome)
}

// setStatusLocked moves a payout, refunds it when the status says so, and
// emits the status-change webhook.
func (s *Sandbox) setStatusLocked(rec *record, status string) {
	if rec.status == status {
		return
	}
	rec.status = status
	rec.updatedAt = s.now().UTC()
	if status == heleket.StatusPaid && rec.txid == "" {
		rec.txid = randomHex(32)
	}
	if refundable(status) && !rec.refunded {
		rec.refunded = true
		s.balances[rec.currency] = s.balances[rec.currency].Add(rec.merchantAmount)
	}
	if rec.final() {
		rec.stopTimer()
		delete(s.pending, rec)
	}
	s.emitLocked(rec)
}

// SetStatus forces a status change now and sends its webhook. Final
// payouts do not move: a refund must not be undone or repeated.
func (s *Sandbox) SetStatus(orderID, heleketStatus string) error {
	heleketStatus = heleket.NormalizeStatus(heleketStatus)
	if !knownStatus(heleketStatus) {
		return fmt.Errorf("sandbox: unknown status %q", heleketStatus)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.byOrder[orderID]
	if !ok {
		return fmt.Errorf("sandbox: payout %q not found", orderID)
	}
	if rec.final() {
		return fmt.Errorf("sandbox: payout %q is already final (%s)", orderID, rec.status)
	}
	s.setStatusLocked(rec, heleketStatus)
	return nil
}

// ForceOutcome makes payouts to address settle with heleketStatus instead of
// paid. A non-final status (process, check) leaves them stuck there; an
// empty status removes the rule. It applies to every payout settling after
// the call.
func (s *Sandbox) ForceOutcome(address, heleketStatus string) {
	heleketStatus = heleket.NormalizeStatus(heleketStatus)
	s.mu.Lock()
	defer s.mu.Unlock()
	if heleketStatus == "" {
		delete(s.outcomes, address)
		return
	}
	s.outcomes[address] = heleketStatus
}

// SetSettleAfter changes the process → final delay for payouts created
// from now on.
func (s *Sandbox) SetSettleAfter(d time.Duration) {
	s.mu.Lock()
	s.settleAfter = d
	s.mu.Unlock()
}

// SetServiceAvailable switches a payout route on or off; creates on an
// unavailable route are refused.
func (s *Sandbox) SetServiceAvailable(currency, network string, available bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unavailable[serviceKey{normCurrency(currency), normNetwork(network)}] = !available
}

// Balance is the merchant balance in currency.
func (s *Sandbox) Balance(currency string) decimal.Decimal {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.balances[normCurrency(currency)]
}

// SetBalance overrides the merchant balance in currency.
func (s *Sandbox) SetBalance(currency string, amount decimal.Decimal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balances[normCurrency(currency)] = amount
}

// Payouts returns every payout, oldest first, with order_id and timestamps.
func (s *Sandbox) Payouts() []heleket.Payout {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]heleket.Payout, len(s.ordered))
	for i, rec := range s.ordered {
		out[i] = rec.view(s.balances[rec.currency])
	}
	return out
}

// Payout looks a payout up by order_id.
func (s *Sandbox) Payout(orderID string) (heleket.Payout, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.byOrder[orderID]
	if !ok {
		return heleket.Payout{}, false
	}
	return rec.view(s.balances[rec.currency]), true
}

// lookup finds a payout for the info endpoint; order_id wins over uuid.
func (s *Sandbox) lookup(orderID, uuid string) (payoutWire, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.byOrder[orderID]
	if orderID == "" {
		rec, ok = s.byUUID[uuid]
	}
	if !ok {
		return payoutWire{}, false
	}
	return rec.wire(s.balances[rec.currency], false), true
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
