package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/shopspring/decimal"
)

// Fault names as counted in Stats.FaultsInjected.
const (
	FaultLatency        = "latency"
	FaultServerError    = "5xx"
	FaultRateLimit      = "429"
	FaultTimeout        = "timeout"
	FaultLostResponse   = "lost_response"
	FaultWebhookDrop    = "webhook_drop"
	FaultWebhookDup     = "webhook_duplicate"
	FaultWebhookReorder = "webhook_reorder"
)

// Faults are the chaos knobs. Rates are probabilities in [0,1] drawn per API
// request (or per webhook) from the seeded RNG.
type Faults struct {
	Latency, LatencyJitter time.Duration // added before answering every /v1 request

	ServerErrorRate float64 // HTTP 500 before the request is applied
	RateLimitRate   float64 // HTTP 429 before the request is applied
	TimeoutRate     float64 // hang until the client gives up (or 30s), then drop the connection
	// LostResponseRate applies the request and then loses the answer (a 504
	// or a dropped connection), as when a response dies on the way back.
	LostResponseRate float64
	RetryAfter       time.Duration // Retry-After sent with 429, rounded up to whole seconds; 0 = no header

	WebhookDropRate      float64 // the webhook is never delivered, no retries
	WebhookDuplicateRate float64 // the webhook is delivered twice
	// WebhookReorder holds a payout's intermediate webhooks until its final
	// one, then delivers the final first and the rest shuffled. A payout that
	// never reaches a final status never delivers the held ones.
	WebhookReorder bool
	WebhookDelay   time.Duration
}

// faultsWire is Faults on the control API, with durations as strings
// ("250ms") so curl users can read and write them.
type faultsWire struct {
	Latency              string  `json:"latency"`
	LatencyJitter        string  `json:"latency_jitter"`
	ServerErrorRate      float64 `json:"server_error_rate"`
	RateLimitRate        float64 `json:"rate_limit_rate"`
	TimeoutRate          float64 `json:"timeout_rate"`
	LostResponseRate     float64 `json:"lost_response_rate"`
	RetryAfter           string  `json:"retry_after"`
	WebhookDropRate      float64 `json:"webhook_drop_rate"`
	WebhookDuplicateRate float64 `json:"webhook_duplicate_rate"`
	WebhookReorder       bool    `json:"webhook_reorder"`
	WebhookDelay         string  `json:"webhook_delay"`
}

func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsWire{
		Latency: f.Latency.String(), LatencyJitter: f.LatencyJitter.String(),
		ServerErrorRate: f.ServerErrorRate, RateLimitRate: f.RateLimitRate,
		TimeoutRate: f.TimeoutRate, LostResponseRate: f.LostResponseRate,
		RetryAfter:      f.RetryAfter.String(),
		WebhookDropRate: f.WebhookDropRate, WebhookDuplicateRate: f.WebhookDuplicateRate,
		WebhookReorder: f.WebhookReorder, WebhookDelay: f.WebhookDelay.String(),
	})
}

// UnmarshalJSON merges: fields absent from the JSON keep their value.
func (f *Faults) UnmarshalJSON(b []byte) error {
	cur, err := f.MarshalJSON()
	if err != nil {
		return err
	}
	var w faultsWire
	if err := json.Unmarshal(cur, &w); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	out := Faults{
		ServerErrorRate: w.ServerErrorRate, RateLimitRate: w.RateLimitRate,
		TimeoutRate: w.TimeoutRate, LostResponseRate: w.LostResponseRate,
		WebhookDropRate: w.WebhookDropRate, WebhookDuplicateRate: w.WebhookDuplicateRate,
		WebhookReorder: w.WebhookReorder,
	}
	durations := []struct {
		dst *time.Duration
		src string
		key string
	}{
		{&out.Latency, w.Latency, "latency"},
		{&out.LatencyJitter, w.LatencyJitter, "latency_jitter"},
		{&out.RetryAfter, w.RetryAfter, "retry_after"},
		{&out.WebhookDelay, w.WebhookDelay, "webhook_delay"},
	}
	for _, d := range durations {
		if err := parseDuration(d.src, d.dst); err != nil {
			return fmt.Errorf("faults: %s: %w", d.key, err)
		}
	}
	*f = out
	return nil
}

