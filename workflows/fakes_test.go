package workflows_test

import (
	"context"
	"errors"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// fakeStore applies changes with the real transition table, in memory.
type fakeStore struct {
	mu      sync.Mutex
	payouts map[string]payout.Payout
	events  []payout.Change
	flagged map[string]string // payout ID -> reason
}

func newFakeStore() *fakeStore { return &fakeStore{payouts: map[string]payout.Payout{}} }

func (s *fakeStore) CreatePayout(_ context.Context, p payout.Payout, _ string, _ map[string]any) (payout.Payout, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing, ok := s.payouts[p.ID]; ok {
		return existing, false, nil
	}
	s.payouts[p.ID] = p
	return p, true, nil
}

func (s *fakeStore) Apply(_ context.Context, c payout.Change) (payout.Payout, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payouts[c.PayoutID]
	if !ok {
		return payout.Payout{}, false, errors.New("not found")
	}
	if !payout.CanTransition(p.Status, c.To) {
		return p, false, nil
	}
	p.Status = c.To
	if c.HeleketUUID != "" {
		p.HeleketUUID = c.HeleketUUID
	}
	if c.TxID != "" {
		p.TxID = c.TxID
	}
	if c.Commission.Valid {
		p.Commission = c.Commission
	}
	if c.FailureReason != "" {
		p.FailureReason = c.FailureReason
	}
	p.WaitingFor = c.WaitingFor
	s.payouts[p.ID] = p
	s.events = append(s.events, c)
	return p, true, nil
}

func (s *fakeStore) MarkAttention(_ context.Context, a store.Attention) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payouts[a.PayoutID]
	if s.flagged == nil {
		s.flagged = map[string]string{}
	}
	if _, ok := s.flagged[a.PayoutID]; ok {
		return false, nil
	}
	s.flagged[a.PayoutID] = a.Reason
	s.events = append(s.events, payout.Change{PayoutID: a.PayoutID, To: p.Status, Source: a.Source,
		Details: map[string]any{"reason": a.Reason, "needs_attention": true}})
	return true, nil
}

func (s *fakeStore) trail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		out = append(out, string(e.Source)+":"+string(e.To))
	}
	return out
}

// fakeHeleket answers creates with a fixed payout and status calls from a
// script, repeating its last entry.
type fakeHeleket struct {
	mu        sync.Mutex
	createErr error
	// createAnswer edits the answer to a create (another payout under the
	// same order_id).
	createAnswer func(*heleket.Payout)
	// infoErrs fail that many info calls first.
	infoErrs  int
	creates   int
	infos     []string // Heleket statuses returned by successive info calls
	infoCalls int
	// infoFailures counts the info calls that infoErrs failed.
	infoFailures int
}

func (h *fakeHeleket) CreatePayout(_ context.Context, req heleket.CreatePayoutRequest) (heleket.Payout, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.creates++
	if h.createErr != nil {
		return heleket.Payout{}, h.createErr
	}
	p := heleket.Payout{UUID: "uuid-" + req.OrderID, Status: heleket.StatusProcess,
		Amount: heleket.NewAmount(decimal.RequireFromString(req.Amount)), Currency: req.Currency, Network: req.Network,
		Address: req.Address}
	if h.createAnswer != nil {
		h.createAnswer(&p)
	}
	return p, nil
}

func (h *fakeHeleket) PayoutInfo(_ context.Context, req heleket.InfoRequest) (heleket.Payout, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.infoErrs > 0 {
		h.infoErrs--
		h.infoFailures++
		return heleket.Payout{}, &heleket.ServerError{Endpoint: heleket.PathPayoutInfo, HTTPStatus: 503}
	}
	status := h.infos[min(h.infoCalls, len(h.infos)-1)]
	h.infoCalls++
	p := heleket.Payout{UUID: "uuid-" + req.OrderID, Status: status}
	if status == heleket.StatusPaid {
		p.TxID = "txid-1"
		p.Commission = heleket.NewAmount(decimal.RequireFromString("1.5"))
	}
	return p, nil
}

func (h *fakeHeleket) counts() (creates, infos int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.creates, h.infoCalls
}
