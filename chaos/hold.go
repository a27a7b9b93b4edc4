package chaos

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/heleket-payouts/payouts/heleket"
)

// CreateHold sits in front of the create trap. While held, a create waits
// at the door instead of reaching "Heleket"; when its client goes away (the
// worker that sent it was killed) it is dropped, unseen by the sandbox. A
// test that kills the worker with the hold on therefore knows that no
// create was in flight at the kill, so every create the sandbox counts
// afterwards must be the first for its order_id: a repeat can only be the
// product asking twice.
type CreateHold struct {
	Next http.Handler

	mu      sync.Mutex
	release chan struct{}  // closed by Release; nil when not holding
	waiting map[string]int // order_id -> creates waiting
	dropped int
}

// Hold makes creates wait from now on.
func (h *CreateHold) Hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.release == nil {
		h.release = make(chan struct{})
	}
}

// Release lets the waiting creates (those whose client is still there) and
// every later one through.
func (h *CreateHold) Release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.release != nil {
		close(h.release)
		h.release = nil
	}
}

// Waiting is how many creates wait at the door.
func (h *CreateHold) Waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, k := range h.waiting {
		n += k
	}
	return n
}

// WaitingOrders lists the order_ids of the creates waiting at the door.
func (h *CreateHold) WaitingOrders() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]string, 0, len(h.waiting))
	for id := range h.waiting {
		ids = append(ids, id)
	}
	return ids
}

// Dropped is how many held creates were dropped because their client left.
func (h *CreateHold) Dropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

func (h *CreateHold) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	release := h.release
	h.mu.Unlock()
	if r.URL.Path != heleket.PathCreatePayout || release == nil {
		h.Next.ServeHTTP(w, r)
		return
	}
	// Reading the body to its end makes the server watch the connection,
	// so the request's context ends when the client dies.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	orderID := orderIDOf(body)
	h.mu.Lock()
	if h.waiting == nil {
		h.waiting = map[string]int{}
	}
	h.waiting[orderID]++
	h.mu.Unlock()
	select {
	case <-release:
	case <-r.Context().Done():
	}
	h.mu.Lock()
	if h.waiting[orderID]--; h.waiting[orderID] == 0 {
		delete(h.waiting, orderID)
	}
	gone := r.Context().Err() != nil
	if gone {
		h.dropped++
	}
	h.mu.Unlock()
	if gone {
		return
	}
	h.Next.ServeHTTP(w, r)
}
