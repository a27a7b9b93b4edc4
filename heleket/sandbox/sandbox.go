// Package sandbox is an in-memory imitation of Heleket's payout API
// (contract: /work/shared/heleket-api.md, section 7). Tests, `make dev` and
// benchmarks run against it instead of the real gateway.
//
// It keeps a merchant balance per currency, validates requests the way
// Heleket's Laravel backend does, moves payouts process → (check) → final on
// timers, posts signed webhooks with retries, and injects faults (latency,
// 5xx, 429, timeouts, lost responses, dropped/duplicated/reordered webhooks)
// from a seeded RNG so chaos runs are reproducible.
//
// Choices where the real API is silent:
//   - an unknown payout on /v1/payout/info answers HTTP 422
//     {"state":1,"message":"Not found payout"} (a business refusal, as the
//     contract classifies 422 messages);
//   - create/info results omit order_id, created_at and updated_at, which the
//     contract lists only for list items;
//   - a `fail` is final here (the resend-through-support path is not imitated);
//   - txid is null in API answers until the payout is paid; webhooks leave it
//     out until then, as the docs do for failed payouts;
//   - an unknown route answers 404 {"state":1,"message":"Not found"} and a
//     known one with another method 405, both JSON;
//   - calc is served at /v1/payout/calc (the docs) and /v1/payout/calculate
//     (the official SDKs); Config.CalcPath keeps only one.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Development credentials the sandbox expects when Config leaves them empty.
// They are published on purpose: they only ever unlock the sandbox, and
// sharing them lets `make dev` wire the service and the sandbox without
// configuration.
const (
	DevMerchantID = "8a1f3c52-6d0e-4b7a-9c21-5e4d3b2a1f00"
	DevAPIKey     = "sandbox-dev-payout-key-0000000000000000"
)

const (
	defaultPageSize     = 15
	defaultWebhookRetry = time.Second
	maxWebhookRetry     = time.Minute
	webhookGiveUpAfter  = 2 * time.Hour
	maxTimeoutHang      = 30 * time.Second
	maxBodyBytes        = 1 << 20
)

// Config configures a Sandbox.
type Config struct {
	MerchantID, APIKey string                     // the merchant uuid and payout key it expects; empty = Dev* constants
	SettleAfter        time.Duration              // process -> final; 0 = settle immediately (still asynchronously)
	CheckAfter         time.Duration              // process -> check at this point; 0 = no check phase
	Balances           map[string]decimal.Decimal // initial balance per currency; nil = generous defaults
	Seed               int64                      // seeds the fault RNG
	PageSize           int                        // list page size, default 15
	WebhookRetry       time.Duration              // first webhook retry delay (doubles, capped at 1m), default 1s
	// CalcPath serves the calc endpoint at this path only (the docs'
	// heleket.PathCalc or the SDKs' heleket.PathCalculate); empty serves
	// both, so a client can be tested against a Heleket serving either.
	CalcPath string
	Logger   *slog.Logger // optional
}

// Sandbox is one imitated Heleket merchant account. All methods are safe for
// concurrent use.
type Sandbox struct {
	cfg Config
	log *slog.Logger
	now func() time.Time // replaced in tests to control created_at

	// mu guards the payout store, balances and progression. Lock order:
	// mu before whMu, faultMu and statsMu, which are leaves.
	mu          sync.RWMutex
	closed      bool
	byOrder     map[string]*record
	byUUID      map[string]*record
	ordered     []*record // strictly increasing createdAt, see nextCreatedAt
	balances    map[string]decimal.Decimal
	outcomes    map[string]string
	unavailable map[serviceKey]bool
	settleAfter time.Duration
	pending     map[*record]struct{} // records with a live progression timer

	faultMu sync.Mutex
	faults  Faults
	rng     *rand.Rand

	statsMu sync.Mutex
	stats   Stats

	whMu     sync.Mutex
	queues   map[string]*webhookQueue
	whClient *http.Client

	ctx    context.Context // cancelled by Close; stops deliveries and hung requests
	cancel context.CancelFunc
	wg     sync.WaitGroup // delivery goroutines

	srvMu sync.Mutex
	srv   *http.Server
	url   string
}

// New builds a sandbox; call Start to serve it or mount Handler yourself.
func New(cfg Config) *Sandbox {
	cfg = withDefaults(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sandbox{
		cfg:         cfg,
		log:         cfg.Logger,
		now:         time.Now,
		byOrder:     make(map[string]*record),
		byUUID:      make(map[string]*record),
		balances:    initialBalances(cfg.Balances),
		outcomes:    make(map[string]string),
		unavailable: defaultUnavailable(),
		settleAfter: cfg.SettleAfter,
		pending:     make(map[*record]struct{}),
		rng:         rand.New(rand.NewSource(cfg.Seed)),
		queues:      make(map[string]*webhookQueue),
		whClient:    &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		ctx:         ctx,
		cancel:      cancel,
	}
	s.stats.Calls = make(map[string]int)
	s.stats.FaultsInjected = make(map[string]int)
	return s
}

func withDefaults(cfg Config) Config {
	if cfg.MerchantID == "" {
		cfg.MerchantID = DevMerchantID
	}
	if cfg.APIKey == "" {
		cfg.APIKey = DevAPIKey
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = defaultPageSize
	}
	if cfg.WebhookRetry <= 0 {
		cfg.WebhookRetry = defaultWebhookRetry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// initialBalances copies the configured balances, or funds every currency
// of the service table generously so ad-hoc runs never hit the balance check.
func initialBalances(cfg map[string]decimal.Decimal) map[string]decimal.Decimal {
	out := make(map[string]decimal.Decimal)
	if cfg == nil {
		for _, svc := range serviceTable {
			out[svc.currency] = decimal.NewFromInt(1_000_000_000)
		}
		return out
	}
	for cur, amount := range cfg {
		out[normCurrency(cur)] = amount
	}
	return out
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the
// background until Close.
func (s *Sandbox) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.srvMu.Lock()
	s.srv = srv
	s.url = "http://" + ln.Addr().String()
	s.srvMu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox server stopped", "err", err)
		}
	}()
	s.log.Info("sandbox listening", "url", s.URL())
	return nil
}

// URL is the base URL after Start, e.g. "http://127.0.0.1:41234".
func (s *Sandbox) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.url
}

// Close stops the server, pending progression timers and webhook delivery.
// It is idempotent.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	for rec := range s.pending {
		rec.stopTimer()
	}
	clear(s.pending)
	s.mu.Unlock()
	if already {
		return nil
	}
	s.cancel()
	var err error
	s.srvMu.Lock()
	if s.srv != nil {
		// Close, not Shutdown: timeout faults hold requests open on purpose.
		err = s.srv.Close()
	}
	s.srvMu.Unlock()
	s.whMu.Lock() // serialises with startWorker so no goroutine is added after Wait begins
	s.whMu.Unlock()
	s.wg.Wait()
	s.whClient.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("sandbox: close server: %w", err)
	}
	return nil
}

func (s *Sandbox) isClosed() bool {
	return s.ctx.Err() != nil
}
