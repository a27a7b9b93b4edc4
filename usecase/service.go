// Package usecase is the application layer: the use cases the HTTP API
// (and any other entry point) calls: create a payout, a campaign or a
// schedule, decide, ingest a webhook, reconcile. Every payout they make or
// start passes the one payout gate (package gate). Reads may go straight
// to the store; everything that touches Temporal is here or below.
package usecase

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/starter"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// Deps is what the service is made of. It is the one composition root:
// the binary, the tests and the benchmark all build the service with New.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
	// DataConverter is the Temporal client's (with the payload codec when
	// on); nil is the SDK's default.
	DataConverter converter.DataConverter
	TaskQueue     string
	Timing        workflows.Timing
	Policy        gate.Policy // its Installation is read from the store
	// Reconcile: how often the schedule runs and when a silent run is
	// presumed dead; ScheduleID and ManualID override the production
	// workflow IDs (tests sharing a namespace).
	ReconcileEvery    time.Duration
	ReconcileLeaseTTL time.Duration
	ReconcileIDs      struct{ Schedule, Manual string }
	Logger            *slog.Logger
	// BatchPageSize is the rows per page of the campaign workflows this
	// service starts (BATCH_PAGE_SIZE); 0 is the workflow's default.
	BatchPageSize int
	// Fees quotes payouts (Heleket's calc); nil refuses quotes.
	Fees FeeCalculator
	// AllowHTTPEventEndpoints lets event endpoints use plain http to any
	// host (EVENT_ENDPOINTS_ALLOW_HTTP); otherwise only to loopback.
	AllowHTTPEventEndpoints bool
}

// Service holds the use cases.
type Service struct {
	store    *store.Store
	temporal client.Client
	gate     *gate.Gate
	starter  *starter.Starter
	recon    *starter.Reconciliation
	log      *slog.Logger
	// batchPageSize goes into every campaign workflow's input.
	batchPageSize int
	fees          FeeCalculator
	// allowHTTPEvents: see Deps.AllowHTTPEventEndpoints.
	allowHTTPEvents bool
}

// New builds the service; it reads the installation's identity from the
// database, so payout IDs are this installation's.
func New(ctx context.Context, d Deps) (*Service, error) {
	inst, err := d.Store.Installation(ctx)
	if err != nil {
		return nil, fmt.Errorf("usecase: %w", err)
	}
	d.Policy.Installation = inst.ID
	g := &gate.Gate{Policy: d.Policy, Wallets: d.Store, Payouts: d.Store}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{
		store: d.Store, temporal: d.Temporal, gate: g, log: log, batchPageSize: d.BatchPageSize, allowHTTPEvents: d.AllowHTTPEventEndpoints,
		fees: d.Fees,
		starter: &starter.Starter{Client: d.Temporal, TaskQueue: d.TaskQueue, Timing: d.Timing,
			Installation: inst.ID, LegacyBefore: inst.CreatedAt, DataConverter: d.DataConverter, Gate: g},
		recon: &starter.Reconciliation{Client: d.Temporal, Store: d.Store, TaskQueue: d.TaskQueue,
			Every: d.ReconcileEvery, LeaseTTL: d.ReconcileLeaseTTL,
			ScheduleID: d.ReconcileIDs.Schedule, ManualID: d.ReconcileIDs.Manual},
	}, nil
}

// Gate is the payout gate the worker's activities make scheduled payouts
// through.
func (s *Service) Gate() *gate.Gate { return s.gate }

// Workflows reaches payout workflows from outside, for reconciliation:
// its restarts pass the gate too.
func (s *Service) Workflows() *starter.Starter { return s.starter }

// Reconciliation starts reconciliation runs and keeps its schedule.
func (s *Service) Reconciliation() *starter.Reconciliation { return s.recon }

// Installation is this database's installation ID.
func (s *Service) Installation() string { return s.gate.Policy.Installation }

// Ready checks what a payout cannot move without: Postgres and Temporal.
func (s *Service) Ready(ctx context.Context) map[string]error {
	checks := map[string]error{"postgres": s.store.Ping(ctx)}
	_, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	checks["temporal"] = err
	return checks
}
