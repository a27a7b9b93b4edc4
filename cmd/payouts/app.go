package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/console"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/outbound/dispatch"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/tracing"
	"github.com/heleket-payouts/payouts/tracing/temporaltrace"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/workflows"
)

func newLogger(cfg config.Config) *slog.Logger { return opsLogger(cfg) }

// dialTemporal connects to Temporal.
func dialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger, tr *tracing.Tracing) (client.Client, error) {
	opts, err := temporalOptions(cfg, log, tr)
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// temporalOptions are every Temporal client's. With tracing on, the
// client traces the workflows it starts and the workers built on it trace
// what they run.
func temporalOptions(cfg config.Config, log *slog.Logger, tr *tracing.Tracing) (client.Options, error) {
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(log.With("component", "temporal-sdk")),
	}
	if err := withOpsClientOptions(&opts, cfg); err != nil {
		return client.Options{}, err
	}
	interceptors, err := temporaltrace.Interceptors(tr)
	if err != nil {
		return client.Options{}, err
	}
	opts.Interceptors = interceptors
	return opts, nil
}

// openServices opens what every long-running command needs: Postgres and
// Temporal. closeAll releases both.
func openServices(ctx context.Context, cfg config.Config, log *slog.Logger, tr *tracing.Tracing) (*store.Store, client.Client, func(), error) {
	st, err := store.Open(ctx, cfg.DatabaseURL, poolSize(cfg))
	if err != nil {
		return nil, nil, nil, err
	}
	tc, err := dialTemporal(ctx, cfg, log, tr)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, tc, func() { tc.Close(); st.Close() }, nil
}

// poolSize applies DATABASE_MAX_CONNS, so a deployment can hold the api's
// and the worker's pools to its PostgreSQL connection budget.
func poolSize(cfg config.Config) func(*pgxpool.Config) {
	return func(c *pgxpool.Config) {
		if cfg.DatabaseMaxConns > 0 {
			c.MaxConns = int32(cfg.DatabaseMaxConns)
		}
	}
}

func timingOf(cfg config.Config) workflows.Timing {
	return workflows.Timing{WebhookWait: cfg.WebhookWait, PollInitial: cfg.PollInitial, PollMax: cfg.PollMax,
		ApprovalTimeout: cfg.ApprovalTimeout}
}

