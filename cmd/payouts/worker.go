package main

import (
	"context"
	"fmt"

	"github.com/heleket-payouts/payouts/config"
)

func runWorker(ctx context.Context, _ []string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	tr, stopTracing, err := startTracing(ctx, cfg, log, "worker")
	if err != nil {
		return err
	}
	defer stopTracing()
	st, tc, closeAll, err := openServices(ctx, cfg, log, tr)
	if err != nil {
		return err
	}
	defer closeAll()
	w, err := newWorker(cfg, st, tc, log, tr)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	stopAlerts, err := startAlerts(ctx, cfg, st, log)
	if err != nil {
		w.Stop()
		return err
	}
	defer stopAlerts()
	if err := ensureSchedule(ctx, cfg, tc, log); err != nil {
		w.Stop()
		return err
	}
	adoptCampaigns(ctx, cfg, st, tc, log)
	log.Info("worker started", "task_queue", cfg.TemporalTaskQueue)
	// /metrics and /healthz until ctx ends; a port that cannot be bound
	// stops the worker rather than leaving it unobserved.
	err = serveHTTP(ctx, cfg.WorkerMetricsAddr, workerOps(), log)
	w.Stop()
	return err
}
