// Package store persists payouts, their audit trail, the webhook inbox and
// client wallets in PostgreSQL. Every status change and its audit row are
// written in one transaction, and the schema itself refuses backward moves.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when the requested row does not exist.
var ErrNotFound = errors.New("not found")

// Store is the PostgreSQL-backed store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to dsn and checks the connection, so that a wrong address
// fails at start-up instead of on the first request. configure may adjust
// the pool's settings (the benchmark adds a query tracer).
func Open(ctx context.Context, dsn string, configure ...func(*pgxpool.Config)) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: parse database DSN: %w", err)
	}
	for _, f := range configure {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: create pool: %w", err)
	}
	s := New(pool)
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		// Host, port and database only: the DSN may carry a password.
		return nil, fmt.Errorf("store: postgres at %s:%d/%s: %w",
			cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return s, nil
}

// New wraps an existing pool; the caller keeps ownership of its lifecycle
// unless it calls Close.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the pool for callers that need queries the store lacks
// (listing, statistics).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}
