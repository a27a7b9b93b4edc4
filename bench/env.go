// Package bench measures the payout path against the engine's own ceiling,
// side by side in one run on one machine: the figures that matter are the
// ratio and the per-payout costs, which do not depend on the machine's
// speed the way absolute times do.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/workflows"
)

const (
	benchMerchant   = "00000000-0000-4000-8000-0000000bench"
	benchKey        = "bench-payout-key-0000000000000000"
	benchToken      = "bench-admin-token-00000000000000"
	productQueue    = "bench-payouts"
	ceilingQueue    = "bench-ceiling"
	benchAdminName  = "bench"
	webhookWaitBase = 10 * time.Minute // a late webhook would show as a poll
)

// env is everything one benchmark run starts, and stops.
type env struct {
	temporal *devtemporal.Server // nil on a Temporal of Options.TemporalAddress
	pg       *devtemporal.Postgres
	dropDB   func(context.Context) error
	sandbox  *sandbox.Sandbox
	store    *store.Store
	sql      *sqlCounter
	client   client.Client
	workers  []worker.Worker
	api      *http.Server
	apiURL   string
	// users is the admins' HTTP client. It keeps a connection per request
	// in flight: Go's default keeps two, and the connections it would
	// reopen are a cost of the load generator, not of the product.
	users *http.Client
	// receiver takes the outbound events (Options.Events), nil without.
	receiver *receiver
}

func start(ctx context.Context, o Options) (*env, error) {
	e := &env{sql: &sqlCounter{}, users: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency}}}
	steps := []func(context.Context, Options) error{e.startTemporal, e.startDatabase, e.startSandbox, e.startWorkers, e.startAPI, e.startEvents}
	for _, step := range steps {
		if err := step(ctx, o); err != nil {
			return nil, errors.Join(err, e.close())
		}
	}
	return e, nil
}

// startTemporal starts the dev server in the shape o.Temporal names, or
// connects to the server at o.TemporalAddress.
func (e *env) startTemporal(ctx context.Context, o Options) error {
	hostPort := o.TemporalAddress
	if hostPort == "" {
		var opts devtemporal.Options
		switch o.Temporal {
		case "", TemporalDev:
		case TemporalPostgres:
			// Databases of the run's own, dropped at its end.
			e.pg = &devtemporal.Postgres{DSN: o.DatabaseURL, Database: devtemporal.ThrowawayDatabase("payouts_bench"),
				Shards: o.TemporalShards}
			opts.Postgres = e.pg
		default:
			return fmt.Errorf("bench: unknown Temporal shape %q: want %s or %s", o.Temporal, TemporalDev, TemporalPostgres)
		}
		srv, err := devtemporal.Start(ctx, opts)
		if err != nil {
			return fmt.Errorf("start Temporal dev server: %w", err)
		}
		e.temporal = srv
		hostPort = srv.HostPort()
	}
	c, err := client.DialContext(ctx, benchClientOptions(hostPort, o.TemporalNamespace))
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", hostPort, err)
	}
	e.client = c
	return nil
}

// cpuMeter measures the processes of this run that are on this machine.
func (e *env) cpuMeter() cpuMeter {
	var m cpuMeter
	if e.temporal != nil {
		m.devServerPID = e.temporal.PID()
	}
	if e.pg != nil {
		m.temporalDBs = &pgBackends{dsn: e.pg.DSN, databases: []string{e.pg.Database, e.pg.VisibilityDatabase()}}
	}
	return m
}

func (e *env) startDatabase(ctx context.Context, o Options) error {
	dsn, drop, err := testdb.Create(ctx, o.DatabaseURL)
	if err != nil {
		return fmt.Errorf("create benchmark database (is PostgreSQL running? pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): %w", err)
	}
	e.dropDB = drop
	e.store, err = store.Open(ctx, dsn, func(c *pgxpool.Config) {
		c.ConnConfig.Tracer = e.sql
		c.MaxConns = int32(max(8, o.Concurrency))
	})
	return err
}

func (e *env) startSandbox(context.Context, Options) error {
	e.sandbox = sandbox.New(sandbox.Config{MerchantID: benchMerchant, APIKey: benchKey, SettleAfter: 0,
		Balances: map[string]decimal.Decimal{"USDT": decimal.New(1, 12)}, WebhookRetry: 100 * time.Millisecond})
	return e.sandbox.Start("127.0.0.1:0")
}

func (e *env) startWorkers(_ context.Context, o Options) error {
	hc, err := heleket.New(heleket.Config{BaseURL: e.sandbox.URL(), MerchantID: benchMerchant, APIKey: benchKey})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.apiURL = "http://" + listener.Addr().String()
	e.api = &http.Server{Handler: nil, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.api.Serve(listener) }() // Serve ends with ErrServerClosed at close
	acts := &activities.Activities{Store: e.store, Heleket: hc, CallbackURL: e.apiURL + "/payouts/webhook"}
	opts := worker.Options{}
	product := payoutworker.New(e.client, productQueue, acts, opts)
	ceiling := worker.New(e.client, ceilingQueue, opts)
	ceiling.RegisterWorkflowWithOptions(CeilingWorkflow, workflow.RegisterOptions{Name: "Ceiling"})
	ceiling.RegisterActivity(Noop)
	ceiling.RegisterActivity(NoopLocal)
	for _, w := range []worker.Worker{product, ceiling} {
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		e.workers = append(e.workers, w)
	}
	return nil
}

func (e *env) startAPI(ctx context.Context, _ Options) error {
	svc, err := usecase.New(ctx, usecase.Deps{Store: e.store, Temporal: e.client, TaskQueue: productQueue,
		Timing: workflows.Timing{WebhookWait: webhookWaitBase, PollInitial: time.Second, PollMax: time.Minute},
		Policy: gate.Policy{FeeFromBalance: true}, Logger: quiet()})
	if err != nil {
		return err
	}
	e.api.Handler = httpapi.New(httpapi.Deps{Service: svc, Store: e.store, HeleketAPIKey: benchKey,
		AdminTokens: []access.Credential{access.NewCredential(benchAdminName, benchToken, nil, time.Time{})}, Logger: quiet()})
	return nil
}

func (e *env) close() error {
	var errs []error
	if e.api != nil {
		errs = append(errs, e.api.Close())
	}
	e.users.CloseIdleConnections()
	if e.receiver != nil {
		errs = append(errs, e.receiver.close()) // hanging posts end, so the workers can stop
	}
	for _, w := range e.workers {
		w.Stop()
	}
	if e.client != nil {
		e.client.Close()
	}
	if e.store != nil {
		e.store.Close()
	}
	if e.sandbox != nil {
		errs = append(errs, e.sandbox.Close())
	}
	if e.dropDB != nil {
		errs = append(errs, e.dropDB(context.Background()))
	}
	if e.temporal != nil {
		errs = append(errs, e.temporal.Stop())
	}
	if e.pg != nil {
		errs = append(errs, e.pg.Drop(context.Background()))
	}
	return errors.Join(errs...)
}

// benchClientOptions are the Temporal client's options for both phases:
// uncompressed, as the product's TEMPORAL_GRPC_COMPRESSION default. An
// empty namespace is "default".
func benchClientOptions(hostPort, namespace string) client.Options {
	return client.Options{HostPort: hostPort, Namespace: namespace, Logger: tlog.NewStructuredLogger(quiet()),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: &client.GrpcCompressionNone{}}}
}

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}
