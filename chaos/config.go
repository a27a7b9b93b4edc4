// Package chaos runs payouts through the deployed product (the Temporal
// dev server, PostgreSQL, the Heleket sandbox, `payouts api` and `payouts
// worker` as child processes) while injecting faults: workers killed, also
// right after Heleket applied a create, the API restarted, Postgres
// connections cut, Heleket answering 5xx, 429, late or never, and webhooks
// dropped, duplicated, delayed and reordered. Afterwards it checks that
// every payout is final, made exactly once at Heleket, paid from the
// balance exactly once, audited once per status change, and that
// reconciliation finds nothing amiss. The test itself is chaos_test.go
// (build tag chaos; `make chaos`).
package chaos

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config of one chaos run, from the environment.
type Config struct {
	Payouts     int           // CHAOS_PAYOUTS, default 200
	Campaign    int           // CHAOS_CAMPAIGN_ROWS: rows of the campaign posted during the load, default 40 (0: none)
	Seed        int64         // CHAOS_SEED, default random (and printed)
	Concurrency int           // CHAOS_CONCURRENCY, requests in flight, default 8
	MinChaos    time.Duration // CHAOS_MIN_DURATION: faults last at least this long, default 45s
	Tail        time.Duration // CHAOS_TAIL: and this long after the last payout was accepted, default 15s
	// FinalShare: faults also last until this share of the payouts is
	// final (CHAOS_FINAL_SHARE, default 0.8), so a large run is not mostly
	// settled after the faults stop; MaxChaos bounds that wait, so a
	// product that stops making progress fails in bounded time
	// (CHAOS_MAX_DURATION, default 5m plus half a second per payout).
	FinalShare float64
	MaxChaos   time.Duration
	Settle     time.Duration // CHAOS_SETTLE_TIMEOUT: bound on waiting for final statuses, default 10m
	Bin        string        // CHAOS_BIN: a built cmd/payouts; built by the test when empty
	LogDir     string        // CHAOS_LOG_DIR: children's logs; a temporary directory when empty
}

// ConfigFromEnv reads the CHAOS_* variables.
func ConfigFromEnv() (Config, error) {
	c := Config{Payouts: 200, Campaign: 40, Concurrency: 8, MinChaos: 45 * time.Second, Tail: 15 * time.Second,
		FinalShare: 0.8, Settle: 10 * time.Minute,
		Bin: os.Getenv("CHAOS_BIN"), LogDir: os.Getenv("CHAOS_LOG_DIR")}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥1.24)
	c.Seed = int64(binary.LittleEndian.Uint64(b[:]) % 1_000_000_000)
	ints := []struct {
		name string
		dst  *int
	}{{"CHAOS_PAYOUTS", &c.Payouts}, {"CHAOS_CONCURRENCY", &c.Concurrency},
		{"CHAOS_CAMPAIGN_ROWS", &c.Campaign}}
	for _, v := range ints {
		if err := envInt(v.name, v.dst); err != nil {
			return Config{}, err
		}
	}
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Config{}, fmt.Errorf("CHAOS_SEED: %w", err)
		}
		c.Seed = seed
	}
	c.MaxChaos = 5*time.Minute + time.Duration(c.Payouts)*500*time.Millisecond
	durations := []struct {
		name string
		dst  *time.Duration
	}{{"CHAOS_MIN_DURATION", &c.MinChaos}, {"CHAOS_TAIL", &c.Tail}, {"CHAOS_MAX_DURATION", &c.MaxChaos},
		{"CHAOS_SETTLE_TIMEOUT", &c.Settle}}
	for _, v := range durations {
		if err := envDuration(v.name, v.dst); err != nil {
			return Config{}, err
		}
	}
	if s := os.Getenv("CHAOS_FINAL_SHARE"); s != "" {
		share, err := strconv.ParseFloat(s, 64)
		if err != nil || share < 0 || share > 1 {
			return Config{}, fmt.Errorf("CHAOS_FINAL_SHARE: want a number in [0,1], got %q", s)
		}
		c.FinalShare = share
	}
	if c.Payouts <= 0 || c.Concurrency <= 0 || c.Campaign < 0 {
		return Config{}, fmt.Errorf("CHAOS_PAYOUTS and CHAOS_CONCURRENCY must be positive, CHAOS_CAMPAIGN_ROWS not negative")
	}
	return c, nil
}

func envInt(name string, dst *int) error {
	s := os.Getenv(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	*dst = n
	return nil
}

func envDuration(name string, dst *time.Duration) error {
	s := os.Getenv(name)
	if s == "" {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	*dst = d
	return nil
}
