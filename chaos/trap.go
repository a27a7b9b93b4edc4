package chaos

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/heleket-payouts/payouts/heleket"
)

// CreateTrap sits in front of the sandbox's HTTP handler. When armed, it
// waits for the next create that makes a new payout at "Heleket", and
// before the answer leaves it calls Spring: the test kills the worker
// there, so the payout exists at Heleket while the worker that asked for
// it never learns so. That is the window idempotency has to cover.
type CreateTrap struct {
	Next http.Handler
	// Known reports whether the sandbox already has a payout with this
	// order_id.
	Known func(orderID string) bool
	// Spring runs once per arming, synchronously, after the create was
	// applied and before its answer is written.
	Spring func(orderID string)

	armed  atomic.Bool
	sprung atomic.Int64
}

// Arm sets the trap for the next new create.
func (c *CreateTrap) Arm() { c.armed.Store(true) }

// Disarm clears it.
func (c *CreateTrap) Disarm() { c.armed.Store(false) }

// Sprung is how many times the trap went off.
func (c *CreateTrap) Sprung() int64 { return c.sprung.Load() }

func (c *CreateTrap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != heleket.PathCreatePayout || !c.armed.Load() {
		c.Next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	orderID := orderIDOf(body)
	existed := orderID == "" || c.Known(orderID)
	rec := httptest.NewRecorder()
	// A lost-response fault aborts the handler with a panic after the
	// create was applied; the trap still springs, then the panic goes on.
	defer func() {
		if v := recover(); v != nil {
			c.check(orderID, existed)
			panic(v)
		}
	}()
	c.Next.ServeHTTP(rec, r)
	c.check(orderID, existed)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (c *CreateTrap) check(orderID string, existed bool) {
	if existed || !c.Known(orderID) || !c.armed.CompareAndSwap(true, false) {
		return
	}
	c.sprung.Add(1)
	c.Spring(orderID)
}

func orderIDOf(body []byte) string {
	var req struct {
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(body, &req) // a malformed body is the sandbox's to refuse
	return req.OrderID
}
