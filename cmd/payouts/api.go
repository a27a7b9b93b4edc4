package main

import (
	"context"
	"fmt"

	"github.com/heleket-payouts/payouts/config"
)

func runAPI(ctx context.Context, _ []string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	tr, stopTracing, err := startTracing(ctx, cfg, log, "api")
	if err != nil {
		return err
	}
	defer stopTracing()
	st, tc, closeAll, err := openServices(ctx, cfg, log, tr)
	if err != nil {
		return err
	}
	defer closeAll()
	h, err := newAPI(cfg, st, tc, log, tr)
	if err != nil {
		return fmt.Errorf("build API: %w", err)
	}
	return serveHTTP(ctx, cfg.HTTPAddr, h, log)
}