// newService is the composition root: the use cases, the payout gate and
// the starter, from the configuration. The API and the worker (and the
// tests and the benchmark, through usecase.New) are built on it.
func newService(cfg config.Config, st *store.Store, tc client.Client, log *slog.Logger) (*usecase.Service, error) {
	limits, err := cfg.Limits()
	if err != nil {
		return nil, err
	}
	thresholds, err := cfg.Thresholds()
	if err != nil {
		return nil, err
	}
	controls, err := config.LoadControls()
	if err != nil {
		return nil, err
	}
	if controls.NewAddressPolicy != gate.NewAddressAllow && controls.WalletChangeCooldown == 0 {
		log.Warn("NEW_ADDRESS_POLICY holds or refuses new addresses, but WALLET_CHANGE_COOLDOWN is 0: an initiator can add " +
			"an address as a wallet and pay it at once; set a cooldown so a new wallet needs a second admin too")
	}
	policy := gate.Policy{Limits: limits, ApprovalThresholds: thresholds, FeeFromBalance: cfg.FeeFromBalance,
		ClientDailyLimits: controls.ClientDailyLimits, DailyOutflowLimits: controls.DailyOutflowLimits,
		NewAddressPolicy: controls.NewAddressPolicy, WalletCooldown: controls.WalletChangeCooldown,
		Denylist: gate.NewDenylist(controls.Denylist)}
	funds, err := config.LoadFunds()
	if err != nil {
		return nil, err
	}
	timing := timingOf(cfg)
	timing.FundsWait = funds.FundsWait
	d := usecase.Deps{Store: st, Temporal: tc, TaskQueue: cfg.TemporalTaskQueue, Timing: timing,
		Policy:         policy,
		ReconcileEvery: cfg.ReconcileEvery, ReconcileLeaseTTL: activities.DefaultLeaseTTL, Logger: log,
		BatchPageSize: cfg.BatchPageSize, AllowHTTPEventEndpoints: cfg.EventEndpointsAllowHTTP}
	// The API's fee quotes call Heleket's calc (the worker's client is its
	// own); without a Heleket URL the API still serves, and quotes say why not.
	if cfg.HeleketProjectURL != "" {
		if d.Fees, err = heleket.New(heleket.Config{
			BaseURL: cfg.HeleketProjectURL, MerchantID: cfg.HeleketMerchantID, APIKey: cfg.HeleketAPIKey,
			HTTPClient: metrics.HeleketHTTPClient(),
		}); err != nil {
			return nil, fmt.Errorf("heleket client: %w", err)
		}
	}
	c, err := cfg.Codec()
	if err != nil {
		return nil, err
	}
	if c != nil {
		d.DataConverter = c.DataConverter()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return usecase.New(ctx, d)
}

// newAPI builds the HTTP handler from the configuration.
func newAPI(cfg config.Config, st *store.Store, tc client.Client, log *slog.Logger, tr *tracing.Tracing) (http.Handler, error) {
	tokens, err := cfg.AdminTokenSet()
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		log.Warn("ADMIN_TOKENS and ADMIN_TOKENS_FILE are empty: every admin route will answer 401")
	}
	for _, t := range tokens {
		if t.Credential().Expired(time.Now()) {
			log.Warn("admin token expired: its requests answer 401", "admin", t.Name, "source", t.Source, "expired_at", t.Expires)
		}
	}
	guard, err := webhookGuard(cfg)
	if err != nil {
		return nil, err
	}
	svc, err := newService(cfg, st, tc, log)
	if err != nil {
		return nil, err
	}
	alerts, err := alert.New(cfg.AlertWebhookURL, alert.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	proxies, err := cfg.Proxies()
	if err != nil {
		return nil, err
	}
	con, err := console.New(console.Deps{Service: svc, Store: st, AdminTokens: config.Credentials(tokens),
		TemporalUIURL: cfg.UIURL(), Namespace: cfg.TemporalNamespace, TrustedProxies: proxies,
		SessionTTL: cfg.ConsoleSessionTTL, Logger: log})
	if err != nil {
		return nil, err
	}
	api := httpapi.New(httpapi.Deps{
		Service: svc, Store: st, AdminTokens: config.Credentials(tokens),
		HeleketAPIKey: cfg.HeleketAPIKey, WebhookSecret: cfg.HeleketWebhookSecret,
		WebhookGuard: guard, Alerter: alerts, Logger: log, Tracing: tr, Console: con,
	})
	return withOps(cfg, api, tokens)
}

// newWorker builds the Temporal worker from the configuration.
func newWorker(cfg config.Config, st *store.Store, tc client.Client, log *slog.Logger, tr *tracing.Tracing) (worker.Worker, error) {
	hc, err := heleket.New(heleket.Config{
		BaseURL: cfg.HeleketProjectURL, MerchantID: cfg.HeleketMerchantID, APIKey: cfg.HeleketAPIKey,
		HTTPClient: tr.HTTPClient(metrics.HeleketHTTPClient()),
	})
	if err != nil {
		return nil, fmt.Errorf("heleket client: %w", err)
	}
	svc, err := newService(cfg, st, tc, log)
	if err != nil {
		return nil, err
	}
	rec, err := newReconciler(cfg, st, svc, hc, log)
	if err != nil {
		return nil, err
	}
	acts := &activities.Activities{Store: st, Heleket: hc, CallbackURL: cfg.CallbackURL(), Logger: log, Schedules: st,
		Gate: svc.Gate(), Batches: st, Starter: svc.Workflows(), Alerts: rec.Alerts, Funds: hc}
	w := payoutworker.New(tc, cfg.TemporalTaskQueue, acts, worker.Options{})
	payoutworker.RegisterReconciliation(w, rec)
	funds, err := config.LoadFunds()
	if err != nil {
		return nil, err
	}
	watch := &activities.BalanceWatch{Funds: hc, Outbox: st, Logger: log, Thresholds: funds.LowBalanceAlerts,
		Every: funds.BalanceEvery}
	events := payoutworker.NewEvents(tc, cfg.TemporalTaskQueue,
		&activities.Events{Store: st, HTTP: activities.NewEventClient(cfg.EventDeliveryTimeout), Window: cfg.EventDeliveryWindow},
		dispatch.Dispatcher{Store: st, Every: cfg.EventDispatchInterval, RetryInitial: cfg.EventRetryInitial,
			RetryMax: cfg.EventRetryMax, Logger: log.With("component", "events")},
		cfg.EventDeliveryConcurrent)
	backlog := &activities.BacklogWatch{Store: st, StuckAfter: cfg.StuckAfter, Logger: log}
	return &watchingWorker{Worker: w, watch: watch, backlog: backlog, events: events}, nil
}

// watchingWorker runs the balance and backlog watches while the worker
// runs: each worker process refreshes the gauges of its own /metrics
// (activities.BalanceWatch, activities.BacklogWatch).
type watchingWorker struct {
	worker.Worker
	watch   *activities.BalanceWatch
	backlog *activities.BacklogWatch
	events  *payoutworker.Events
	stop    context.CancelFunc
}

func (w *watchingWorker) Start() error {
	if err := w.Worker.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := w.events.Start(); err != nil {
		w.Worker.Stop()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	go w.watch.Run(ctx)
	go w.backlog.Run(ctx)
	return nil
}

func (w *watchingWorker) Stop() {
	if w.stop != nil {
		w.stop()
	}
	w.events.Stop()
	w.Worker.Stop()
}

// serveHTTP serves until ctx ends, then drains in-flight requests.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("HTTP server listening", "addr", addr)
	select {
	case err := <-errc:
		return fmt.Errorf("serve HTTP on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down HTTP server: %w", err)
	}
	return nil
}
