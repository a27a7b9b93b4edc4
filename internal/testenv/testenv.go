// Package testenv assembles the real product for integration tests: the
// Temporal dev server (one per test binary), a fresh Postgres database, the
// Heleket sandbox over real HTTP, the worker and the HTTP API.
package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/codec"
	"github.com/heleket-payouts/payouts/console"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/outbound/dispatch"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/starter"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/tracing"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/workflows"
)

const (
	MerchantID = "11111111-2222-4333-8444-555555555555"
	APIKey     = "sandbox-payout-key-for-tests"
	AdminToken = "test-admin-token-0123456789"
	AdminName  = "alice"
	// SecondAdmin is another admin, for four-eyes approval.
	SecondAdmin      = "bob"
	SecondAdminToken = AdminToken + "-bob"
)

var temporalAddr string

// Main starts the dev server for the test binary and stops it afterwards.
// Integration test packages call it from TestMain.
func Main(m *testing.M) { run(m, devtemporal.Options{Stderr: os.Stderr}) }

// MainWithUI is Main with the dev server's Web UI on a free port (UIURL),
// for tests that look at what an operator sees.
func MainWithUI(m *testing.M) { run(m, devtemporal.Options{Stderr: os.Stderr, UIPort: -1}) }

// UIURL is the Web UI's base URL under MainWithUI.
func UIURL() string { return uiURL }

var uiURL string

