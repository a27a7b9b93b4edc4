package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Installation is this database's identity, created once by the schema
// migrations; payout IDs are derived from its ID (payout.DeriveID).
type Installation struct {
	ID string
	// CreatedAt is when the ID came to be: payouts created before it carry
	// IDs of the release before installations.
	CreatedAt time.Time
}

// Installation returns this installation's identity.
func (s *Store) Installation(ctx context.Context) (Installation, error) {
	var in Installation
	err := s.pool.QueryRow(ctx, `SELECT id, created_at FROM installation`).Scan(&in.ID, &in.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Installation{}, errors.New("store: installation: no row; run `payouts migrate`")
	}
	if err != nil {
		return Installation{}, fmt.Errorf("store: installation: %w (run `payouts migrate`)", err)
	}
	return in, nil
}