func parseDuration(s string, dst *time.Duration) error {
	if s == "" {
		*dst = 0
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*dst = d
	return nil
}

// Validate rejects rates outside [0,1] and negative durations.
func (f Faults) Validate() error {
	rates := map[string]float64{
		"server_error_rate": f.ServerErrorRate, "rate_limit_rate": f.RateLimitRate,
		"timeout_rate": f.TimeoutRate, "lost_response_rate": f.LostResponseRate,
		"webhook_drop_rate": f.WebhookDropRate, "webhook_duplicate_rate": f.WebhookDuplicateRate,
	}
	for name, r := range rates {
		if r < 0 || r > 1 {
			return fmt.Errorf("%s %v outside [0,1]", name, r)
		}
	}
	if f.Latency < 0 || f.LatencyJitter < 0 || f.RetryAfter < 0 || f.WebhookDelay < 0 {
		return fmt.Errorf("durations must not be negative")
	}
	return nil
}

// SetFaults replaces the fault knobs; it takes effect for the next request
// or webhook.
func (s *Sandbox) SetFaults(f Faults) {
	s.faultMu.Lock()
	s.faults = f
	s.faultMu.Unlock()
}

// Faults returns the current knobs.
func (s *Sandbox) Faults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults
}

// roll draws from the seeded RNG and counts the fault when it fires. A zero
// rate draws nothing, so enabling one knob does not shift another's sequence.
func (s *Sandbox) roll(rate float64, fault string) bool {
	if rate <= 0 {
		return false
	}
	s.faultMu.Lock()
	hit := s.rng.Float64() < rate
	s.faultMu.Unlock()
	if hit {
		s.countFault(fault)
	}
	return hit
}

// randN is the seeded RNG's Int63n under the lock; n must be > 0.
func (s *Sandbox) randN(n int64) int64 {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.rng.Int63n(n)
}

func (s *Sandbox) shuffle(n int, swap func(i, j int)) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.rng.Shuffle(n, swap)
}

// Stats counts what the sandbox saw and did.
type Stats struct {
	Creates           int            `json:"creates"`            // payouts created
	IdempotentRepeats int            `json:"idempotent_repeats"` // creates answered with an existing payout
	Calls             map[string]int `json:"calls"`              // /v1 requests by path, faulted ones included
	Rejected          int            `json:"rejected"`           // 401 and 422 answers
	// WebhooksSent counts HTTP attempts (retries and duplicates included);
	// WebhooksDelivered the attempts answered 2xx.
	WebhooksSent       int                        `json:"webhooks_sent"`
	WebhooksDelivered  int                        `json:"webhooks_delivered"`
	WebhooksDropped    int                        `json:"webhooks_dropped"`
	WebhooksDuplicated int                        `json:"webhooks_duplicated"`
	FaultsInjected     map[string]int             `json:"faults_injected"`
	Payouts            int                        `json:"payouts"`
	Balances           map[string]decimal.Decimal `json:"balances"`
}

// Stats returns a snapshot of the counters and balances.
func (s *Sandbox) Stats() Stats {
	s.statsMu.Lock()
	st := s.stats
	st.Calls = maps.Clone(s.stats.Calls)
	st.FaultsInjected = maps.Clone(s.stats.FaultsInjected)
	s.statsMu.Unlock()
	s.mu.RLock()
	st.Payouts = len(s.ordered)
	st.Balances = maps.Clone(s.balances)
	s.mu.RUnlock()
	return st
}

func (s *Sandbox) count(f func(st *Stats)) {
	s.statsMu.Lock()
	f(&s.stats)
	s.statsMu.Unlock()
}

func (s *Sandbox) countFault(name string) {
	s.count(func(st *Stats) { st.FaultsInjected[name]++ })
}
