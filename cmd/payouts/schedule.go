package main

import (
	"context"

	"github.com/heleket-payouts/payouts/config"
)

// runSchedule creates or updates the reconciliation schedule and exits;
// the worker does the same at start.
func runSchedule(ctx context.Context, _ []string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	tc, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	return ensureSchedule(ctx, cfg, tc, log)
}
