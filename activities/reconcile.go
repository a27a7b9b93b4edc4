package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

// ReconcileStore is the part of the store reconciliation uses.
type ReconcileStore interface {
	BeginRun(ctx context.Context, start store.RunStart, l store.Lease) (store.Run, error)
	ProgressRun(ctx context.Context, id string, phase reconcile.Phase, counts reconcile.Counts) error
	FinishRun(ctx context.Context, f reconcile.Finish) (store.Run, error)
	PayoutsByID(ctx context.Context, ids []string) (map[string]payout.Payout, error)
	OpenPayouts(ctx context.Context, createdBefore time.Time, afterID string, limit int) ([]payout.Payout, error)
	FailedSince(ctx context.Context, since time.Time, afterID string, limit int) ([]payout.Payout, error)
	Apply(ctx context.Context, c payout.Change) (payout.Payout, bool, error)
	SetNeedsAttention(ctx context.Context, id string, v bool, source payout.Source, reason string) error
	AddDiscrepancy(ctx context.Context, d store.Discrepancy) (store.Discrepancy, bool, error)
	MarkAlerted(ctx context.Context, id int64) error
	ResolveSettled(ctx context.Context) (int, error)
}

// ReconcileHeleket is the part of the Heleket client reconciliation uses.
type ReconcileHeleket interface {
	PayoutInfo(ctx context.Context, req heleket.InfoRequest) (heleket.Payout, error)
	ListPayouts(ctx context.Context, req heleket.ListRequest, cursor string) (heleket.ListPage, error)
}

// PayoutWorkflows reaches payout workflows from outside (starter.Starter).
// The bool results say whether a running workflow received the signal.
type PayoutWorkflows interface {
	Running(ctx context.Context, payoutID string) (bool, error)
	Resume(ctx context.Context, p payout.Payout) error
	SendUpdate(ctx context.Context, payoutID string, upd payout.HeleketUpdate) (bool, error)
	FlagAttention(ctx context.Context, payoutID, reason string) (bool, error)
}

// ReconcileSettings tune reconciliation; zero values take the defaults.
type ReconcileSettings struct {
	Overlap    time.Duration // RECONCILE_OVERLAP
	Lookback   time.Duration // RECONCILE_LOOKBACK
	StuckAfter time.Duration // PAYOUT_STUCK_AFTER
	// LeaseTTL: a running run silent for this long is presumed dead.
	LeaseTTL time.Duration
	// BatchTime and BatchSize bound one activity call, which keeps the
	// lease fresh and a retry cheap.
	BatchTime time.Duration
	BatchSize int
}

// Defaults of ReconcileSettings.
const (
	DefaultOverlap    = time.Hour
	DefaultLookback   = 72 * time.Hour
	DefaultStuckAfter = time.Hour
	DefaultLeaseTTL   = 10 * time.Minute
	DefaultBatchTime  = 20 * time.Second
	DefaultBatchSize  = 200
)

func (s ReconcileSettings) withDefaults() ReconcileSettings {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.Overlap, DefaultOverlap)
	def(&s.Lookback, DefaultLookback)
	def(&s.StuckAfter, DefaultStuckAfter)
	def(&s.LeaseTTL, DefaultLeaseTTL)
	def(&s.BatchTime, DefaultBatchTime)
	if s.BatchSize <= 0 {
		s.BatchSize = DefaultBatchSize
	}
	return s
}

// Reconciler holds the reconciliation activities; register a pointer to
// it next to Activities. Every activity is safe to retry: repairs go
// through guarded transitions, discrepancies are unique per kind and
// order_id, and progress is written as totals, not increments.
type Reconciler struct {
	Store     ReconcileStore
	Heleket   ReconcileHeleket
	Workflows PayoutWorkflows
	Alerts    Alerter // the alerts outbox; nil only in unit tests
	Settings  ReconcileSettings
	Logger    *slog.Logger
}

// Error types the reconcile workflow stops on instead of retrying.
const (
	ErrTypeLeaseLost   = "ReconcileLeaseLost"
	ErrTypeHeleketAuth = "HeleketAuth"
)

func (r *Reconciler) log() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}

func (r *Reconciler) settings() ReconcileSettings { return r.Settings.withDefaults() }

