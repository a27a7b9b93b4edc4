package main

import (
	"context"
	"fmt"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/store"
)

func runAPI(ctx context.Context, _ []string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	tc, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	h, err := newAPI(cfg, st, tc, log)
	if err != nil {
		return fmt.Errorf("build API: %w", err)
	}
	return serveHTTP(ctx, cfg.HTTPAddr, h, log)
}
