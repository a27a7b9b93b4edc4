package main

import (
	"context"
	"os"

	"github.com/heleket-payouts/payouts/tracing"
)

// runReconcileSchedule creates or updates the reconciliation schedule and
// exits; the worker does the same at start.
func runReconcileSchedule(ctx context.Context, _ []string) error {
	cfg, err := loadCLIConfig(os.Stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	tc, err := dialTemporal(ctx, cfg, log, tracing.Off())
	if err != nil {
		return err
	}
	defer tc.Close()
	return ensureSchedule(ctx, cfg, tc, log)
}
