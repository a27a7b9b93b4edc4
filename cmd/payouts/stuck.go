package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/heleket-payouts/payouts/stuck"
	"github.com/heleket-payouts/payouts/tracing"
)

// runStuck lists payouts whose workflow is still running in a non-final
// status after the threshold, with links to the Temporal UI.
func runStuck(ctx context.Context, args []string) error {
	cfg, err := loadCLIConfig(os.Stderr)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("payouts stuck", flag.ContinueOnError)
	olderThan := fs.Duration("older-than", cfg.StuckAfter, "list payouts started longer ago than this (default PAYOUT_STUCK_AFTER)")
	queue := fs.String("task-queue", cfg.TemporalTaskQueue, "only this task queue; empty for all")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *olderThan < 0 {
		return errors.New("-older-than must not be negative")
	}
	tc, err := dialTemporal(ctx, cfg, newLogger(cfg), tracing.Off())
	if err != nil {
		return err
	}
	defer tc.Close()
	now := time.Now()
	list, err := stuck.Find(ctx, tc, stuck.Options{Before: now.Add(-*olderThan), TaskQueue: *queue})
	if err != nil {
		return err
	}
	return stuck.Print(os.Stdout, list, now, cfg.UIURL(), cfg.TemporalNamespace)
}

// runHealthcheck probes a health URL and exits non-zero unless it answers
// 2xx: the container image has no shell or curl for a HEALTHCHECK.
func runHealthcheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("payouts healthcheck", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "URL to probe")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("health URL: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", *url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe %s: %s", *url, resp.Status)
	}
	return nil
}
