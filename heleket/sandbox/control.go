package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// controlRoutes serve out-of-process tools (chaos tests, benchmarks). They
// sit outside /v1, need no signature and suffer no faults.
//
//	GET   /healthz
//	GET   /_sandbox/stats                     Stats, balances included
//	GET   /_sandbox/faults                    Faults, durations as "250ms"
//	PUT   /_sandbox/faults                    replace all knobs (absent = zero)
//	PATCH /_sandbox/faults                    change only the knobs given
//	POST  /_sandbox/outcomes                  {"address":"T...","status":"fail"}
//	GET   /_sandbox/payouts/{order_id}        the payout, with order_id and timestamps
//	POST  /_sandbox/payouts/{order_id}/status {"status":"cancel"}
//	PUT   /_sandbox/settle-after              {"settle_after":"2s"}
//	POST  /_sandbox/balance                   {"currency":"USDT","amount":"100"}: a top-up
func (s *Sandbox) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /_sandbox/stats", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /_sandbox/faults", func(w http.ResponseWriter, _ *http.Request) {
		writeControl(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("PUT /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		s.putFaults(w, r, Faults{})
	})
	mux.HandleFunc("PATCH /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		s.putFaults(w, r, s.Faults())
	})
	mux.HandleFunc("POST /_sandbox/outcomes", s.postOutcome)
	mux.HandleFunc("GET /_sandbox/payouts/{order_id}", s.getPayout)
	mux.HandleFunc("POST /_sandbox/payouts/{order_id}/status", s.postStatus)
	mux.HandleFunc("PUT /_sandbox/settle-after", s.putSettleAfter)
	mux.HandleFunc("POST /_sandbox/balance", s.postBalance)
}

func (s *Sandbox) putFaults(w http.ResponseWriter, r *http.Request, base Faults) {
	f := base
	if err := decodeControl(r, &f); err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	if err := f.Validate(); err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	s.SetFaults(f)
	writeControl(w, http.StatusOK, f)
}

func (s *Sandbox) postOutcome(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Address string `json:"address"`
		Status  string `json:"status"`
	}
	if err := decodeControl(r, &req); err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	if req.Address == "" || (req.Status != "" && !knownStatus(req.Status)) {
		controlError(w, http.StatusBadRequest, fmt.Errorf("address required, status must be a Heleket status or empty"))
		return
	}
	s.ForceOutcome(req.Address, req.Status)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) getPayout(w http.ResponseWriter, r *http.Request) {
	p, found := s.Payout(r.PathValue("order_id"))
	if !found {
		controlError(w, http.StatusNotFound, fmt.Errorf("payout not found"))
		return
	}
	writeControl(w, http.StatusOK, p)
}

func (s *Sandbox) postStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status"`
	}
	if err := decodeControl(r, &req); err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	if err := s.SetStatus(r.PathValue("order_id"), req.Status); err != nil {
		controlError(w, http.StatusConflict, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) putSettleAfter(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SettleAfter string `json:"settle_after"`
	}
	var d time.Duration
	err := decodeControl(r, &req)
	if err == nil {
		err = parseDuration(req.SettleAfter, &d)
	}
	if err != nil || d < 0 {
		controlError(w, http.StatusBadRequest, fmt.Errorf("settle_after: want a duration like \"2s\""))
		return
	}
	s.SetSettleAfter(d)
	w.WriteHeader(http.StatusNoContent)
}

func decodeControl(r *http.Request, dst any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}

func writeControl(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func controlError(w http.ResponseWriter, status int, err error) {
	writeControl(w, status, map[string]string{"error": err.Error()})
}
