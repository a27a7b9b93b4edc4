package main

import (
	"context"
	"fmt"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/schema"
)

func runMigrate(ctx context.Context, _ []string) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := schema.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	v, err := schema.Version(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	fmt.Printf("database migrated to version %d\n", v)
	return nil
}
