package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/starter"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/tracing"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/workflows"
)

// newReconciler builds the reconciliation activities from the configuration.
func newReconciler(cfg config.Config, st *store.Store, svc *usecase.Service, hc *heleket.Client, log *slog.Logger) (*activities.Reconciler, error) {
	return &activities.Reconciler{
		Store: st, Heleket: hc, Alerts: st, Logger: log,
		Workflows: svc.Workflows(), // its restarts pass the payout gate
		Settings: activities.ReconcileSettings{
			Overlap: cfg.ReconcileOverlap, Lookback: cfg.ReconcileLookback, StuckAfter: cfg.StuckAfter,
		},
	}, nil
}

// newReconciliation triggers runs and keeps the schedule; st may be nil
// for the schedule alone.
func newReconciliation(cfg config.Config, st *store.Store, tc client.Client) *starter.Reconciliation {
	return &starter.Reconciliation{Client: tc, Store: st, TaskQueue: cfg.TemporalTaskQueue,
		Every: cfg.ReconcileEvery, LeaseTTL: activities.DefaultLeaseTTL}
}

// ensureSchedule runs at worker start, so a changed RECONCILE_EVERY takes
// effect with the next deployment.
func ensureSchedule(ctx context.Context, cfg config.Config, tc client.Client, log *slog.Logger) error {
	if err := newReconciliation(cfg, nil, tc).EnsureSchedule(ctx); err != nil {
		return err
	}
	log.Info("reconciliation schedule in place", "schedule_id", workflows.ReconcileScheduleID, "every", cfg.ReconcileEvery.String())
	return nil
}

// adoptCampaigns hands campaigns stored before campaigns were workflows to
// workflows of their own; one that fails is logged and tried again at the
// next start (repeating the campaign's request adopts it too).
func adoptCampaigns(ctx context.Context, cfg config.Config, st *store.Store, tc client.Client, log *slog.Logger) {
	svc, err := newService(cfg, st, tc, log)
	if err == nil {
		var n int
		n, err = svc.AdoptStoredCampaigns(ctx)
		if n > 0 {
			log.Info("stored campaigns handed to their workflows", "campaigns", n)
		}
	}
	if err != nil {
		log.Error("adopting stored campaigns failed; the next worker start tries again", "err", err)
	}
}

// runReconcile triggers a run, prints its progress every second and its
// summary at the end.
func runReconcile(ctx context.Context, _ []string) error {
	cfg, err := loadCLIConfig(os.Stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	st, tc, closeAll, err := openServices(ctx, cfg, log, tracing.Off())
	if err != nil {
		return err
	}
	defer closeAll()
	t, err := newReconciliation(cfg, st, tc).Trigger(ctx, "cli")
	if err != nil {
		return err
	}
	verb := "started"
	if t.Joined {
		verb = "joined the run in progress"
	}
	fmt.Printf("reconciliation %s: run %s (workflow %s)\n", verb, t.RunID, t.WorkflowID)
	if err := follow(ctx, tc, t.WorkflowID, os.Stdout); err != nil {
		return err
	}
	return printSummary(ctx, st, t.RunID, os.Stdout)
}

// follow waits for the workflow, printing its progress query once a second.
func follow(ctx context.Context, tc client.Client, workflowID string, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx) // ends the wait below when progress fails
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tc.GetWorkflow(ctx, workflowID, "").Get(ctx, nil) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := ""
	for {
		select {
		case err := <-done:
			if err != nil {
				return encryptedFailure(fmt.Errorf("reconciliation workflow %s: %w", workflowID, err))
			}
			return nil
		case <-tick.C:
			line, err := progressLine(ctx, tc, workflowID)
			if err != nil {
				return err
			}
			if line != last {
				fmt.Fprintln(out, line)
				last = line
			}
		}
	}
}

// progressLine fails only when the answer cannot be read: every later
// answer would be just as unreadable.
func progressLine(ctx context.Context, tc client.Client, workflowID string) (string, error) {
	v, err := tc.QueryWorkflow(ctx, workflowID, "", workflows.QueryProgress)
	if err != nil {
		// Before the worker takes the first task, or across continue-as-new.
		return "  waiting for the worker (" + err.Error() + ")", nil
	}
	var p workflows.ReconcileProgress
	if err := v.Get(&p); err != nil {
		return "", undecodable("read the progress of "+workflowID, err)
	}
	c := p.Counts
	return fmt.Sprintf("  %-8s batches %d · Heleket items %d · open payouts %d · ahead %d · resumed %d · orphans %d · stuck %d",
		p.Phase, p.Batches, c.HeleketItems, c.OpenPayouts, c.HeleketAhead, c.Resumed, c.Orphans, c.Stuck), nil
}

func printSummary(ctx context.Context, st *store.Store, runID string, out io.Writer) error {
	run, err := st.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nrun\t%s\nstatus\t%s\n", run.ID, run.Status)
	if run.WindowFrom != nil && run.WindowTo != nil {
		fmt.Fprintf(tw, "window\t%s → %s\n", run.WindowFrom.UTC().Format(time.RFC3339), run.WindowTo.UTC().Format(time.RFC3339))
	}
	for _, row := range countRows(run.Counts) {
		fmt.Fprintf(tw, "%s\t%d\n", row.name, row.n)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	if err := printDiscrepancies(ctx, st, runID, out); err != nil {
		return err
	}
	switch run.Status {
	case reconcile.StatusFailed:
		return errors.New("reconciliation failed: " + run.Error)
	case reconcile.StatusSkipped:
		fmt.Fprintf(out, "skipped: run %s held the lease\n", run.HeldBy)
	}
	return nil
}

type countRow struct {
	name string
	n    int
}

func countRows(c reconcile.Counts) []countRow {
	return []countRow{
		{"Heleket items", c.HeleketItems}, {"open payouts", c.OpenPayouts}, {"matched", c.Matched},
		{"Heleket ahead", c.HeleketAhead}, {"resumed", c.Resumed}, {"in flight", c.InFlight},
		{"orphans", c.Orphans}, {"missing at Heleket", c.MissingAtHeleket}, {"status mismatches", c.StatusMismatches},
		{"terms mismatches", c.TermsMismatches}, {"stuck", c.Stuck}, {"failed payouts", c.FailedPayouts},
		{"new discrepancies", c.NewDiscrepancies}, {"resolved", c.Resolved},
		{"alerts raised", c.AlertsSent}, {"alerts failed", c.AlertsFailed},
	}
}

func printDiscrepancies(ctx context.Context, st *store.Store, runID string, out io.Writer) error {
	found, err := st.Discrepancies(ctx, runID, 0, 50)
	if err != nil || len(found) == 0 {
		return err
	}
	fmt.Fprintln(out, "\nnew discrepancies (first 50):")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, d := range found {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Kind, d.OrderID, d.Reason)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print discrepancies: %w", err)
	}
	return nil
}