// ReconcileBegin takes the lease and fixes the run's window.
func (r *Reconciler) ReconcileBegin(ctx context.Context, b reconcile.Begin) (reconcile.Begun, error) {
	s := r.settings()
	start := store.RunStart{ID: b.RunID, Trigger: b.Trigger, WorkflowID: activity.GetInfo(ctx).WorkflowExecution.ID}
	run, err := r.Store.BeginRun(ctx, start, store.Lease{TTL: s.LeaseTTL, Overlap: s.Overlap, Lookback: s.Lookback})
	if err != nil {
		return reconcile.Begun{}, err
	}
	out := reconcile.Begun{RunID: run.ID, Status: run.Status, HeldBy: run.HeldBy}
	if run.WindowFrom != nil && run.WindowTo != nil {
		out.Window = reconcile.Window{From: *run.WindowFrom, To: *run.WindowTo}
	}
	if run.Status == reconcile.StatusSkipped {
		r.log().Info("reconciliation skipped: another run holds the lease", "run_id", run.ID, "held_by", run.HeldBy)
	}
	return out, nil
}

// ReconcileFinish resolves what the data now answers and closes the run.
func (r *Reconciler) ReconcileFinish(ctx context.Context, f reconcile.Finish) (reconcile.Counts, error) {
	if f.Status == reconcile.StatusSucceeded {
		n, err := r.Store.ResolveSettled(ctx)
		if err != nil {
			return f.Counts, err
		}
		f.Counts.Resolved = n
	}
	run, err := r.Store.FinishRun(ctx, f)
	if err != nil {
		return f.Counts, err
	}
	r.log().Info("reconciliation finished", "run_id", run.ID, "status", run.Status, "counts", run.Counts)
	if f.Status == reconcile.StatusFailed {
		reason := firstNonEmpty(f.Error, "no error recorded")
		text := fmt.Sprintf("reconciliation run %s failed: %s; payouts are not compared with Heleket until a run succeeds "+
			"(GET /reconciliation/runs/%s)", f.RunID, reason, f.RunID)
		err := raiseIn(ctx, r.Alerts, alert.Alert{Key: alert.KindReconcileFailed + ":" + f.RunID, Message: alert.Message{
			Text: ":rotating_light: " + text, Kind: alert.KindReconcileFailed, RunID: f.RunID, Reason: reason}})
		if err != nil {
			return run.Counts, err
		}
	}
	return run.Counts, nil
}

// progress writes the totals so far and renews the lease.
func (r *Reconciler) progress(ctx context.Context, b reconcile.Batch) error {
	err := r.Store.ProgressRun(ctx, b.RunID, b.Phase, b.Counts)
	if errors.Is(err, store.ErrLeaseLost) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeLeaseLost, err)
	}
	return err
}

// resumed continues from the last heartbeat of a previous attempt, so a
// retry neither repeats pages nor loses their counts.
func resumed(ctx context.Context, b reconcile.Batch) reconcile.Batch {
	if !activity.HasHeartbeatDetails(ctx) {
		return b
	}
	var last reconcile.Batch
	if err := activity.GetHeartbeatDetails(ctx, &last); err != nil || last.RunID != b.RunID || last.Phase != b.Phase {
		return b
	}
	return last
}

// heleketErr stops the run on an authentication failure (our
// configuration, which no retry repairs) and retries everything else.
func heleketErr(what string, err error) error {
	// Credentials or a base URL Heleket refuses: the run stops and says
	// so instead of retrying into the same wall.
	if heleket.NeedsOperator(err) {
		return temporal.NewNonRetryableApplicationError(what+": "+err.Error(), ErrTypeHeleketAuth, err)
	}
	return retryable(what, err)
}

// ReconcileHeleket reads Heleket's payout history in the window, page by
// page, and compares every item with the payout of the same order_id.
//
// The next page is asked for as soon as a page's cursor is known, so that
// Heleket answers while this page is compared and repaired: at Heleket's
// 15 items a page, 100,000 payouts are 6,667 list calls, and overlapping
// their round trips with the work took such a run from 22 s to 15 s.
// The position only moves once a page is handled, so a page fetched ahead
// and dropped (the batch's time ran out, or it failed) is fetched again.
func (r *Reconciler) ReconcileHeleket(ctx context.Context, b reconcile.Batch) (reconcile.BatchResult, error) {
	b = resumed(ctx, b)
	deadline := time.Now().Add(r.settings().BatchTime)
	req := listRequest(b.Window)
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel() // abandons a page fetched ahead that will not be used
	pending := r.fetchPage(fetchCtx, req, b.Cursor)
	for {
		got := <-pending
		if got.err != nil {
			return reconcile.BatchResult{}, heleketErr("list Heleket payouts", got.err)
		}
		next := got.page.Paginate.NextCursor
		if next != "" && next == b.Cursor {
			return reconcile.BatchResult{}, fmt.Errorf("list Heleket payouts: cursor did not advance")
		}
		if next != "" {
			pending = r.fetchPage(fetchCtx, req, next)
		}
		if err := r.reconcileItems(ctx, b.RunID, got.page.Items, &b.Counts); err != nil {
			return reconcile.BatchResult{}, err
		}
		b.Cursor = next
		activity.RecordHeartbeat(ctx, b)
		if b.Cursor == "" || time.Now().After(deadline) {
			return reconcile.BatchResult{Cursor: b.Cursor, Done: b.Cursor == "", Counts: b.Counts}, r.progress(ctx, b)
		}
	}
}