func run(m *testing.M, opts devtemporal.Options) {
	// In postgres mode the test binary's Temporal databases have a name of
	// their own, so test binaries running in parallel never share them.
	pg, err := devtemporal.PostgresFromEnv(testdb.BaseDSN(), devtemporal.ThrowawayDatabase("payouts_test"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	opts.Postgres = pg
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	srv, err := devtemporal.Start(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration tests need the Temporal dev server, built from ./devserver: %v\n", err)
		dropTemporalDatabases(pg)
		os.Exit(1)
	}
	temporalAddr, uiURL = srv.HostPort(), srv.UIURL()
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	dropTemporalDatabases(pg)
	os.Exit(code)
}

func dropTemporalDatabases(pg *devtemporal.Postgres) {
	if pg == nil {
		return
	}
	if err := pg.Drop(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// Options tune one environment.
type Options struct {
	Timing      workflows.Timing
	SettleAfter time.Duration
	// NoWorker leaves the worker out, for tests that start it themselves.
	NoWorker bool
	// Codec encrypts payloads in the environment's clients and serves the
	// codec on the API (see ops.go).
	Codec *codec.Codec
	// Logs, when set, receives the service's logs as production writes
	// them (masked JSON), at debug level.
	Logs io.Writer
	// ApprovalThresholds turns on four-eyes approval for these assets.
	ApprovalThresholds map[string]decimal.Decimal
	// Controls are the money controls beyond approval (caps, destination
	// rules, denylist), as the gate's policy takes them.
	Controls gate.Policy
	// Reconcile tunes reconciliation; AlertWebhookURL turns alerts on.
	Reconcile       activities.ReconcileSettings
	AlertWebhookURL string
	// WebhookGuard sets the webhook route's allow-list and rate limit
	// (none by default).
	WebhookGuard httpapi.WebhookGuard
	// TemporalAddress is a Temporal frontend of the test's own, instead of
	// the test binary's dev server (testenv.Main then need not run).
	TemporalAddress string
	// AdminTokens are credentials besides AdminName's and SecondAdmin's
	// (which have every role): tokens with given roles or an expiry, e.g.
	// from config.ParseAdminTokens or an admin tokens file.
	AdminTokens []access.Credential
	// Events tunes the outbound events' worker (fast defaults for tests).
	Events EventSettings
	// Tracing traces the API, the Temporal client and worker, and the
	// Heleket client, as production does with OTEL_EXPORTER_OTLP_ENDPOINT
	// set: tests give it an in-memory exporter (tracing.New).
	Tracing *tracing.Tracing
	// WrapHeleket wraps the Heleket client's transport (inside the
	// tracing, outside the metrics), for tests that look at what is sent.
	WrapHeleket func(http.RoundTripper) http.RoundTripper
}

// EventSettings are the outbound events' knobs (EVENT_* in production).
type EventSettings struct {
	DispatchEvery, RetryInitial, RetryMax, Timeout, Window time.Duration
	// MaxPerRun makes stream workflows continue as new sooner.
	MaxPerRun int
	// Off leaves the events worker out of StartWorker: events wait in
	// the outbox until a test starts one (StartEventsWorkerWith).
	Off bool
}

// Env is one running product.
type Env struct {
	log          *slog.Logger
	temporalAddr string
	T            *testing.T
	DSN          string
	Store        *store.Store
	Temporal     client.Client
	Sandbox      *sandbox.Sandbox
	Heleket      *heleket.Client
	API          *httptest.Server
	TaskQueue    string
	Starter      *starter.Starter
	// Service is the application layer, built with usecase.New as the
	// binary builds it.
	Service *usecase.Service
	// Installation is the database's installation ID, from which payout
	// IDs derive.
	Installation string
	Acts         *activities.Activities
	Worker       worker.Worker
	// HTTP checks every exchange against httpapi/openapi.yaml; Do uses it.
	HTTP *http.Client
	// Rec and Reconciliation run reconciliation on this environment's own
	// schedule and manual workflow IDs.
	Rec            *activities.Reconciler
	Reconciliation *starter.Reconciliation
	// Events is the outbound events' worker and dispatcher, started with
	// Worker.
	Events *payoutworker.Events
	opts   Options
}

// envs numbers the environments of this process.
var envs atomic.Int64

// New builds an environment whose parts are all stopped at test cleanup.
func New(t *testing.T, opts Options) *Env {
	t.Helper()
	if opts.TemporalAddress == "" {
		require.NotEmpty(t, temporalAddr, "testenv.Main must run from TestMain")
		opts.TemporalAddress = temporalAddr
	}
	e := &Env{T: t, DSN: testdb.New(t), HTTP: checkedClient(t), temporalAddr: opts.TemporalAddress, opts: opts}
	var err error
	e.Store, err = store.Open(context.Background(), e.DSN)
	require.NoError(t, err)
	t.Cleanup(e.Store.Close)

	e.startSandbox(opts)
	e.log = opts.logger()
	e.Temporal, err = client.Dial(clientOptions(e.T, opts, e.log))
	require.NoError(t, err)
	t.Cleanup(e.Temporal.Close)

	sum := sha256.Sum256([]byte(t.Name()))
	// Two environments of one test are two installations: each has its
	// own queue, as two deployments sharing a namespace must.
	e.TaskQueue = fmt.Sprintf("payouts-%s-%d", hex.EncodeToString(sum[:6]), envs.Add(1))
	e.Service = e.newService(opts)
	e.Installation, e.Starter, e.Reconciliation = e.Service.Installation(), e.Service.Workflows(), e.Service.Reconciliation()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e.Acts = &activities.Activities{Store: e.Store, Heleket: e.Heleket, Funds: e.Heleket, Schedules: e.Store, Gate: e.Service.Gate(),
		Batches: e.Store, Starter: e.Service.Workflows(),
		CallbackURL: "http://" + listener.Addr().String() + "/payouts/webhook"}
	e.setupReconciliation(opts)
	e.Acts.Logger, e.Acts.Alerts = e.log, e.Rec.Alerts
	tokens := append([]access.Credential{access.NewCredential(AdminName, AdminToken, nil, time.Time{}),
		access.NewCredential(SecondAdmin, SecondAdminToken, nil, time.Time{})}, opts.AdminTokens...)
	con, err := console.New(console.Deps{Service: e.Service, Store: e.Store, AdminTokens: tokens,
		TemporalUIURL: uiURL, Namespace: "default", Logger: e.log})
	require.NoError(t, err)
	e.API = httptest.NewUnstartedServer(withOps(opts, httpapi.New(httpapi.Deps{
		Service: e.Service, Store: e.Store, AdminTokens: tokens,
		HeleketAPIKey: APIKey,
		WebhookGuard:  opts.WebhookGuard, Logger: e.log, Tracing: opts.Tracing, Console: con,
	})))
	e.API.Listener.Close()
	e.API.Listener = listener
	e.API.Start()
	t.Cleanup(e.API.Close)
	if !opts.NoWorker {
		e.StartWorker()
	}
	return e
}

func (e *Env) startSandbox(opts Options) {
	settle := opts.SettleAfter
	if settle == 0 {
		settle = 300 * time.Millisecond
	}
	e.Sandbox = sandbox.New(sandbox.Config{MerchantID: MerchantID, APIKey: APIKey, SettleAfter: settle, Seed: 1,
		WebhookRetry: 100 * time.Millisecond})
	require.NoError(e.T, e.Sandbox.Start("127.0.0.1:0"))
	e.T.Cleanup(func() { _ = e.Sandbox.Close() })
	hc := metrics.HeleketHTTPClient()
	if opts.WrapHeleket != nil {
		hc.Transport = opts.WrapHeleket(hc.Transport)
	}
	var err error
	e.Heleket, err = heleket.New(heleket.Config{BaseURL: e.Sandbox.URL(), MerchantID: MerchantID, APIKey: APIKey,
		HTTPClient: opts.Tracing.HTTPClient(hc)})
	require.NoError(e.T, err)
}

// newService builds the use cases on this environment, as production does
// (usecase.New), on the environment's own queue and reconciliation IDs.
func (e *Env) newService(opts Options) *usecase.Service {
	d := usecase.Deps{Store: e.Store, Temporal: e.Temporal, TaskQueue: e.TaskQueue, Timing: timingOr(opts.Timing),
		Policy: gate.Policy{ApprovalThresholds: opts.ApprovalThresholds, FeeFromBalance: true,
			ClientDailyLimits: opts.Controls.ClientDailyLimits, DailyOutflowLimits: opts.Controls.DailyOutflowLimits,
			NewAddressPolicy: opts.Controls.NewAddressPolicy, Denylist: opts.Controls.Denylist,
			WalletCooldown: opts.Controls.WalletCooldown},
		ReconcileEvery: reconcileEvery, ReconcileLeaseTTL: activities.DefaultLeaseTTL, Logger: e.log, Fees: e.Heleket}
	d.ReconcileIDs.Schedule = "payout-reconciliation-" + e.TaskQueue
	d.ReconcileIDs.Manual = "payout-reconciliation-manual-" + e.TaskQueue
	if opts.Codec != nil {
		d.DataConverter = opts.Codec.DataConverter()
	}
	svc, err := usecase.New(context.Background(), d)
	require.NoError(e.T, err)
	return svc
}

// StartWorker starts a worker on the environment's task queue.
func (e *Env) StartWorker() {
	e.Worker = payoutworker.New(e.Temporal, e.TaskQueue, e.Acts, worker.Options{})
	payoutworker.RegisterReconciliation(e.Worker, e.Rec)
	require.NoError(e.T, e.Worker.Start())
	e.T.Cleanup(e.Worker.Stop)
	if !e.opts.Events.Off {
		e.StartEventsWorker()
	}
}

// StartEventsWorker starts the outbound events' worker and dispatcher
// (StartWorker does) with the environment's settings.
func (e *Env) StartEventsWorker() { e.StartEventsWorkerWith(e.opts.Events) }

// StartEventsWorkerWith starts an events worker and dispatcher with other
// settings, as a replacement for a stopped e.Events.
func (e *Env) StartEventsWorkerWith(s EventSettings) {
	or := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	acts := &activities.Events{Store: e.Store, HTTP: activities.NewEventClient(or(s.Timeout, 2*time.Second)), Window: s.Window}
	ev := payoutworker.NewEvents(e.Temporal, e.TaskQueue, acts, dispatch.Dispatcher{Store: e.Store,
		Every: or(s.DispatchEvery, 100*time.Millisecond), RetryInitial: or(s.RetryInitial, 100*time.Millisecond),
		RetryMax: or(s.RetryMax, 500*time.Millisecond), MaxPerRun: s.MaxPerRun, Logger: e.log}, 5)
	require.NoError(e.T, ev.Start())
	e.Events = ev
	e.T.Cleanup(ev.Stop)
}

// StartCampaignWorker starts a worker that runs campaigns (the Batch
// workflow and its activities) and nothing else: the payouts it starts
// stay requested, for tests about starting, not paying.
func (e *Env) StartCampaignWorker() {
	w := worker.New(e.Temporal, e.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Batch, workflow.RegisterOptions{Name: workflows.BatchWorkflowName})
	w.RegisterActivity(e.Acts)
	require.NoError(e.T, w.Start())
	e.T.Cleanup(w.Stop)
}

func timingOr(t workflows.Timing) workflows.Timing {
	if t.WebhookWait == 0 {
		t = workflows.Timing{WebhookWait: time.Minute, PollInitial: 200 * time.Millisecond, PollMax: time.Second}
	}
	return t
}

// quietLogger logs errors only; TEST_LOG_LEVEL=debug shows everything.
func quietLogger() *slog.Logger {
	level := slog.LevelError
	if v := os.Getenv("TEST_LOG_LEVEL"); v != "" {
		_ = level.UnmarshalText([]byte(v)) // an unknown level keeps errors only
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// Do sends an admin request to the API.
func (e *Env) Do(method, path string, body []byte, headers map[string]string) *http.Response {
	e.T.Helper()
	req, err := http.NewRequest(method, e.API.URL+path, bytesReader(body))
	require.NoError(e.T, err)
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := e.HTTP.Do(req)
	require.NoError(e.T, err)
	return resp
}