type fetchedPage struct {
	page heleket.ListPage
	err  error
}

// fetchPage lists one page in the background. The channel has room for
// the answer, so the goroutine ends even when nobody reads it.
func (r *Reconciler) fetchPage(ctx context.Context, req heleket.ListRequest, cursor string) <-chan fetchedPage {
	out := make(chan fetchedPage, 1)
	go func() {
		page, err := r.Heleket.ListPayouts(ctx, req, cursor)
		out <- fetchedPage{page: page, err: err}
	}()
	return out
}

// heleketZone is the zone of Heleket's list dates (UTC+3 per the docs).
var heleketZone = time.FixedZone("UTC+3", 3*60*60)

// listRequest covers the window to the second; date_to is inclusive.
func listRequest(w reconcile.Window) heleket.ListRequest {
	return heleket.ListRequest{
		DateFrom: w.From.In(heleketZone).Format(heleket.ListDateLayout),
		DateTo:   w.To.In(heleketZone).Format(heleket.ListDateLayout),
	}
}

func (r *Reconciler) reconcileItems(ctx context.Context, runID string, items []heleket.Payout, c *reconcile.Counts) error {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, orderKey(it))
	}
	ours, err := r.Store.PayoutsByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, it := range items {
		c.HeleketItems++
		p, known := ours[orderKey(it)]
		if !known {
			if err := r.orphan(ctx, runID, it, c); err != nil {
				return err
			}
			continue
		}
		if err := r.listed(ctx, runID, p, theirsOf(it), c); err != nil {
			return err
		}
	}
	return nil
}

// orderKey names a Heleket payout. Every payout this service creates has
// an order_id; one made by hand without it is still reported, by uuid.
func orderKey(p heleket.Payout) string {
	if p.OrderID != "" {
		return p.OrderID
	}
	return "uuid:" + p.UUID
}

func theirsOf(p heleket.Payout) reconcile.Theirs {
	return reconcile.Theirs{
		Found:    true,
		Update:   payout.UpdateFromPayout(p),
		Currency: p.Currency,
		Network:  p.Network,
		Amount:   decimal.NullDecimal{Decimal: p.Amount.Decimal, Valid: p.Amount.Valid},
	}
}

// listed handles a Heleket item we know. Open payouts that agree are left
// to the open phase, which also checks that a workflow follows them.
func (r *Reconciler) listed(ctx context.Context, runID string, p payout.Payout, theirs reconcile.Theirs, c *reconcile.Counts) error {
	v := reconcile.Compare(p, theirs)
	c.Add(v.Class)
	switch v.Class {
	case reconcile.ClassAhead:
		_, err := r.moveForward(ctx, runID, p, theirs.Update)
		return err
	case reconcile.ClassMatched:
		return nil
	}
	kind, ok := reconcile.KindOf(v.Class)
	if !ok {
		return fmt.Errorf("reconcile payout %s: class %s has no discrepancy kind", p.ID, v.Class)
	}
	if err := unknownStatus(ctx, r.Alerts, p.ID, theirs.Update.Status); err != nil {
		return err
	}
	return r.raise(ctx, c, store.Discrepancy{RunID: runID, OrderID: p.ID, PayoutID: p.ID, Kind: kind,
		Ours: oursSnapshot(p), Theirs: theirsSnapshot(theirs), Reason: v.Reason})
}

func (r *Reconciler) orphan(ctx context.Context, runID string, it heleket.Payout, c *reconcile.Counts) error {
	c.Add(reconcile.ClassOrphan)
	return r.raise(ctx, c, store.Discrepancy{RunID: runID, OrderID: orderKey(it), Kind: reconcile.KindOrphan,
		Theirs: theirsSnapshot(theirsOf(it)), Reason: "Heleket has a payout with no payout here"})
}
